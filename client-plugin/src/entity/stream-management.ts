// XEP-0198: Stream Management, v1.6.x, for our client entity: acks in both directions and
// stream resumption. https://xmpp.org/extensions/xep-0198.html
//
// Ours rather than @xmpp/stream-management 0.14, which counts wrong (SERVERS.md): its counter is
// a middleware registered after iqCaller's, so the iq results iqCaller takes are never counted;
// and it resets 'h' a few microtasks after <enabled/> arrived, so a stanza parsed from the same
// socket read as <enabled/> is counted and then wiped.
//
// Where counting happens, and why it is exact:
// - Inbound 'h' (§4): our listener is prepended to the entity's "element" event, which the
//   parser emits once per top-level element, in stream order, synchronously. Every stanza is
//   counted there, before the middleware (iqCaller, iqCallee, stream features) sees it, whoever
//   then consumes it. <enabled/> and <resumed/> are handled in the same listener, so the counter
//   starts exactly between the element before them and the element after them.
// - Outbound (§4): the entity's "send" event fires once per element after its bytes went to the
//   socket, in write order (@xmpp/connection writes in call order; a socket's write callbacks run
//   in order). Our count starts at the "send" of <enable/>: exactly the stanzas after it on the
//   wire, which is where the server starts its own count. A stanza whose write failed never
//   reached the server and is not counted (its sender got the error).
// Pure parts (what is a stanza, mod 2^32 arithmetic, the queue) are in stream-management-core.ts.
import { EventEmitter } from "node:events";
import type { Element } from "ltx/lib/ltx.js";
import {
  NS_SM, addH, applyAck, isStanza, makeAck, makeEnable, makeRequest, makeResume, parseEnabled,
  parseFailed, parseH, sentH, type AckProblem, type Enabled,
} from "./stream-management-core.js";
import type { Status, StreamFeatures, XmppEntity } from "./types.js";

export interface StreamManagementOptions {
  /** ask for a resumable session (§5); default true */
  resume?: boolean;
  /** preferred maximum resumption time in seconds, sent in <enable max/>; default: the server's */
  max?: number;
  /** send <r/> once this many stanzas went out since the last one; default 50 */
  requestAckEvery?: number;
  /** send <r/> when a stanza has waited this long (ms) without one; default 1000 */
  requestAckAfter?: number;
  /** no <a/> this long (ms) after an <r/>: the connection is dead, its socket is destroyed
   *  (a reconnect then resumes); 0: never; default 60000 */
  ackTimeout?: number;
  /** unacked stanzas kept for re-sending; one more and the connection counts as dead, as with
   *  ackTimeout; default 10000 */
  maxUnacked?: number;
  /** ms for the server to answer the <r/> we send right after <resumed/>. No answer: the resumed
   *  stream is broken (Prosody 0.12 feeds the new connection into the old connection's XML
   *  parser, which a connection that died mid-stanza left inside that stanza), so the session is
   *  abandoned and the next connect binds a new one; 0: never; default 3000 */
  resumeAckTimeout?: number;
}

const DEFAULTS = {
  resume: true,
  requestAckEvery: 50,
  requestAckAfter: 1000,
  ackTimeout: 60_000,
  maxUnacked: 10_000,
  resumeAckTimeout: 3000,
} satisfies StreamManagementOptions;

/** Options with defaults, bounds checked (a bad value is a programming error: thrown at creation). */
export function smOptions(options: StreamManagementOptions = {}): Required<Omit<StreamManagementOptions, "max">> & { max?: number } {
  const o = { ...DEFAULTS, ...options };
  const check = (name: keyof StreamManagementOptions, min: number) => {
    const v = o[name] as number | undefined;
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) {
      throw new RangeError(`streamManagement.${name} must be an integer >= ${min}, got ${v}`);
    }
  };
  check("max", 1);
  check("requestAckEvery", 1);
  check("requestAckAfter", 1);
  check("ackTimeout", 0);
  check("maxUnacked", 1);
  check("resumeAckTimeout", 0);
  return o;
}

export interface InvalidAck {
  /** "malformed": no decimal unsignedInt in 'h' */
  problem: AckProblem | "malformed";
  /** the raw 'h' attribute */
  value: unknown;
  /** the server's previous 'h' and our count of sent stanzas */
  lastAcked: number;
  sent: number;
  /** the element it came in: <a/>, <resumed/> or <failed/> */
  element: string;
}

