// Caps on the sessions in which we receive (issue 12 item 7): every offer we take costs a
// session, a part file and its descriptor until the sender sends its bytes or the session
// stalls, so an account that offers faster than it sends (2000 offers in 1.6 s, no byte) would
// exhaust descriptors and litter the receive directory. An offer past a cap is refused in the
// session-initiate's IQ error with resource-constraint, type wait (RFC 6120 §8.3.3.18: the
// recipient lacks the resources now; the sender may retry later), before any session exists.
//
// Counted per peer (bare JID: all devices of one account are one peer), so one account cannot
// use up the total; and the total keeps `reservedForTrusted` sessions that only trusted peers
// (the user's roster contacts, told by the application) may take, so that strangers as a group,
// however many accounts they use, stop at total - reservedForTrusted and a contact's offer still
// gets through while they flood.
//
// An offer nobody answers (the application never accepts or declines it) would hold its slot for
// ever: it is declined after offerTimeout, with a Jingle <decline/> and the transfer-declined event.
import { resourceConstraint } from "../errors/stanza-error.js";
import { bare } from "../xml/jid.js";

export interface AdmissionOptions {
  /** pending and running receiving sessions one peer (bare JID) may have; default 8 */
  maxOffersPerPeer?: number;
  /** pending and running receiving sessions of all peers together; default 64 */
  maxOffers?: number;
  /** of maxOffers, the sessions kept for trusted peers (isTrustedPeer): the others together stop
   *  at maxOffers - reservedForTrusted; default 16 */
  reservedForTrusted?: number;
  /** whether a peer (bare JID) is trusted, e.g. a roster contact; default nobody (the client
   *  plugin passes its roster's contacts) */
  isTrustedPeer?: (peer: string) => boolean;
  /** seconds an offer may stay unanswered (neither accepted nor declined) before it is declined;
   *  0: never. Default 120 */
  offerTimeout?: number;
}

export const ADMISSION_DEFAULTS = {
  maxOffersPerPeer: 8, maxOffers: 64, reservedForTrusted: 16, offerTimeout: 120,
  isTrustedPeer: ((): boolean => false) as (peer: string) => boolean,
};

export interface AdmissionLimits {
  /** pending and running receiving sessions one peer (bare JID) may have at once */
  perPeer: number;
  /** pending and running receiving sessions of all peers together */
  total: number;
  /** of total, the sessions only trusted peers may use; 0: none kept */
  reservedForTrusted: number;
}

/** Pending and running receiving sessions, before the offer being judged. */
export interface AdmissionCounts {
  /** of the offering peer (its bare JID) */
  fromPeer: number;
  /** of everyone */
  total: number;
  /** of peers not trusted */
  untrusted: number;
}

export type Admission = { ok: true } | { ok: false; refuse: string };

export function admitOffer(counts: AdmissionCounts, limits: AdmissionLimits, trusted: boolean): Admission {
  if (counts.fromPeer >= limits.perPeer) {
    return { ok: false, refuse: `too many open file offers from you (${limits.perPeer}): wait until one of them ends` };
  }
  if (counts.total >= limits.total) return { ok: false, refuse: `too many open file offers (${limits.total}): try again later` };
  const forUntrusted = Math.max(0, limits.total - limits.reservedForTrusted);
  if (!trusted && counts.untrusted >= forUntrusted) {
    return { ok: false, refuse: `too many open file offers from senders who are not contacts (${forUntrusted}): try again later` };
  }
  return { ok: true };
}

/** A session as admission sees it (the engine's own sessions have this shape). */
export interface SessionShape {
  state: { phase: string; ctx: { peer: string; sending: boolean } };
}

/** The counts of admitOffer for an offer from `peer` (bare JID): the receiving sessions not ended
 *  (an offer we got, or a pull we started), by bare JID. */
export function countReceiving(sessions: Iterable<SessionShape>, peer: string, isTrusted: (peer: string) => boolean): AdmissionCounts {
  const counts: AdmissionCounts = { fromPeer: 0, total: 0, untrusted: 0 };
  const trust = new Map<string, boolean>(); // asked once per peer, not once per session
  for (const { state } of sessions) {
    if (state.phase === "ended" || state.ctx.sending) continue;
    const from = bare(state.ctx.peer);
    counts.total++;
    if (from === peer) counts.fromPeer++;
    let trusted = trust.get(from);
    if (trusted === undefined) trust.set(from, (trusted = isTrusted(from)));
    if (!trusted) counts.untrusted++;
  }
  return counts;
}

export const limitsOf = (o: Required<AdmissionOptions>): AdmissionLimits =>
  checkLimits({ perPeer: o.maxOffersPerPeer, total: o.maxOffers, reservedForTrusted: o.reservedForTrusted });

/** Throws the IQ error for an offer from `peer` (bare JID) past a cap, given our sessions. */
export function refuseOverCaps(sessions: Iterable<SessionShape>, peer: string, options: Required<AdmissionOptions>): void {
  const admission = admitOffer(countReceiving(sessions, peer, options.isTrustedPeer), limitsOf(options), options.isTrustedPeer(peer));
  if (!admission.ok) throw resourceConstraint(admission.refuse);
}

/** Declines an offer still unanswered after `seconds` (0: never); the timer keeps no process alive. */
export function declineUnanswered(seconds: number, stillPending: () => boolean, decline: (reason: string) => void): void {
  if (seconds <= 0) return;
  setTimeout(() => {
    if (stillPending()) decline(`the offer was not answered within ${seconds} s`);
  }, seconds * 1000).unref();
}

export function checkLimits(limits: AdmissionLimits): AdmissionLimits {
  for (const [name, v] of Object.entries(limits)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`${name} must be a whole number >= 0, not ${v}`);
  }
  if (limits.perPeer < 1 || limits.total < 1) throw new RangeError("the caps on receiving sessions must be at least 1");
  if (limits.reservedForTrusted >= limits.total) throw new RangeError(`reservedForTrusted (${limits.reservedForTrusted}) must be below the total cap (${limits.total})`);
  return limits;
}
