// Carries out delivery (plan.ts) against the engine, the store and the connection: offers each
// waiting file with the clients' own automatic retransfer (protocol/src/recovery/retransfer.ts,
// same rules; no second implementation), records how far the recipient got so that a restart
// resumes, and sends receipts. Events reach the plan one at a time (all synchronous here).
import type { Element } from "ltx/lib/ltx.js";
import { bare, describeLocalFile, makeSender, retransfer, type BackoffPolicy, type FileTransfer, type RecoveryNetwork, type Retransfer, type Transfer, type TransferEvent } from "@xft/protocol";
import type { OfflineStore, StoredFile } from "../store/index.js";
import { makeProbe, makeReceipt, makeSubscribe, makeWaitingNotice } from "./messages.js";
import { MAX_STANZAS_PER_DAY } from "./budget.js";
import { deliver, RESUBSCRIBE_BACKOFF, restoreDelivery, type DeliveryEffect, type DeliveryEvent, type DeliveryState } from "./plan.js";

export { RESUBSCRIBE_BACKOFF };

export interface DeliveryDeps {
  ft: FileTransfer;
  store: OfflineStore;
  send(stanza: Element): Promise<void>;
  /** the component's connection, for the retransfer's "network back" */
  network: RecoveryNetwork;
  /** is this full JID online now (the presence tracker) */
  isOnline(full: string): boolean;
  log(line: string): void;
  /** s a re-offer to a resource that is still online may wait for its accept; default 30 */
  confirmTimeout?: number;
  /** ms the first notice of an offline period waits, so that files stored together share it */
  notifyDelayMs?: number;
  /** delays between subscription retries after a bounce; default RESUBSCRIBE_BACKOFF */
  resubscribeBackoff?: BackoffPolicy;
  /** subscribes + probes + notices to one recipient per UTC day; default MAX_STANZAS_PER_DAY */
  maxStanzasPerDay?: number;
  /** ms since the epoch; default Date.now */
  now?: () => number;
  /** every timer of the delivery: notices, retries, confirm and stop timeouts (tests may pass their own) */
  clock?: Clock;
  random?: () => number;
}

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface Delivery {
  /** a file is fully stored and checked (the upload half emits this) */
  stored(file: StoredFile): void;
  cameOnline(bare: string, full: string): void;
  wentOffline(bare: string, full: string): void;
  /** we are online (again): ask for the presence of those with a waiting file who need asking */
  probeWaiting(): void;
  /** an error came back for our subscribe or probe (what: subscription) or our notice */
  bounced(bare: string, what: "subscription" | "notice", condition: string): void;
  /** housekeeping deleted these recipients' saved state: drop it here too, so that what
   *  happens next is what a restart would do (unless something waits for them meanwhile) */
  forget(bares: readonly string[]): void;
  stop(): void;
}

/** one file being delivered to one recipient; current: its latest offer session */
interface Job {
  fileId: string;
  r?: Retransfer;
  current?: Transfer;
  stopped: boolean;
}

/** most a stop waits for the session the recipient left to end by itself */
const STOP_GRACE_MS = 5000;