/**
 * Events (xmpp.js style):
 * - "enabled" (Enabled): <enabled/> processed; counters at 0
 * - "ack" (stanza): the server acknowledged this stanza (once per stanza, in order)
 * - "resumed" ({ h, resent }): the old session continues; `resent` stanzas were written again
 * - "fail" (stanzas, reason): these stanzas were sent but never acknowledged and the session that
 *   carried them is gone (resumption failed, not offered, or the client went offline). Emitted once
 *   the replacement session is online (so they can be sent again at once), or on "offline".
 * - "invalid-ack" (InvalidAck): the server sent an 'h' that cannot be right (a server bug): it is
 *   ignored, the stream goes on
 * - "timeout" ({ reason, unacked }): no ack in time or too many unacked; the socket is destroyed.
 *   reason "resume-unacked": a resumed stream that never answered; the session is abandoned too
 */
export interface StreamManagement extends EventEmitter {
  /** SM is on for the current stream (after <enabled/> or <resumed/>) */
  readonly enabled: boolean;
  /** resumption id of the current or last session; "" if it cannot be resumed */
  readonly id: string;
  /** our 'h': stanzas received since <enabled/>, mod 2^32 */
  readonly inbound: number;
  /** stanzas sent since <enable/>, mod 2^32 */
  readonly outbound: number;
  /** the server's last 'h' */
  readonly acked: number;
  /** sent and not yet acknowledged, oldest first */
  readonly unacked: readonly Element[];
  /** sends <r/>; resolves with the 'h' of the <a/> that answers it (the server's count of our
   *  stanzas up to the <r/>; an unsolicited <a/> from the server would be taken for an answer) */
  requestAck(): Promise<number>;
}

export function streamManagement(
  { entity, streamFeatures }: { entity: XmppEntity; streamFeatures: StreamFeatures },
  options: StreamManagementOptions = {},
): StreamManagement {
  const sm = new SessionManager(entity, smOptions(options));
  // Prepended: the first listeners, before the middleware (and so before iqCaller) sees anything.
  entity.prependListener("element", (el: Element) => sm.received(el));
  // a stanza the parser refused for a cap (transport.ts) was sent by the server all the same
  entity.on("stanza-refused", (el: Element) => sm.received(el));
  entity.prependListener("send", (el: Element) => sm.sent(el));
  entity.prependListener("status", (status: Status) => sm.status(status));
  // §7: tell the server what we handled before we close the stream.
  entity.hook("close", () => sm.closing());
  // Handled before resource binding (registered before it): resumption replaces binding.
  streamFeatures.use("sm", NS_SM, (_ctx, next) => sm.feature(next));
  return sm;
}

type ResumeOutcome = "resumed" | "failed" | "gone";

class SessionManager extends EventEmitter implements StreamManagement {
  id = "";
  inbound = 0;
  acked = 0;
  private items: Element[] = [];
  /** set at the "send" of <enable/> (or <resumed/>): stanzas written from then on are counted */
  private counting = false;
  /** <enable/> written, waiting for <enabled/> */
  private enabling = false;
  enabled = false;
  /** this stream's features offered SM */
  private offered = false;
  private resuming?: (outcome: ResumeOutcome) => void;
  /** queued stanzas being written again after <resumed/>: their "send" must not queue them twice */
  private readonly resending = new Set<Element>();
  /** stanzas of a session that is gone, reported ("fail") once the next one is online */
  private lost: Element[] = [];
  private lostReason = "";
  private sinceRequest = 0;
  private requestTimer?: NodeJS.Timeout;
  private ackTimer?: NodeJS.Timeout;
  /** running from <resumed/> until the first <a/> on the resumed stream */
  private probeTimer?: NodeJS.Timeout;
  /** <r/> sent and <a/> received on this stream: the n-th <a/> answers the n-th <r/> (§4) */
  private requests = 0;
  private answers = 0;
  private ackWaiters: { request: number; resolve(h: number): void; reject(err: Error): void }[] = [];

  constructor(private readonly entity: XmppEntity, private readonly options: ReturnType<typeof smOptions>) {
    super();
  }

  get outbound(): number {
    return sentH(this.queue);
  }

  private get queue() {
    return { acked: this.acked, items: this.items };
  }

  get unacked(): readonly Element[] {
    return this.items;
  }

  requestAck(): Promise<number> {
    if (!this.enabled) return Promise.reject(new Error("stream management is not enabled"));
    this.sendRequest();
    const request = this.requests;
    return new Promise<number>((resolve, reject) => this.ackWaiters.push({ request, resolve, reject }));
  }

  // --- the entity's events ----------------------------------------------------------------------

