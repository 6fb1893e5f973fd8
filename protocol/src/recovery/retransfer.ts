// The sender's automatic retransfer (seed FIG. 1, steps 101-110): runs the pure decision
// `recover()` (sender.ts) against the engine, the connection and a clock. One instance per
// file being sent. Used by the client plugin and, with the same rules, by the component.
import { EventEmitter } from "node:events";
import type { Element } from "ltx/lib/ltx.js";
import type { FileTransfer, Transfer } from "../driver/manager.js";
import type { LocalFile } from "../driver/files.js";
import { bare } from "../xml/jid.js";
import type { TransferEvent } from "../session/types.js";
import { recover, type RecoveryEffect, type RecoveryEvent, type RecoveryOptions, type RecoveryState } from "./sender.js";

/** The connection as recovery sees it. */
export interface RecoveryNetwork {
  isOnline(): boolean;
  /** one attempt to get online again (stream resumption or a new session); rejects if it failed */
  reconnect(): Promise<void>;
}

export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RetransferDeps {
  ft: FileTransfer;
  network: RecoveryNetwork;
  /** the full JID the recipient can be reached at now (XEP-0353 propose, presence) */
  locate(to: string): Promise<string>;
  /** the offline path (steps 109-110): stores the file for `to`; resolves once stored and
   *  checked; rejects with ForwardRefusedError when the store said no (final, no prompt) */
  forward?(request: { to: string; local: LocalFile; continues?: string }): Promise<void>;
  clock?: Clock;
  random?: () => number;
}

/** The offline store refused the file (its stanza error or decline is the message). */
export class ForwardRefusedError extends Error {
  override name = "ForwardRefusedError";
}

export type RetransferOutcome = "completed" | "stored-offline" | "failed";

export interface RetransferResult {
  outcome: RetransferOutcome;
  offset: number;
  reason: string;
  /** offers made after the first (automatic or manual) */
  reOffers: number;
}

export type RetransferEvents = {
  /** the transfer broke at `offset` */
  interrupted: [{ offset: number; reason: string }];
  /** a re-offer was confirmed: bytes flow again from `offset` */
  resumed: [{ offset: number; sid: string }];
  /** a decision is the user's (option off, or no confirmation): `resume()` retries */
  prompt: [{ offset: number; reason: string }];
  /** the offline path was taken, and why (not confirmed in time, or no progress) */
  forwarding: [{ offset: number; reason: string }];
  /** every offer session, for progress display */
  session: [Transfer];
  settled: [RetransferResult];
};

/** delay between two attempts to reach a receiver that is not there (within confirm-timeout) */
const RE_LOCATE_MS = 1000;

export class Retransfer extends EventEmitter<RetransferEvents> {
  private state: RecoveryState = { phase: "transferring", offset: 0, attempt: 0 };
  private readonly clock: Clock;
  private confirmTimer?: unknown;
  private reconnectTimer?: unknown;
  private current?: Transfer;
  /** the sid the next offer continues: the last session that moved bytes */
  private lastSid?: string;
  private reOffers = 0;
  /** why the last attempt to reach the receiver failed (cleared once an offer reached it): the
   *  final reason says it, e.g. that no resource of the bare JID supports file transfer */
  private notReachedWhy?: string;
  private settle!: (r: RetransferResult) => void;
  readonly done: Promise<RetransferResult>;

  constructor(
    private readonly deps: RetransferDeps,
    private readonly to: string,
    private readonly local: LocalFile,
    private options: RecoveryOptions,
    private readonly extensions: Element[] = [],
    /** a manual resume of an earlier run: the first offer already says it continues this sid */
    continues?: string,
  ) {
    super();
    this.lastSid = continues;
    this.options = { receiver: to, ...options };
    this.clock = deps.clock ?? systemClock;
    this.done = new Promise((resolve) => (this.settle = resolve));
  }

