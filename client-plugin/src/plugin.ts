// The client plugin: the shared engine plus what a user's client needs around it: the sender's
// automatic retransfer and offline forward (seed FIG. 1), the receiver's automatic reception
// (FIG. 2), and prompts where an option is off. A factory with its dependencies passed in.
import { EventEmitter } from "node:events";
import {
  bare, DEFAULT_PARTIAL_DAYS, describeLocalFile, ensureReceiveDir, fileTransfer, sweepStalePartials, makeInfoQuery, parseInfo, parseSender, parseStored, retransfer, sha256Of, type FileTransferOptions, type IncomingOffer,
  type RecoveryNetwork, type Retransfer, type TransferEvent, type XmppPort,
} from "@xft/protocol";
import { createElement as xml } from "ltx/lib/ltx.js";
import type { Transfer } from "@xft/protocol";
import { storeForwarder } from "./forward.js";
import { availablePresence } from "./xep0115/caps-presence.js";
import { decideOffer, mayLearnWeAreOnline, type NewFilePolicy, type OfferFacts } from "./offer-decision.js";
import { DEFAULT_PREFERENCES, type Preferences } from "./prefs/preferences.js";
import { answerProposals, createPeerResolver } from "./resolve-peer.js";
import { createContacts, type Contacts } from "./roster/roster.js";
import { initialTrust, trustStep, vouchFor, type RefusedReason, type StoreTrust, type TrustEvent, type Vouch } from "./store-trust.js";

export interface AutoTransferPluginOptions extends FileTransferOptions {
  /** answer XEP-0353 proposals with <proceed/> (the device is ready to take files) */
  acceptProposals?: (from: string) => boolean;
  /** the user's preferences in effect: stored ones merged with per-run overrides (prefs/store.ts) */
  preferences?: Preferences;
  /** the reconnecting connection (account.network); without it a dropped link is never "back" */
  network?: RecoveryNetwork;
  /** where received files and partial files live: needed for automatic reception */
  downloadDir?: string;
  /** parts and resume records in downloadDir untouched this many days are removed, at start and
   *  hourly (stale-partials.ts); 0: never. Default 7 */
  partialDays?: number;
  /** the offline store, when none is set in the preferences (XEP-0030 discovery) */
  findComponent?: () => Promise<string | undefined>;
  /** ms a receiver pulls the rest of an interrupted download after its own reconnect; default 300 */
  pullDelay?: number;
  /** the user's roster (roster/roster.ts, createContacts(port)); default one made here. Decides
   *  whose files are a contact's, whose vouch counts and who gets an answer to an XEP-0353 proposal. */
  contacts?: Contacts;
  /** who may send new files that are taken without asking (offer-decision.ts); default "ask": each
   *  new file is an `offer` event, declined when nobody listens */
  acceptNewFrom?: NewFilePolicy;
}

export type PluginEvents = {
  /** an offer the plugin did not take by itself: the application accepts or declines it */
  offer: [IncomingOffer];
  /** a decision is the user's (auto-receive off for a continuation, or a sender's prompt) */
  prompt: [{ kind: "continuation-offered" | "retry-send"; peer: string; name?: string; offset: number; reason: string }];
  /** taken without asking (offer-decision.ts): a continuation or a contact's file from a trusted
   *  store (auto-receive), or a new file from a sender the acceptNewFrom policy names */
  "auto-accepted": [IncomingOffer];
  /** a presence subscription request the plugin did not approve itself (not our store, and not
   *  a store a contact vouched for that offered the vouched file yet): the application answers it
   *  (RFC 6121 §3.1.3). If that store offers a vouched file later, the plugin approves it then. */
  "subscription-request": [{ from: string }];
  /** a store approved (ours, or a checked store a contact vouched for, once it offered the
   *  vouched file): it will see our presence and deliver waiting files when we log in */
  "store-subscribed": [{ store: string }];
  /** a contact says it left a file for us at a store (xep-draft §'Vouching for a Store') */
  vouched: [Vouch];
  /** a vouch that counts for nothing: not from a contact, or for a JID that is not a store */
  "vouch-refused": [{ voucher: string; store: string; reason: RefusedReason }];
  /** a vouched JID answered disco#info as a file store: it was sent our directed presence */
  "store-announced": [{ store: string }];
};