  received(el: Element): void {
    if (isStanza(el)) {
      if (this.enabled) this.inbound = addH(this.inbound);
      return;
    }
    if (el.getNS() !== NS_SM) return;
    switch (el.name) {
      case "r": // §4: answer at once with what we handled so far
        if (this.enabled) this.send(makeAck(this.inbound));
        break;
      case "a":
        if (this.enabled) this.onAck(el);
        break;
      case "enabled":
        if (this.enabling) this.onEnabled(parseEnabled(el));
        break;
      case "resumed":
        if (this.resuming) this.onResumed(el);
        break;
      case "failed":
        if (this.resuming) this.onResumeFailed(el);
        else if (this.enabling) {
          // §3: no SM on this stream. What went out since <enable/> went out as without SM.
          this.stopCounting();
          this.items = [];
        }
        break;
    }
  }

  sent(el: Element): void {
    if (el.name === "enable" && el.getNS() === NS_SM) {
      // §4: "The counter for an entity's own sent stanzas is set to zero and started after
      // sending either <enable/> or <enabled/>." (Nothing is queued here: the "online" that sent
      // it abandoned the old session's queue, and counting was off since the last disconnect.)
      this.acked = 0;
      this.items = [];
      this.sinceRequest = 0;
      this.counting = true;
      return;
    }
    if (!this.counting || !isStanza(el)) return;
    if (this.resending.delete(el)) return; // still queued where it was
    this.items.push(el);
    if (this.items.length > this.options.maxUnacked) return this.dead("queue-full");
    if (++this.sinceRequest >= this.options.requestAckEvery) this.sendRequest();
    else this.scheduleRequest();
  }

  status(status: Status): void {
    switch (status) {
      case "open": // a new stream (also after SASL): its features tell whether SM is offered
        this.offered = false;
        break;
      case "online": // emitted after resource binding only: a new session, never a resumed one
        this.id = "";
        this.abandon("new session");
        if (this.offered) {
          // Written now, before anyone awaiting start() or "online" can send: every stanza of the
          // new session is then covered. §3: not before binding completed, which it just has.
          this.enabling = true;
          this.send(makeEnable({ resume: this.options.resume, max: this.options.max }));
        }
        this.reportLost();
        break;
      case "disconnect": // the socket is gone; id, inbound and the queue are kept for <resume/>
        this.stopCounting();
        this.resuming?.("gone");
        break;
      case "offline": // stop(): the session is over
        this.stopCounting();
        this.resuming?.("gone");
        this.abandon("offline");
        this.reportLost();
        this.id = "";
        this.inbound = 0;
        this.acked = 0;
        break;
    }
  }

  async closing(): Promise<void> {
    if (this.enabled) await this.entity.send(makeAck(this.inbound)).catch(() => undefined);
  }

  async feature(next: () => Promise<unknown>): Promise<unknown> {
    this.offered = true;
    if (this.id && this.options.resume) {
      const outcome = await new Promise<ResumeOutcome>((resolve) => {
        this.resuming = resolve;
        // §5: the 'h' of what we handled on the old stream; the server answers with its own
        this.entity.send(makeResume(this.id, this.inbound)).catch(() => resolve("gone"));
      });
      this.resuming = undefined;
      if (outcome !== "failed") return; // resumed (no binding), or the connection is gone
    }
    return next(); // resource binding; "online" then sends <enable/>
  }

  // --- SM elements --------------------------------------------------------------------------------

  private onEnabled(info: Enabled): void {
    this.enabling = false;
    this.enabled = true;
    this.inbound = 0; // §4: the counter for received stanzas starts at <enabled/>
    this.id = this.options.resume ? info.id : "";
    this.emit("enabled", info);
    this.afterAck();
  }

  private onAck(el: Element): void {
    clearTimeout(this.ackTimer); // any <a/> shows the connection is alive
    clearTimeout(this.probeTimer);
    this.ackTimer = this.probeTimer = undefined;
    const h = this.parseH(el);
    if (h === undefined) return;
    this.ack(h, "a"); // an impossible 'h' changes nothing (and is reported)
    this.answers++;
    while (this.ackWaiters.length && this.ackWaiters[0].request <= this.answers) this.ackWaiters.shift()!.resolve(h);
    this.afterAck();
  }

  /** Drops what `h` acknowledges, or reports why `h` cannot be right. */
  private ack(h: number, element: string): AckProblem | undefined {
    const result = applyAck(this.queue, h);
    if (!result.ok) {
      const { problem, lastAcked, sent } = result;
      this.emit("invalid-ack", { problem, value: String(h), lastAcked, sent, element } satisfies InvalidAck);
      return problem;
    }
    this.acked = result.queue.acked;
    this.items = result.queue.items;
    for (const stanza of result.acked) this.emit("ack", stanza);
    return undefined;
  }