  /** step 101: the first offer; a failure to even start it is the same as an interruption */
  start(): this {
    this.deps.ft.on("transfer-resumed", this.onPeerPull);
    this.deps.ft.on("transfer-started", this.onPeerPull);
    void this.offer(false);
    return this;
  }

  /** The receiver recovered first and pulls the rest of our file itself: follow that session. */
  private readonly onPeerPull = (e: TransferEvent) => {
    if (this.current || e.sha256 !== this.local.sha256 || bare(e.peer) !== bare(this.to)) return;
    if (this.state.phase !== "waiting-network" && this.state.phase !== "re-offering" && this.state.phase !== "prompting") return;
    const pulled = this.deps.ft.transferOf(e.peer, e.sid);
    if (!pulled) return;
    this.lastSid = e.sid;
    this.apply({ type: "peer-resumed", offset: e.offset });
    this.emit("resumed", { offset: e.offset, sid: e.sid });
    void this.follow(pulled, false);
  };

  /** manual retry (steps 105 / 110 fallback): re-offer now */
  resume(): void {
    this.apply({ type: "manual-resume" });
  }

  cancel(reason = "cancelled"): void {
    const running = this.current;
    this.current = undefined;
    running?.cancel(reason);
    this.apply({ type: "give-up", reason });
  }

  get phase(): RecoveryState["phase"] {
    return this.state.phase;
  }

  private apply(event: RecoveryEvent): void {
    const t = recover(this.state, event, this.options, this.deps.random);
    this.state = t.state;
    for (const effect of t.effects) this.perform(effect);
    if (this.state.phase === "done") {
      this.clearTimers();
      this.deps.ft.off("transfer-resumed", this.onPeerPull);
      this.deps.ft.off("transfer-started", this.onPeerPull);
      this.settle({ outcome: this.state.outcome, offset: this.state.offset, reason: this.state.reason, reOffers: this.reOffers });
      this.emit("settled", { outcome: this.state.outcome, offset: this.state.offset, reason: this.state.reason, reOffers: this.reOffers });
    }
  }

  private perform(effect: RecoveryEffect): void {
    switch (effect.type) {
      case "reconnect-after":
        this.clock.clearTimeout(this.reconnectTimer);
        this.reconnectTimer = this.clock.setTimeout(() => void this.tryNetwork(), effect.ms);
        return;
      case "re-offer":
        this.reOffers++;
        void this.offer(true);
        return;
      case "start-confirm-timer":
        this.clock.clearTimeout(this.confirmTimer);
        this.confirmTimer = this.clock.setTimeout(() => {
          // a re-offer nobody answered is withdrawn before the next step; its end is not ours to handle
          const unanswered = this.current;
          this.current = undefined;
          if (this.state.phase === "re-offering") unanswered?.cancel("no confirmation in time");
          this.apply({ type: "confirm-timeout", why: this.notReachedWhy });
        }, effect.ms);
        return;
      case "cancel-confirm-timer":
        this.clock.clearTimeout(this.confirmTimer);
        return;
      case "forward-offline": {
        const why = (this.state.phase === "forwarding" && this.state.why) || `${this.to} did not confirm within ${this.options.confirmTimeout} s`;
        this.emit("forwarding", { offset: effect.offset, reason: why });
        if (!this.deps.forward) return void this.apply({ type: "forward-failed", reason: "no offline store is known (set the component option)" });
        this.deps.forward({ to: this.to, local: this.local, continues: this.lastSid }).then(
          () => this.apply({ type: "forwarded" }),
          (err) =>
            this.apply(err instanceof ForwardRefusedError
              ? { type: "forward-refused", reason: err.message }
              : { type: "forward-failed", reason: `${why} and the offline forward failed: ${err?.message ?? err}` }),
        );
        return;
      }
      case "announce":
        if (effect.event === "interrupted") this.emit("interrupted", { offset: effect.offset, reason: effect.reason ?? "" });
        else if (effect.event === "prompt") this.emit("prompt", { offset: effect.offset, reason: effect.reason ?? "" });
        return; // resumed is emitted with its sid in watch(); completed/failed/stored-offline settle done
    }
  }

