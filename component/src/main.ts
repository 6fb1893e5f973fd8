// The offline store component, wired top to bottom: storage, its housekeeping, the XMPP entity,
// the protocol pieces on it, then the connection that keeps it online. Nothing here parses or
// decides; each piece is a factory with its dependencies passed in.
import { bare, fileTransfer, handleEarlyReplies, untilOnline, xmppPortFrom, type FileTransfer } from "@xft/protocol";
import type { ComponentConfig } from "./config/options.js";
import { keepConnected } from "./connection/keep-connected.js";
import { createDelivery, type Delivery } from "./delivery/driver.js";
import { parseNoticeBounce } from "./delivery/messages.js";
import { createComponent } from "./entity/component.js";
import type { XmppComponent } from "./entity/types.js";
import { scheduleHousekeeping } from "./housekeeping/schedule.js";
import { parsePresence, PresenceTracker, type PresenceChange } from "./presence/tracker.js";
import { createStore, type OfflineStore } from "./store/index.js";
import { uploadReceiver, type UploadReceiver } from "./upload/receiver.js";
import { expireIdleReservations } from "./upload/reservations.js";
import { DAY_MS, HOUR_MS } from "./time.js";
import { discoResponder } from "./xep0030/disco.js";


export interface RunningComponent {
  xmpp: XmppComponent;
  store: OfflineStore;
  ft: FileTransfer;
  /** 'stored' once a forwarded file is all in the store, checked: delivery listens here */
  uploads: UploadReceiver["uploads"];
  presence: PresenceTracker;
  /** offers waiting files to recipients who come online; the upload half calls stored(file) */
  delivery: Delivery;
  /** no more reconnects, close the stream, wait for housekeeping, close the database */
  stop(): Promise<void>;
}

export type Log = (line: string) => void;