  private parseH(el: Element): number | undefined {
    const h = parseH(el.attrs.h);
    if (h === undefined) {
      const info: InvalidAck = { problem: "malformed", value: el.attrs.h, lastAcked: this.acked, sent: this.outbound, element: el.name };
      this.emit("invalid-ack", info);
    }
    return h;
  }

  private onResumed(el: Element): void {
    const h = this.parseH(el);
    const problem = h === undefined ? undefined : this.ack(h, "resumed");
    if (h !== undefined && problem) {
      // A server bug. Its count is what it goes on from: take it. If it claims more than we sent,
      // nothing is re-sent; if it went back, what it lost before its last ack we no longer hold.
      if (problem === "too-high") this.items = [];
      this.acked = h;
    }
    this.enabled = true; // inbound goes on from the 'h' we sent in <resume/>
    this.counting = true;
    this.sinceRequest = 0;
    const resend = [...this.items];
    for (const stanza of resend) this.resending.add(stanza);
    // Probe the resumed stream before anything else: its answer comes after one round trip,
    // however long the re-sent queue is.
    this.sendRequest();
    if (this.options.resumeAckTimeout) {
      this.probeTimer = setTimeout(() => this.dead("resume-unacked"), this.options.resumeAckTimeout).unref();
    }
    // §5: stanzas the server did not handle are sent again, before anything new
    if (resend.length) this.entity.sendMany(resend).catch(() => undefined);
    this.entity._ready(true);
    this.emit("resumed", { h: this.acked, resent: resend.length });
    this.resuming?.("resumed");
    if (resend.length) this.sendRequest();
  }

  private onResumeFailed(el: Element): void {
    const failed = parseFailed(el);
    // §5: <failed h/> says what the server handled on the old stream: that much is not lost.
    if (failed.h !== undefined) this.ack(failed.h, "failed");
    this.lostReason = `resumption failed: ${failed.condition}`;
    this.abandon(this.lostReason);
    this.id = "";
    this.resuming?.("failed");
  }

  // --- acks we ask for ----------------------------------------------------------------------------

  private sendRequest(): void {
    if (!this.enabled) return; // once <enabled/> arrives, afterAck() asks
    clearTimeout(this.requestTimer);
    this.requestTimer = undefined;
    this.sinceRequest = 0;
    this.send(makeRequest());
    this.requests++;
    if (this.options.ackTimeout && !this.ackTimer) {
      this.ackTimer = setTimeout(() => this.dead("ack-timeout"), this.options.ackTimeout).unref();
    }
  }

  private scheduleRequest(): void {
    if (this.requestTimer || !this.enabled) return;
    this.requestTimer = setTimeout(() => {
      this.requestTimer = undefined;
      if (this.items.length) this.sendRequest();
    }, this.options.requestAckAfter).unref();
  }

  /** After <a/> or <enabled/>: ask about what is still unacked, now or in a while. */
  private afterAck(): void {
    if (this.sinceRequest >= this.options.requestAckEvery) this.sendRequest();
    else if (this.items.length) this.scheduleRequest();
  }

  /** The server does not ack: the connection is as good as dead. Destroying the socket (not
   *  closing the stream, which would end the session) leaves the session resumable. */
  private dead(reason: "ack-timeout" | "queue-full" | "resume-unacked"): void {
    this.emit("timeout", { reason, unacked: this.items.length });
    // resuming a stream that did not work once would resume the same broken one
    if (reason === "resume-unacked") {
      this.id = "";
      this.lostReason ||= "the resumed stream did not answer";
    }
    this.entity.socket?.destroy();
  }

  // --- helpers -----------------------------------------------------------------------------------

  private send(el: Element): void {
    this.entity.send(el).catch(() => undefined); // a dead socket shows as "disconnect"
  }

  private stopCounting(): void {
    this.enabled = false;
    this.enabling = false;
    this.counting = false;
    clearTimeout(this.requestTimer);
    clearTimeout(this.ackTimer);
    clearTimeout(this.probeTimer);
    this.requestTimer = this.ackTimer = this.probeTimer = undefined;
    for (const waiter of this.ackWaiters.splice(0)) waiter.reject(new Error("stream management stopped"));
    this.requests = this.answers = 0;
  }

  /** The session that carried the queued stanzas is gone: they are lost, to be reported. */
  private abandon(reason: string): void {
    if (this.items.length) {
      this.lost.push(...this.items);
      if (!this.lostReason) this.lostReason = reason;
    }
    this.items = [];
    this.resending.clear();
  }

  private reportLost(): void {
    const lost = this.lost;
    const reason = this.lostReason;
    this.lost = [];
    this.lostReason = "";
    if (lost.length) this.emit("fail", lost, reason);
  }
}
