// Which online resource of a bare JID gets the file offer, when all the user typed was the bare
// JID (issue 13 item 4): desktop clients such as Dino and Gajim ignore XEP-0353 file proposals,
// so their presence (and XEP-0115 caps or XEP-0030 disco#info) is the only way to find them.
// Pure: the presence cache and the disco queries (presence/*.ts) feed it.
import { bare, NS_JINGLE_FT, NS_JINGLE_IBB } from "@xft/protocol";

/** What we need a resource to speak: XEP-0234 v0.19 file transfer over a transport we have (XEP-0261 IBB). */
export const REQUIRED_FEATURES: readonly string[] = [NS_JINGLE_FT, NS_JINGLE_IBB];

export interface Candidate {
  /** full JID */
  jid: string;
  /** RFC 6121 §4.7.2.3: -128..127, 0 when absent */
  priority: number;
  /** when its latest presence was sent (ms; cache.ts: its delay stamp, else its arrival) */
  since: number;
  /** order of arrival of its latest presence, for equal `since`: higher is more recent */
  seen: number;
  /** it did not take an earlier offer of this file (an error, no answer): others go first */
  refused?: boolean;
  /** its features (caps or disco#info); "pending" while being asked; "unknown" when the answer was an error or none came */
  features: readonly string[] | "pending" | "unknown";
}

export type Choice =
  | { type: "chosen"; jid: string }
  /** a resource still being asked could be better than any known one: wait for its answer */
  | { type: "pending" }
  | { type: "none"; reason: "no-presence" | "no-support" };

export const supportsFileTransfer = (features: Candidate["features"]): boolean =>
  Array.isArray(features) && REQUIRED_FEATURES.every((f) => features.includes(f));

/** Best first: not refused before, higher priority, then the more recent presence. */
const better = (a: Candidate, b: Candidate) =>
  Number(a.refused ?? false) - Number(b.refused ?? false) || b.priority - a.priority || b.since - a.since || b.seen - a.seen;

/**
 * Best = supports file transfer over IBB, then one that did not refuse this file already (a
 * client that announces file transfer and answers an error, or nothing, is tried last, and
 * still tried when it is the only one), then highest priority, then most recent presence.
 * A resource whose features are not known yet is waited for only while it could beat the best
 * known one; one that could not answer counts as not supporting (it cannot take the offer either).
 */
export function chooseResource(candidates: readonly Candidate[]): Choice {
  if (candidates.length === 0) return { type: "none", reason: "no-presence" };
  for (const c of [...candidates].sort(better)) {
    if (c.features === "pending") return { type: "pending" };
    if (supportsFileTransfer(c.features)) return { type: "chosen", jid: c.jid };
  }
  return { type: "none", reason: "no-support" };
}

/** The sentence a user reads when no resource of `to` can be offered the file. */
export function noResourceReason(to: string, reason: "no-presence" | "no-support"): string {
  return reason === "no-presence"
    ? `${bare(to)} is not online (no presence seen)`
    : `no online resource of ${bare(to)} supports Jingle file transfer over IBB`;
}