export function runComponent(config: ComponentConfig, log: Log): RunningComponent {
  // 1. Storage first: a database that is locked by another process, unwritable or from a newer
  //    version stops us here, before we take the component's name on the server.
  const store = createStore({
    path: config.db,
    limits: {
      maxFileSize: config.maxFileSize,
      senderQuotaBytes: config.senderQuota,
      recipientQuotaBytes: config.recipientQuota,
      allowedSenderDomains: config.allowedSenderDomains,
      maxFilesPerSender: config.senderMaxFiles,
      maxNewRecipientsPerHour: config.senderMaxRecipientsPerHour,
      fileCostFloorBytes: config.fileCostFloor,
      storeQuotaBytes: config.storeQuota,
      minFreeDiskBytes: config.minFreeDisk,
    },
    expireAfterMs: config.expireDays * DAY_MS,
  });
  const housekeeping = scheduleHousekeeping(store, {
    cron: config.housekeepingCron,
    abandonAfterMs: config.abandonHours * HOUR_MS,
    receiptRetentionMs: config.receiptDays * DAY_MS,
    deliveryStateRetentionMs: config.deliveryStateDays * DAY_MS,
    onReport: (r) => {
      const removed = r.expired.removed.length + r.abandoned.removed.length;
      if (removed > 0) log(`housekeeping: removed ${r.expired.removed.length} expired and ${r.abandoned.removed.length} abandoned files`);
      const pruned = r.deliveryStates.removed;
      if (pruned.length > 0) log(`housekeeping: deleted the delivery state of ${pruned.length} recipients with nothing waiting for ${config.deliveryStateDays} days`);
      // runs only after runComponent returned (a cron tick): `delivery` is set by then
      delivery.forget(pruned);
    },
    onError: (err) => log(`housekeeping failed: ${describe(err)}`),
  });

  // 2. The entity (XEP-0114). Errors are logged, never thrown: a bad stanza or a lost server
  //    must not end the process.
  const xmpp = createComponent({ service: config.service, domain: config.jid, password: config.secret });
  xmpp.on("error", (err: unknown) => log(`error: ${describe(err)}`));
  handleEarlyReplies(xmpp.iqCaller); // a reply before the write's callback must not end the process
  xmpp.on("online", () => log(`online as ${config.jid} at ${config.service}`));

  // 3. What we are (XEP-0030), and the one Jingle/IBB engine, taking forwarded files into the
  //    store: offers are screened (recipient, limits) before their session-initiate is answered,
  //    so a refusal is the sender's IQ error (upload/receiver.ts).
  discoResponder(xmpp.iqCallee, () => config.jid);
  const upload = uploadReceiver({ store, onError: (err) => log(`upload failed: ${describe(err)}`) });
  // the store has no contacts to keep sessions for: its own domain's users share the caps alike
  const ft = fileTransfer(xmppPortFrom(xmpp), {
    screenOffer: upload.screen, maxOffersPerPeer: config.maxUploadsPerSender, maxOffers: config.maxUploads, reservedForTrusted: 0,
  });
  ft.on("error", (err) => log(`transfer error: ${describe(err)}`));
  ft.on("offer", upload.accept);
  upload.uploads.on("stored", (f) => log(`stored ${f.id}: ${f.size} bytes from ${f.sender} for ${f.recipient}`));
  // a reservation with no data coming is freed in minutes, its session ended
  const reservations = expireIdleReservations({
    store, idleMs: config.reservationIdleSeconds * 1000,
    onExpired: (f) => {
      log(`reservation expired: ${f.id} (${f.size} bytes from ${f.sender} for ${f.recipient}, ${f.bytesReceived} received)`);
      upload.expired(f);
    },
    onError: (err) => log(`reservation expiry failed: ${describe(err)}`),
  });

  // 4. Delivery trigger (README, "Delivery"): we learn that a recipient logged in from the
  //    presence their server sends us once they approved our subscription; each resource that
  //    comes online is where a waiting file will be offered. Presence known before a disconnect
  //    is stale afterwards: the server sends it again after we reconnect (probes).
  const presence = new PresenceTracker();
  // 4b. Delivery (delivery/): offers each waiting file to the resource that came online last,
  //    one at a time, and sends the sender a receipt. The components' presence is not re-sent
  //    by the servers after we reconnect, so we probe everyone with a waiting file.
  const delivery = createDelivery({
    ft, store, log, send: (stanza) => xmpp.send(stanza), confirmTimeout: config.deliveryConfirmSeconds,
    resubscribeBackoff: { baseMs: config.resubscribeMinSeconds * 1000, maxMs: config.resubscribeMaxSeconds * 1000 },
    maxStanzasPerDay: config.deliveryMaxStanzasPerDay,
    isOnline: (full) => presence.resourcesOf(bare(full)).includes(full),
    network: { isOnline: () => xmpp.status === "online", reconnect: () => untilOnline(xmpp, 30_000) },
  });
  xmpp.on("online", () => delivery.probeWaiting());
  // a forwarded file, all in and checked: its recipient is subscribed to, notified, and served
  upload.uploads.on("stored", (file) => delivery.stored(file));
  const onPresence = (change: PresenceChange) => {
    log(`presence: ${change.full} ${change.kind}`);
    if (change.kind === "came-online") delivery.cameOnline(change.bare, change.full);
    else delivery.wentOffline(change.bare, change.full);
  };
  // A presence error is a bounce of our subscribe or probe, not a logout: the tracker forgets
  // their resources, and delivery asks again later (xep-draft §'Delivery'); so for a bounced notice.
  xmpp.middleware.use((ctx, next) => {
    const update = parsePresence(ctx.stanza);
    if (update) presence.apply(update).forEach(onPresence);
    if (update?.kind === "error") delivery.bounced(update.bare, "subscription", update.condition);
    const notice = parseNoticeBounce(ctx.stanza);
    if (notice) delivery.bounced(notice.bare, "notice", notice.condition);
    return next();
  });
  xmpp.on("disconnect", () => presence.clear().forEach(onPresence));

  // 5. Last, the connection: every handler above is in place before the first stanza arrives.
  const connection = keepConnected(xmpp, {
    onRetry: ({ attempt, delayMs, reason }) => log(`${reason}; reconnecting in ${delayMs} ms (attempt ${attempt})`),
  });
  connection.start();

  return {
    xmpp, store, ft, uploads: upload.uploads, presence, delivery,
    async stop() {
      connection.stop();
      delivery.stop();
      await xmpp.stop().catch(() => undefined);
      await reservations.stop();
      await housekeeping.stop();
      await store.close();
    },
  };
}

function describe(err: unknown): string {
  const e = err as { condition?: string; message?: string; code?: string } | undefined;
  return e?.condition ?? e?.message ?? e?.code ?? String(err);
}
