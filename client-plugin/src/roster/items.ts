// RFC 6121 §2: the roster, as pure data. Who counts as a contact is decided here, once, for every
// policy that asks (which offers are taken, whose vouch counts, who may learn where we are).
// https://www.rfc-editor.org/rfc/rfc6121#section-2
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { bare } from "@xft/protocol/xml/jid.js";

export const NS_ROSTER = "jabber:iq:roster";

export type Subscription = "none" | "to" | "from" | "both";

export interface RosterItem {
  /** bare JID, lower-cased (RFC 6121 §2.1.2.1: the item's JID is a bare JID) */
  jid: string;
  subscription: Subscription;
  /** we asked to see their presence and they have not answered (§2.1.2.2) */
  pending: boolean;
}

export type Roster = ReadonlyMap<string, RosterItem>;

export const emptyRoster: Roster = new Map();

const SUBSCRIPTIONS: readonly string[] = ["none", "to", "from", "both"];

export function makeRosterGet(): Element {
  return xml("iq", { type: "get" }, xml("query", { xmlns: NS_ROSTER }));
}

/**
 * The items of a roster result or push. `remove` (§2.1.2.5, only in pushes) is kept apart so a
 * push can delete; an item with an unknown subscription value is read as "none", the state that
 * grants nothing.
 */
export function parseRosterItems(query: Element): Array<RosterItem | { jid: string; remove: true }> {
  const items: Array<RosterItem | { jid: string; remove: true }> = [];
  for (const item of query.getChildren("item")) {
    const raw = String(item.attrs.jid ?? "");
    if (raw === "" || raw.includes("/")) continue; // not a bare JID: not a roster item
    const jid = bare(raw);
    const sub = String(item.attrs.subscription ?? "none");
    if (sub === "remove") items.push({ jid, remove: true });
    else items.push({ jid, subscription: (SUBSCRIPTIONS.includes(sub) ? sub : "none") as Subscription, pending: item.attrs.ask === "subscribe" });
  }
  return items;
}

/** The roster after a result (replace: true) or a push (§2.1.6: changes only the items it names). */
export function applyRosterItems(roster: Roster, items: ReturnType<typeof parseRosterItems>, replace = false): Roster {
  const next = new Map(replace ? [] : roster);
  for (const item of items) {
    if ("remove" in item) next.delete(item.jid);
    else next.set(item.jid, item);
  }
  return next;
}

/**
 * A contact: someone the user put in the roster and answered or asked for a subscription with
 * (to, from or both). An item with "none" and no pending request is a name the server keeps,
 * not a decision of the user's, so it grants nothing.
 */
export function isContact(roster: Roster, jid: string): boolean {
  const item = roster.get(bare(jid));
  return item !== undefined && (item.subscription !== "none" || item.pending);
}

/** They may see our presence (RFC 6121 §3: subscription "from" or "both"): the user approved it. */
export function seesOurPresence(roster: Roster, jid: string): boolean {
  const item = roster.get(bare(jid));
  return item?.subscription === "from" || item?.subscription === "both";
}

/**
 * §2.1.6: a roster push comes from the user's own account (no 'from', or our bare JID). A push
 * from anyone else is a forgery and changes nothing (answered with service-unavailable, as a
 * client that has no such handler would).
 */
export function isTrustedPush(iqFrom: string | undefined, ourJid: string): boolean {
  return iqFrom === undefined || iqFrom === "" || bare(iqFrom) === bare(ourJid);
}