  private async tryNetwork(): Promise<void> {
    if (this.state.phase !== "waiting-network") return;
    if (this.deps.network.isOnline()) return this.apply({ type: "network-up" });
    try {
      await this.deps.network.reconnect();
      this.apply({ type: "network-up" });
    } catch (err: any) {
      this.apply({ type: "network-down", reason: String(err?.message ?? err) });
    }
  }

  /** One offer session; while re-offering, a receiver that cannot be reached is tried again. */
  private async offer(isReOffer: boolean): Promise<void> {
    let transfer: Transfer;
    try {
      const full = await this.deps.locate(this.to);
      if (isReOffer && this.state.phase !== "re-offering") return; // timed out meanwhile
      transfer = await this.deps.ft.send(full, this.local.path, { local: this.local, continues: this.lastSid, extensions: this.extensions });
      this.notReachedWhy = undefined;
    } catch (err: any) {
      return this.notReached(isReOffer, String(err?.message ?? err));
    }
    return this.follow(transfer, isReOffer);
  }

  private async follow(transfer: Transfer, isReOffer: boolean): Promise<void> {
    this.current = transfer;
    this.emit("session", transfer);
    const onStart = (e: TransferEvent) => {
      if (e.sid !== transfer.sid) return;
      this.lastSid = transfer.sid;
      if (this.state.phase === "re-offering") this.apply({ type: "confirmed", offset: e.offset });
      if (isReOffer) this.emit("resumed", { offset: e.offset, sid: transfer.sid });
    };
    this.deps.ft.on("transfer-started", onStart);
    this.deps.ft.on("transfer-resumed", onStart);
    const final = await transfer.done;
    this.deps.ft.off("transfer-started", onStart);
    this.deps.ft.off("transfer-resumed", onStart);
    if (this.current !== transfer) return; // withdrawn (confirm-timeout, cancel)
    this.current = undefined;
    if (final.type === "completed") return this.apply({ type: "completed" });
    if (final.type === "interrupted") {
      if (this.state.phase === "re-offering" && this.lastSid !== transfer.sid) return this.notReached(true, final.reason ?? "interrupted");
      this.lastSid ??= transfer.sid;
      return this.apply({ type: "interrupted", offset: final.offset, reason: final.reason ?? "interrupted" });
    }
    if (final.type === "declined" && this.state.phase === "re-offering") return this.apply({ type: "declined", reason: `declined: ${(final.reason ?? "").replace(/^decline: /, "")}` });
    this.apply({ type: "give-up", reason: final.type === "declined" ? `declined: ${final.reason ?? ""}` : final.reason ?? final.type });
  }

  /** The receiver could not be reached (offline, no device answered, the offer bounced). */
  private notReached(isReOffer: boolean, reason: string): void {
    this.notReachedWhy = reason;
    if (!isReOffer) {
      // step 102 failed at once: the same as an interruption at byte 0
      this.state = { phase: "transferring", offset: 0, attempt: this.state.phase === "transferring" ? this.state.attempt : 0 };
      return this.apply({ type: "interrupted", offset: 0, reason });
    }
    if (this.state.phase !== "re-offering") return;
    // within confirm-timeout: look again in a moment; the confirm timer decides when to stop
    this.clock.setTimeout(() => {
      if (this.state.phase === "re-offering") void this.offer(true);
    }, RE_LOCATE_MS);
  }

  private clearTimers(): void {
    this.clock.clearTimeout(this.confirmTimer);
    this.clock.clearTimeout(this.reconnectTimer);
  }
}

export function retransfer(deps: RetransferDeps, to: string, local: LocalFile, options: RecoveryOptions, more: { extensions?: Element[]; continues?: string } = {}): Retransfer {
  return new Retransfer(deps, to, local, options, more.extensions, more.continues).start();
}
