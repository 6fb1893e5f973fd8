// The online resources of the JIDs whose presence we receive (RFC 6121 §4: our contacts with a
// subscription, our own other resources, anyone who sent us directed presence), with priority
// and XEP-0115 caps. Read when a file goes to a bare JID (choose.ts). The parse and the update
// are pure; createPresenceCache wires them to the connection.
import { EventEmitter } from "node:events";
import { bare, parseCaps, type XmppPort } from "@xft/protocol";
import type { Element } from "ltx/lib/ltx.js";

export interface Caps {
  hash: string;
  node: string;
  ver: string;
}

export interface ResourcePresence {
  jid: string;
  priority: number;
  /** ms since the epoch this presence was sent: its XEP-0203 delay stamp (servers stamp the
   *  presences they answer a probe with, so the stamp says when the resource came online, and
   *  arrival order does not), else when it arrived */
  since: number;
  /** arrival order of this presence among all we received (ties of `since`: Prosody stamps whole seconds) */
  seen: number;
  caps?: Caps;
}

/** XEP-0203: Delayed Delivery */
const NS_DELAY = "urn:xmpp:delay";

export type PresenceUpdate =
  | { type: "available"; jid: string; priority: number; caps?: Caps; stamp?: number }
  | { type: "unavailable"; jid: string };

/** bare JID -> full JID -> its latest available presence */
export type PresenceState = ReadonlyMap<string, ReadonlyMap<string, ResourcePresence>>;

/**
 * What a presence stanza changes, if anything. Only available and unavailable presence from a
 * full JID tells of a resource (§4.7.1); subscription and error presences do not; an unavailable
 * presence from the bare JID (§4.5.2, the server's answer to a probe) means no resource is online.
 */
export function parsePresenceUpdate(p: Element): PresenceUpdate | undefined {
  const from = String(p.attrs.from ?? "");
  const type = p.attrs.type;
  if (!from) return undefined;
  if (type === "unavailable") return { type: "unavailable", jid: from };
  if (type !== undefined || !from.includes("/")) return undefined;
  // §4.7.2.3: an integer -128..127; anything else is taken as the default 0
  const text = p.getChildText("priority")?.trim() ?? "";
  const n = /^[+-]?\d{1,3}$/.test(text) ? Number(text) : 0;
  const priority = n >= -128 && n <= 127 ? n : 0;
  const caps = parseCaps(p);
  const stamp = Date.parse(String(p.getChild("delay", NS_DELAY)?.attrs.stamp ?? ""));
  return { type: "available", jid: from, priority, ...(caps ? { caps } : {}), ...(Number.isFinite(stamp) ? { stamp } : {}) };
}

export function applyPresence(state: PresenceState, update: PresenceUpdate, seen: number, now: number): PresenceState {
  const key = bare(update.jid);
  const next = new Map(state);
  const resources = new Map(state.get(key) ?? []);
  if (update.type === "unavailable") {
    if (update.jid.includes("/")) resources.delete(update.jid);
    else resources.clear();
  } else {
    resources.set(update.jid, { jid: update.jid, priority: update.priority, since: update.stamp ?? now, seen, ...(update.caps ? { caps: update.caps } : {}) });
  }
  if (resources.size) next.set(key, resources);
  else next.delete(key);
  return next;
}

export interface PresenceCache {
  /** the available resources of a bare JID, as far as presence told us */
  resources(bareJid: string): ResourcePresence[];
  /** `changed` with the bare JID whose resources changed */
  events: EventEmitter<{ changed: [string] }>;
}

export function createPresenceCache(port: XmppPort): PresenceCache {
  let state: PresenceState = new Map();
  let seen = 0;
  const events = new EventEmitter<{ changed: [string] }>();
  events.setMaxListeners(0); // one listener per bare-JID lookup running at the time
  port.onPresence?.((p) => {
    const update = parsePresenceUpdate(p);
    if (!update) return;
    state = applyPresence(state, update, ++seen, Date.now());
    events.emit("changed", bare(update.jid));
  });
  // a new session starts with no presence received: the server sends it again after our own
  port.onOnline?.((resumed) => {
    if (!resumed) state = new Map();
  });
  return {
    resources: (bareJid) => [...(state.get(bare(bareJid))?.values() ?? [])],
    events,
  };
}
