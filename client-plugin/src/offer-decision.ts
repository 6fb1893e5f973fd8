// Which incoming file offers a receiver takes by itself, which it asks the application about, and
// which it declines: one pure decision, used by the plugin for every offer (the CLI passes its
// policy in and decides nothing again). Issue 12 items 5 and 8.
//
// Without asking it takes only what the user already chose: the rest of a file he accepted
// (FIG. 2 steps 204-205, the auto-receive option) and a file a contact left for him at a store he
// trusts. A new file is the policy's call: the application asks the user (the plugin's default),
// or a receiver with nobody to ask (`xft receive`) takes it only from the senders it was told
// to, by default the user's roster contacts. A stranger must not be able to write to the user's
// disk, or end a receiver, just by knowing his JID.
import { bare } from "@xft/protocol/xml/jid.js";

/** Who may send new files that are taken without asking. */
export type NewFilePolicy =
  /** nobody: each new file is the application's question (the `offer` event) */
  | "ask"
  /** the user's roster contacts, or anyone; `only` narrows either to those bare JIDs */
  | { from: "contacts" | "anyone"; only?: readonly string[] };

export interface OfferFacts {
  /** the offering entity (full JID) */
  from: string;
  /** the offer says it continues an earlier session (xep-draft <continues/>) */
  continues: boolean;
  /** bytes of this file from this peer that the download directory already holds (0: none) */
  held: number;
  /** a delivery by a store trusted for this file (the user's own, or one a sender vouched for),
   *  with the <sender/> it names (who left the file), if any */
  storeDelivery?: { sender?: string };
}

export interface OfferContext {
  /** the auto-receive preference */
  autoReceive: boolean;
  /** a download directory is configured: the receiver can take files by itself */
  canStore: boolean;
  /** someone listens for offers to ask (the application); if not, what would be asked is declined */
  canAsk: boolean;
  isContact(jid: string): boolean;
  newFiles: NewFilePolicy;
}

export type OfferDecision =
  /** take it into the download directory; `alsoFrom`: the sender whose own partial copy it may continue */
  | { action: "auto-accept"; reason: string; alsoFrom?: string }
  /** the application decides (the `offer` event) */
  | { action: "ask"; reason: string; continuation: boolean }
  /** answered with a Jingle session-terminate <decline/> carrying the reason */
  | { action: "decline"; reason: string; continuation: boolean };

/** What would be a question becomes a decline when there is nobody to ask. */
function askOrDecline(ctx: OfferContext, reason: string, declineReason: string, continuation = false): OfferDecision {
  return ctx.canAsk ? { action: "ask", reason, continuation } : { action: "decline", reason: declineReason, continuation };
}

/** Whether the policy lets `who` (bare JID; undefined: nobody named) send new files unasked, and if not, why. */
function newFileRefusal(policy: Exclude<NewFilePolicy, "ask">, who: string | undefined, isContact: (jid: string) => boolean): string | undefined {
  if (policy.from === "contacts" && !(who !== undefined && isContact(who))) {
    return who === undefined ? "the store names no sender; new files are taken from contacts only" : "new files are taken from contacts only";
  }
  if (policy.only && !(who !== undefined && policy.only.includes(who))) return "new files are taken from chosen senders only";
  return undefined;
}

export function decideOffer(offer: OfferFacts, ctx: OfferContext): OfferDecision {
  const sender = offer.storeDelivery?.sender !== undefined ? bare(offer.storeDelivery.sender) : undefined;
  // a file a contact left for us at a trusted store: taken like a continuation, at the bytes we
  // hold of it (a part we kept from that contact's own interrupted transfer is continued)
  if (offer.storeDelivery && sender !== undefined && ctx.autoReceive && ctx.canStore && ctx.isContact(sender)) {
    return { action: "auto-accept", reason: `${sender} (a contact) left it at the store`, alsoFrom: sender };
  }
  // the rest of a file the user accepted from this peer before (FIG. 2, steps 203-205)
  if (offer.continues && offer.held > 0) {
    if (ctx.autoReceive && ctx.canStore) return { action: "auto-accept", reason: `continues a file already accepted, from byte ${offer.held}` };
    const why = `${bare(offer.from)} offers the rest of a file from byte ${offer.held}; auto-receive is off`;
    return askOrDecline(ctx, why, "auto-receive is off", true);
  }
  // a new file (a "continuation" of nothing we hold is one too); a store's delivery is judged by
  // who left it, not by the store that carries it
  const who = offer.storeDelivery ? sender : bare(offer.from);
  if (ctx.newFiles === "ask") return askOrDecline(ctx, "a new file: the application decides", "not accepting files");
  const refusal = newFileRefusal(ctx.newFiles, who, ctx.isContact);
  if (refusal) return { action: "decline", reason: refusal, continuation: false };
  if (!ctx.canStore) return askOrDecline(ctx, "no download directory", "not accepting files");
  return { action: "auto-accept", reason: ctx.newFiles.from === "contacts" ? `a new file from ${who} (a contact)` : `a new file from ${who ?? "a store"}` };
}

/**
 * Whom a device may tell that it is online by answering a XEP-0353 proposal (issue 12 item 10):
 * those who see our presence anyway, and, when the user opened new files to anyone
 * (`--accept-from-anyone`), whoever that policy lets send (narrowed by `only`).
 */
export function mayLearnWeAreOnline(policy: NewFilePolicy, jid: string, seesOurPresence: (jid: string) => boolean): boolean {
  if (seesOurPresence(jid)) return true;
  if (policy === "ask" || policy.from !== "anyone") return false;
  return policy.only === undefined || policy.only.length === 0 || policy.only.includes(bare(jid));
}