export function createDelivery(deps: DeliveryDeps): Delivery {
  const { ft, store, log } = deps;
  const now = deps.now ?? Date.now;
  const random = deps.random ?? Math.random;
  // what was sent before a restart: nothing of it is sent again (plan.ts)
  let state: DeliveryState = restoreDelivery(store.deliveryStates.all());
  const running = new Map<string, Job>();
  const clock: Clock = deps.clock ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  /** cancels of the timers outstanding, so stop() ends them all */
  const timers = new Set<() => void>();
  /** fn after ms on the clock; returns what cancels it */
  function later(fn: () => void, ms: number): () => void {
    const handle = clock.setTimeout(() => {
      timers.delete(cancel);
      fn();
    }, ms);
    const cancel = () => {
      clock.clearTimeout(handle);
      timers.delete(cancel);
    };
    timers.add(cancel);
    return cancel;
  }
  /** per recipient, what cancels the subscription retry outstanding */
  const retries = new Map<string, () => void>();
  const pending = (bareJid: string) => store.pendingFor(bareJid).map((f) => f.id);

  function dispatch(event: DeliveryEvent): void {
    const before = state[event.bare]?.saved;
    const at = now();
    const t = deliver(state, event, {
      now: at, jitter: random(), maxPerDay: deps.maxStanzasPerDay ?? MAX_STANZAS_PER_DAY, backoff: deps.resubscribeBackoff ?? RESUBSCRIBE_BACKOFF,
    });
    state = t.state;
    const saved = state[event.bare].saved;
    if (saved !== before) {
      // saved before the stanzas go: a crash in between loses one stanza rather than repeat it
      try {
        store.deliveryStates.save(event.bare, saved, at);
      } catch (err: any) {
        log(`delivery: saving the state of ${event.bare} failed: ${err?.message ?? err}`);
      }
    }
    for (const effect of t.effects) perform(effect);
  }

  function retryAfter(bareJid: string, ms: number): void {
    retries.get(bareJid)?.();
    retries.set(bareJid, later(() => {
      retries.delete(bareJid);
      dispatch({ type: "retry-due", bare: bareJid, pending: pending(bareJid) });
    }, ms));
  }

  function perform(effect: DeliveryEffect): void {
    switch (effect.type) {
      case "subscribe":
        return void deps.send(makeSubscribe(effect.bare)).catch(() => undefined);
      case "probe":
        return void deps.send(makeProbe(effect.bare)).catch(() => undefined);
      case "retry-later": {
        log(`delivery: subscribing to ${effect.bare} again in ${effect.delayMs} ms (retry ${effect.attempt + 1})`);
        return retryAfter(effect.bare, effect.delayMs);
      }
      case "cancel-retry": {
        retries.get(effect.bare)?.();
        retries.delete(effect.bare);
        if (effect.why === "nothing-waits") log(`delivery: nothing waits for ${effect.bare} any more: no more subscription retries`);
        return;
      }
      case "over-ceiling":
        return log(`delivery: the daily ceiling of stanzas to ${effect.bare} is reached: no ${effect.held.join(", ")} today`);
      case "notify": {
        later(() => {
          const files = store.pendingFor(effect.bare);
          if (files.length) void deps.send(makeWaitingNotice(effect.bare, files)).catch(() => undefined);
        }, deps.notifyDelayMs ?? 1000);
        return;
      }
      case "stop": {
        const job = running.get(effect.bare);
        if (job?.fileId !== effect.fileId) return;
        job.stopped = true;
        // A recipient that logs off right after the last byte sent its <received/> and
        // session-terminate just before its unavailable presence: the engine handles both in
        // order (it ends the session itself when the peer goes), so cancel only once the
        // session has ended; cancelling at once would make a delivered file look interrupted.
        const cancel = () => job.r?.cancel("the recipient went offline");
        const current = job.current;
        if (!current) return cancel();
        const cancelGrace = later(cancel, STOP_GRACE_MS);
        void current.done.then(() => {
          cancelGrace();
          cancel();
        });
        return;
      }
      case "offer":
        return void offer(effect.bare, effect.full, effect.fileId);
    }
  }

  async function offer(bareJid: string, full: string, fileId: string): Promise<void> {
    const job: Job = { fileId, stopped: false };
    running.set(bareJid, job);
    const finish = (outcome: "delivered" | "interrupted" | "failed" | "unanswered") => {
      if (running.get(bareJid) === job) running.delete(bareJid);
      dispatch({ type: "finished", bare: bareJid, fileId, outcome, pending: pending(bareJid) });
    };
    const file = store.get(fileId, bareJid);
    if (!file) return finish("failed");
    let local;
    try {
      // the bytes are a file beside the database: the engine streams them from disk, block by
      // block, as it does a user's file; the checkpoints cost one read here
      local = await describeLocalFile(store.bytesPath(fileId), file.name);
      if (local.sha256 !== file.sha256 || local.size !== file.size) throw new Error("stored bytes do not match their sha-256");
    } catch (err: any) {
      log(`delivery of ${fileId} to ${bareJid} failed: ${err?.message ?? err}`);
      return finish("failed");
    }
    if (job.stopped) return finish("interrupted");
    log(`delivery: offering ${file.name} (${fileId}) to ${full} (it held ${file.deliveredOffset} bytes before)`);
    // what the recipient accepted at, and what it acknowledged since (progress events, every
    // 250 ms), is what it holds: recorded, so a restart or a later login knows it
    const sids = new Set<string>();
    /** the recipient accepted one of our offers: a failure after that is not silence */
    let started = false;
    /** the byte the recipient's first accept asked for: what it already held (the log says it) */
    let heldAtStart: number | undefined;
    // one delivery per recipient runs at a time, so what the engine sent to them meanwhile is ours
    const sentBefore = ft.stats.sentTo.get(bareJid) ?? 0;
    const sentSoFar = () => `began at byte ${heldAtStart ?? "-"}, ${(ft.stats.sentTo.get(bareJid) ?? 0) - sentBefore} bytes sent`;
    // one listener on the engine's events of our sessions: a start means the device accepted;
    // any offset it reports is recorded so a restart resumes there
    const watch = (e: TransferEvent) => {
      if (!sids.has(e.sid)) return;
      if (e.type === "started" || e.type === "resumed") {
        started = true;
        heldAtStart ??= e.offset;
      }
      if (bare(e.peer) !== bareJid || e.offset <= 0) return;
      try {
        store.recordDeliveryProgress(fileId, e.offset);
      } catch { /* delivered or expired meanwhile */ }
    };
    const WATCHED = ["transfer-started", "transfer-resumed", "transfer-interrupted", "transfer-progress"] as const;
    for (const name of WATCHED) ft.on(name, watch);
    const r = retransfer(
      {
        ft, network: deps.network,
        // a re-offer goes to the same resource while it is online; once it is gone, the plan moves on
        locate: async (to) => (deps.isOnline(to) ? to : Promise.reject(new Error(`${to} is offline`))),
      },
      full, local,
      { autoRetransfer: true, offlineForward: false, confirmTimeout: deps.confirmTimeout ?? 30, receiver: full },
      // who left it: the recipient may hold part of it from that sender's interrupted transfer
      { extensions: [makeSender(file.sender)] },
    );
    r.on("session", (t) => {
      sids.add(t.sid); // progress events carry the sid only
      job.current = t;
    });
    // A device that never accepts (killed, while its server holds its session for resumption)
    // must not hold the file: no start within confirm-timeout, or a prompt, ends this attempt.
    const confirmMs = (deps.confirmTimeout ?? 30) * 1000;
    const cancelNoAnswer = later(() => started || r.cancel(`${full} did not accept within ${confirmMs / 1000} s`), confirmMs);
    r.on("prompt", (p) => r.cancel(p.reason));
    job.r = r;
    if (job.stopped) r.cancel("the recipient went offline");
    const result = await r.done;
    cancelNoAnswer();
    for (const name of WATCHED) ft.off(name, watch);
    if (result.outcome === "completed") {
      try {
        const receipt = await store.markDelivered(fileId);
        log(`delivery: ${file.name} (${fileId}) delivered to ${full} (${sentSoFar()})`);
        await deps.send(makeReceipt(receipt)).catch(() => undefined);
      } catch (err: any) {
        log(`delivery: marking ${fileId} delivered failed: ${err?.message ?? err}`);
      }
      return finish("delivered");
    }
    const held = store.get(fileId, bareJid)?.deliveredOffset ?? 0;
    log(`delivery: ${file.name} (${fileId}) to ${full} stopped (recipient holds ${held}; ${sentSoFar()}): ${result.reason}`);
    // no session ever started: the resource did not answer (it may only look online)
    finish(job.stopped ? "interrupted" : !started ? "unanswered" : "failed");
  }

  // files removed by housekeeping (expired, lost): a recipient with nothing left gets no more
  // retries, at once rather than at the next timer
  const stopWatchingRemovals = store.maintenance.onRemoved((row) => dispatch({ type: "withdrawn", bare: row.recipient, pending: pending(row.recipient) }));
  // retries saved before a restart go on at their time (or end now if nothing waits)
  for (const [bareJid, r] of Object.entries(state)) {
    const dueAt = r.saved.retry?.dueAt;
    if (r.saved.retry && pending(bareJid).length === 0) dispatch({ type: "withdrawn", bare: bareJid, pending: [] });
    else if (dueAt !== undefined) retryAfter(bareJid, Math.max(0, dueAt - now()));
  }

  return {
    stored: (file) => dispatch({ type: "stored", bare: file.recipient, fileId: file.id, pending: pending(file.recipient) }),
    cameOnline: (bareJid, full) => dispatch({ type: "came-online", bare: bareJid, full, pending: pending(bareJid) }),
    wentOffline: (bareJid, full) => dispatch({ type: "went-offline", bare: bareJid, full }),
    probeWaiting() {
      // The servers do not re-send presence to a component that reconnects: a probe (§4.3)
      // brings the presence of approved recipients online now. Only those: a pending request
      // is answered with presence when approved, and Prosody 0.12 answers a probe from an
      // entity not yet approved with an 'unsubscribed' on the user's behalf, which drops the
      // user's pending request from us (mod_presence -> rostermanager.unsubscribed). For a
      // recipient we know nothing of, the probe goes FIRST and a subscribe after it stands
      // (seen in resubscribe.test.ts: the other order made the approval a mere pre-approval).
      for (const r of store.waitingRecipients()) dispatch({ type: "connected", bare: r, pending: pending(r) });
    },
    bounced(bareJid, what, condition) {
      log(`delivery: our ${what === "notice" ? "notice" : "subscription or probe"} to ${bareJid} came back: ${condition}`);
      dispatch({ type: "bounced", bare: bareJid, what, pending: pending(bareJid) });
    },
    forget(bares) {
      const kept = { ...state };
      for (const b of bares) {
        const r = kept[b];
        if (r && r.online.length === 0 && !r.active && !r.saved.retry && !running.has(b) && pending(b).length === 0) delete kept[b];
      }
      state = kept;
    },
    stop() {
      stopWatchingRemovals();
      for (const cancel of [...timers]) cancel();
      retries.clear();
      for (const job of running.values()) (job.stopped = true), job.r?.cancel("stopping");
    },
  };
}