/** A vouched JID's disco#info answer is awaited this long; no answer: not a store. */
const STORE_CHECK_TIMEOUT_MS = 10_000;

/** One search for a bare JID's device (XEP-0353 propose + presence, resolve-peer.ts) waits this
 *  long; the retransfer searches again until confirm-timeout. Short, because a receiver that just
 *  reconnected may not have sent its presence yet. */
const LOCATE_ATTEMPT_MS = 3000;

const offlineNetwork: RecoveryNetwork = { isOnline: () => true, reconnect: () => Promise.reject(new Error("no reconnecting connection")) };

export function autoTransferPlugin(port: XmppPort, options: AutoTransferPluginOptions = {}) {
  const {
    preferences = { ...DEFAULT_PREFERENCES }, acceptProposals, network, downloadDir, partialDays = DEFAULT_PARTIAL_DAYS, findComponent, pullDelay = 300, contacts = createContacts(port), acceptNewFrom = "ask", ...ftOptions
  } = options;
  // with a reconnecting connection a drop is not an interruption yet: the stream may resume
  // the sessions the engine keeps for trusted peers (admission.ts) are the contacts': a stranger's
  // flood, from however many accounts, leaves them room
  const ft = fileTransfer(port, { keepOnDisconnect: Boolean(network), ...ftOptions, isTrustedPeer: ftOptions.isTrustedPeer ?? ((peer) => contacts.isContact(peer)) });
  const events = new EventEmitter<PluginEvents>();
  // a download directory this creates is 0700 (files.ts ensureReceiveDir); a failure shows at accept
  const downloadDirReady = downloadDir ? ensureReceiveDir(downloadDir).catch(() => undefined) : Promise.resolve();
  if (downloadDir && partialDays > 0) void downloadDirReady.then(() => sweepStalePartials(downloadDir, partialDays));
  const resolvePeer = createPeerResolver(port);
  answerProposals(port, acceptProposals ?? (() => events.listenerCount("offer") > 0 || preferences.autoReceive), {
    ready: contacts.ready, seesOurPresence: (jid) => mayLearnWeAreOnline(acceptNewFrom, jid, contacts.seesOurPresence),
  });

  // ---- receiver: FIG. 2 ---------------------------------------------------------------------
  // The user's own store (the component preference, else disco on the user's server) asks to
  // see our presence so it can deliver files left for us when we log in (xep-draft §'Delivery'):
  // approved without asking. Any other request is the application's.
  let storeJid: Promise<string | undefined> | undefined;
  const ownStore = (): Promise<string | undefined> =>
    preferences.component !== undefined ? Promise.resolve(preferences.component) : (storeJid ??= (findComponent?.() ?? Promise.resolve(undefined)).catch(() => {
      storeJid = undefined; // a failed disco is asked again next time
      return undefined;
    }));
  const isOwnStore = async (jid: string) => bare(jid) === (await ownStore())?.toLowerCase();
  // Stores elsewhere (a sender's, across federation) are trusted only as far as a contact vouched
  // for them and they answered as stores (store-trust.ts). Trust events are applied one at a
  // time, in arrival order, each after the roster is known.
  let trust: StoreTrust = initialTrust;
  let trustQueue = Promise.resolve();
  const applyTrust = (event: TrustEvent | (() => Promise<TrustEvent>)) => {
    trustQueue = trustQueue.then(async () => {
      await contacts.ready;
      const t = trustStep(trust, typeof event === "function" ? await event() : event);
      trust = t.state;
      for (const effect of t.effects) {
        if (effect.type === "ask-user") events.emit("subscription-request", { from: effect.from });
        else if (effect.type === "refused") events.emit("vouch-refused", { voucher: effect.voucher, store: effect.store, reason: effect.reason });
        else if (effect.type === "check-store") checkStore(effect.store);
        else if (effect.type === "announce") {
          // RFC 6121 §4.6: directed presence shows us online to the store, grants no subscription
          void port.send(availablePresence({ to: effect.store })).catch(() => undefined);
          events.emit("store-announced", { store: effect.store });
        } else {
          void port.send(xml("presence", { to: effect.store, type: "subscribed" })).catch(() => undefined);
          events.emit("store-subscribed", { store: effect.store });
        }
      }
    }).catch(() => undefined);
  };
  // the answer is a new event, applied in its turn; an error or no answer within the bound: not a store
  const checkStore = (store: string) => {
    const asked = port.request(xml("iq", { type: "get", to: store }, makeInfoQuery()), STORE_CHECK_TIMEOUT_MS).then(parseInfo, () => undefined);
    void asked.then((info) => applyTrust({ type: "store-checked", store, info }));
  };
  port.onPresence?.((p) => {
    if (p.attrs.type !== "subscribe") return;
    const from = bare(String(p.attrs.from ?? ""));
    applyTrust(async () => ({ type: "subscribe-request", from, ownStore: await isOwnStore(from) }));
  });
  port.onMessage((m) => {
    if (m.attrs.type === "error" || m.attrs.type === "groupchat") return;
    let vouch;
    try {
      vouch = parseStored(m);
    } catch {
      return; // a malformed vouch vouches for nothing
    }
    if (!vouch) return;
    const from = bare(String(m.attrs.from ?? ""));
    applyTrust(async () => {
      const fromContact = contacts.isContact(from);
      if (fromContact) events.emit("vouched", { ...vouch, voucher: from });
      return { type: "vouched", from, vouch, fromContact };
    });
  });

  // Every offer is decided once, by decideOffer (offer-decision.ts): taken, asked about (the
  // `offer` event, with a prompt first for a continuation), or declined with a Jingle <decline/>.
  ft.on("offer", (offer) => void routeOffer(offer));
  async function routeOffer(offer: IncomingOffer): Promise<void> {
    const facts = await offerFacts(offer);
    const decision = decideOffer(facts, {
      autoReceive: preferences.autoReceive, canStore: downloadDir !== undefined, canAsk: events.listenerCount("offer") > 0,
      isContact: (jid) => contacts.isContact(jid), newFiles: acceptNewFrom,
    });
    if (decision.action === "auto-accept") {
      events.emit("auto-accepted", offer);
      // a part kept from the sender's own (interrupted) transfer is continued after the checkpoints check it
      await downloadDirReady;
      await offer.accept(downloadDir!, decision.alsoFrom ? { alsoFrom: decision.alsoFrom } : undefined).catch(() => undefined);
      return;
    }
    if (decision.continuation) {
      events.emit("prompt", {
        kind: "continuation-offered", peer: offer.from, name: offer.file.name, offset: facts.held,
        reason: `${offer.from} offers the rest of ${offer.file.name} from byte ${facts.held}; auto-receive is off`,
      });
    }
    if (decision.action === "ask") events.emit("offer", offer);
    else offer.decline(decision.reason);
  }

  /** What decideOffer needs to know of an offer; the roster is read once it was fetched. */
  async function offerFacts(offer: IncomingOffer): Promise<OfferFacts> {
    await contacts.ready;
    const named = (() => { try { return parseSender(offer.file); } catch { return undefined; } })();
    // Who left the file, as far as we believe the store: our own store for any file; another
    // store only for a file its voucher said it left there, and then <sender/> is that voucher.
    const own = await isOwnStore(offer.from);
    const vouched = !own && vouchFor(trust, { from: offer.from, sender: named, sha256: sha256Of(offer.file.hashes), size: offer.file.size });
    // the store offered a file a contact vouched for: now its subscription may be approved
    if (vouched) applyTrust({ type: "vouched-offer", store: bare(offer.from) });
    const trustedStore = own || Boolean(vouched);
    // only an offer that says it continues is looked up on disk: a flood of new offers reads nothing
    const held = offer.continues && downloadDir ? await offer.heldIn(downloadDir).catch(() => 0) : 0;
    return { from: offer.from, continues: offer.continues !== undefined, held, storeDelivery: trustedStore ? { sender: named } : undefined };
  }

  // The receiver may recover first: after its own reconnect (a new session, so the stream did
  // not resume), it pulls the rest of each interrupted download from the sender, marked as a
  // continuation. If the sender re-offers at the same moment, the sender's offer wins (engine).
  const interrupted = new Map<string, TransferEvent>();
  ft.on("transfer-interrupted", (e) => {
    if (!e.sending && e.sha256) interrupted.set(`${bare(e.peer)}|${e.sha256}`, e);
  });
  const forgetDownload = (e: TransferEvent) => {
    if (!e.sending && e.sha256) interrupted.delete(`${bare(e.peer)}|${e.sha256}`);
  };
  ft.on("transfer-started", forgetDownload);
  ft.on("transfer-resumed", forgetDownload);
  ft.on("transfer-completed", forgetDownload);
  // A pull planned for a connection that dropped again before it fired belongs to that
  // connection: it must not start beside the recovery of the next one.
  let pullTimer: NodeJS.Timeout | undefined;
  port.onDisconnect?.(() => clearTimeout(pullTimer));
  port.onOnline?.((resumed) => {
    clearTimeout(pullTimer);
    if (!resumed) applyTrust({ type: "online" }); // our directed presences ended with the old session
    if (resumed || !preferences.autoReceive || !downloadDir) return;
    pullTimer = setTimeout(async () => {
      await downloadDirReady;
      for (const e of interrupted.values()) {
        ft.request(e.peer, { sha256: e.sha256!, size: e.size ?? 0, name: e.name, continues: e.sid }, downloadDir).catch(() => undefined);
      }
    }, pullDelay).unref();
  });

  // ---- sender: FIG. 1 -----------------------------------------------------------------------
  const forward = storeForwarder({
    ft, network: network ?? offlineNetwork, confirmTimeout: preferences.confirmTimeout,
    component: ownStore, // the same store that delivers to us
    send: (stanza) => port.send(stanza),
  });

  /** An offer session that ended before any byte moved (an error answer, no answer): its peer did not take it. */
  function noteRefusal(t: Transfer, refused: Set<string>): void {
    let taken = false;
    const onStart = (e: TransferEvent) => void (e.sid === t.sid && (taken = true));
    ft.on("transfer-started", onStart);
    ft.on("transfer-resumed", onStart);
    void t.done.then((e) => {
      ft.off("transfer-started", onStart);
      ft.off("transfer-resumed", onStart);
      if (!taken && e.type !== "completed") refused.add(t.peer);
    }, () => undefined);
  }

  /**
   * Sends a file and keeps it going: interruptions are recovered as the preferences say
   * (auto-retransfer, offline-forward, confirm-timeout). `done` settles with completed,
   * stored-offline or failed; `resume()` is the manual retry after a prompt.
   */
  async function sendFile(to: string, path: string, opts: { continues?: string } = {}): Promise<Retransfer> {
    const local = await describeLocalFile(path);
    const refused = new Set<string>(); // resources that did not take an offer of this file: tried last
    const r = retransfer(
      { ft, network: network ?? offlineNetwork, locate: (jid) => resolvePeer(jid, Math.min(LOCATE_ATTEMPT_MS, preferences.confirmTimeout * 1000), refused), forward },
      to,
      local,
      { autoRetransfer: preferences.autoRetransfer, offlineForward: preferences.offlineForward, confirmTimeout: preferences.confirmTimeout },
      { continues: opts.continues },
    );
    r.on("session", (t) => noteRefusal(t, refused));
    r.on("prompt", (p) => events.emit("prompt", { kind: "retry-send", peer: to, name: local.name, offset: p.offset, reason: p.reason }));
    return r;
  }

  return { ft, events, preferences, resolvePeer, sendFile, contacts };
}

export type AutoTransferPlugin = ReturnType<typeof autoTransferPlugin>;
