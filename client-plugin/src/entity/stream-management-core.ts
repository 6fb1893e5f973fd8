// XEP-0198: Stream Management, v1.6.x — the pure parts: what counts as a stanza, the 'h'
// arithmetic modulo 2^32, the queue of unacknowledged stanzas, and the SM elements.
// https://xmpp.org/extensions/xep-0198.html
// No I/O and no clock here: stream-management.ts wires these to the connection.
import { createElement as xml, type Element } from "ltx/lib/ltx.js";

export const NS_SM = "urn:xmpp:sm:3";
export const NS_CLIENT = "jabber:client";

/** §4: 'h' is an xs:unsignedInt and wraps to 0 after 2^32 - 1. */
export const H_MODULUS = 2 ** 32;

// --- what is counted -------------------------------------------------------------------------

/**
 * §4: 'h' counts stanzas: <iq/>, <message/>, <presence/> in the stream's namespace (jabber:client),
 * whatever their type, whoever handles them. SM's own elements (<r/>, <a/>, <enabled/>, ... in
 * urn:xmpp:sm:3), stream features, SASL and stream errors are nonzas and are not counted.
 * A top-level stanza carries no xmlns (it inherits the stream's) or jabber:client itself.
 */
export function isStanza(el: Element): boolean {
  if (el.name !== "iq" && el.name !== "message" && el.name !== "presence") return false;
  const ns = el.attrs.xmlns;
  return ns === undefined || ns === NS_CLIENT;
}

// --- 'h' arithmetic ---------------------------------------------------------------------------

/** h + n modulo 2^32 (n >= 0). */
export function addH(h: number, n = 1): number {
  return (h + n) % H_MODULUS;
}

/** How many steps from `from` forward to `to`, modulo 2^32: 0 .. 2^32 - 1. */
export function hDistance(from: number, to: number): number {
  return (((to - from) % H_MODULUS) + H_MODULUS) % H_MODULUS;
}

/** An 'h' attribute: a decimal xs:unsignedInt (0 .. 2^32 - 1), else undefined. */
export function parseH(value: unknown): number | undefined {
  if (typeof value !== "string" || !/^[0-9]{1,10}$/.test(value)) return undefined;
  const h = Number(value);
  return h < H_MODULUS ? h : undefined;
}

// --- the unacknowledged outbound queue ----------------------------------------------------------

/**
 * What we sent and the peer has not acknowledged yet. `acked` is the peer's last 'h' (stanzas it
 * handled, mod 2^32); `items` follow it in the order they were written. Our own count of sent
 * stanzas is therefore acked + items.length (sentH).
 */
export interface Unacked<T> {
  readonly acked: number;
  readonly items: readonly T[];
}

export function emptyQueue<T>(acked = 0): Unacked<T> {
  return { acked, items: [] };
}

/** Our count of stanzas sent on this SM session, mod 2^32: what a correct peer's 'h' can reach. */
export function sentH(q: Unacked<unknown>): number {
  return addH(q.acked, q.items.length);
}

export type AckProblem =
  /** §4: h is more than we sent (XEP-0198 1.6: <handled-count-too-high/>): a peer bug */
  | "too-high"
  /** h is lower than an 'h' the peer already gave: it un-handled stanzas (also a peer bug) */
  | "backwards";

export type AckResult<T> =
  | { ok: true; queue: { acked: number; items: T[] }; acked: T[] }
  | { ok: false; problem: AckProblem; h: number; lastAcked: number; sent: number };

/**
 * The peer says it handled `h` stanzas: the first hDistance(acked, h) queued items are done.
 * An 'h' that would ack more than we have queued is either beyond what we sent or behind the
 * previous 'h' (modulo 2^32 they look alike; a step of more than 2^31 is read as going back).
 * Such an ack changes nothing: the caller reports it.
 */
export function applyAck<T>(q: Unacked<T>, h: number): AckResult<T> {
  const n = hDistance(q.acked, h);
  if (n > q.items.length) {
    return { ok: false, problem: n >= H_MODULUS / 2 ? "backwards" : "too-high", h, lastAcked: q.acked, sent: sentH(q) };
  }
  return { ok: true, queue: { acked: h, items: q.items.slice(n) }, acked: q.items.slice(0, n) };
}

// --- elements ---------------------------------------------------------------------------------

/** §3: enable after resource binding; resume="true" asks for a resumable session, max in seconds. */
export function makeEnable({ resume = true, max }: { resume?: boolean; max?: number } = {}): Element {
  return xml("enable", { xmlns: NS_SM, resume: resume ? "true" : undefined, max: max === undefined ? undefined : String(max) });
}

/** §5: <resume/> carries the 'h' of the stanzas we handled from the server on the old stream. */
export function makeResume(previd: string, h: number): Element {
  return xml("resume", { xmlns: NS_SM, previd, h: String(h) });
}

export function makeAck(h: number): Element {
  return xml("a", { xmlns: NS_SM, h: String(h) });
}

export function makeRequest(): Element {
  return xml("r", { xmlns: NS_SM });
}

const isTrue = (v: unknown) => v === "true" || v === "1"; // xs:boolean

export interface Enabled {
  /** resumption id, "" when the server did not allow resumption */
  id: string;
  resume: boolean;
  /** the server's maximum resumption time, s */
  max?: number;
  /** where to reconnect for resumption (§5); we reconnect to the same service */
  location?: string;
}

export function parseEnabled(el: Element): Enabled {
  const resume = isTrue(el.attrs.resume) && typeof el.attrs.id === "string" && el.attrs.id !== "";
  const max = parseH(el.attrs.max);
  return {
    id: resume ? el.attrs.id : "",
    resume,
    ...(max !== undefined && { max }),
    ...(typeof el.attrs.location === "string" && { location: el.attrs.location }),
  };
}

export interface Failed {
  /** §6: a defined condition (urn:ietf:params:xml:ns:xmpp-stanzas), e.g. item-not-found */
  condition: string;
  /** §5 (1.5.2+): stanzas the server handled on the old stream, when it still knows */
  h?: number;
}

export function parseFailed(el: Element): Failed {
  const condition = el.getChildElements()[0]?.name ?? "undefined-condition";
  const h = parseH(el.attrs.h);
  return h === undefined ? { condition } : { condition, h };
}
