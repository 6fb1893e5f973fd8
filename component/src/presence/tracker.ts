// Who is online, from the presence the component receives (RFC 6121 §4): pure, no I/O. The
// delivery trigger (README, "Delivery") feeds it every <presence/> and offers waiting files to
// each resource that comes online.
import type { Element } from "ltx/lib/ltx.js";

export type PresenceUpdate =
  | { kind: "available"; bare: string; resource: string }
  /** resource undefined: every resource of bare (an unavailable presence from the bare JID) */
  | { kind: "unavailable"; bare: string; resource?: string }
  /** RFC 6121 §4.7.1 type='error': not a logout but a bounce of what we sent (our subscribe or
   *  probe: a component sends no other presence), e.g. remote-server-not-found when the s2s
   *  stream to their server failed. Tracked as every resource gone; delivery retries. */
  | { kind: "error"; bare: string; condition: string };

export type PresenceChange =
  | { kind: "came-online"; bare: string; full: string }
  | { kind: "went-offline"; bare: string; full: string };

/** Reads an availability update out of a <presence/>; undefined for subscriptions, probes and malformed ones. */
export function parsePresence(stanza: Element): PresenceUpdate | undefined {
  if (stanza.name !== "presence") return undefined;
  const from = String(stanza.attrs.from ?? "");
  const m = /^([^@/]+@)?([^@/]+)(?:\/(.+))?$/s.exec(from);
  if (!m || !m[1]) return undefined; // only accounts (local@domain) receive files
  const bare = (m[1] + m[2]).toLowerCase();
  const resource = m[3];
  const type = stanza.attrs.type;
  // RFC 6121 §4.7.1: no type = available; 'error' means we will not see this entity's presence
  if (type === undefined) return resource ? { kind: "available", bare, resource } : undefined;
  if (type === "unavailable") return { kind: "unavailable", bare, resource };
  if (type === "error") return { kind: "error", bare, condition: errorCondition(stanza) };
  return undefined; // subscribe, subscribed, unsubscribe, unsubscribed, probe
}

/** The defined condition of a stanza's <error/> (RFC 6120 §8.3.3), "undefined-condition" if none. */
export function errorCondition(stanza: Element): string {
  const error = stanza.getChild("error");
  const condition = error?.children.find((c): c is Element => typeof c !== "string" && c.attrs.xmlns === "urn:ietf:params:xml:ns:xmpp-stanzas" && c.name !== "text");
  return condition?.name ?? "undefined-condition";
}

export class PresenceTracker {
  private readonly online = new Map<string, Set<string>>();

  /** Applies an update; returns the resources whose state changed (a repeated available is no change). */
  apply(update: PresenceUpdate): PresenceChange[] {
    const resources = this.online.get(update.bare);
    if (update.kind === "available") {
      if (resources?.has(update.resource)) return [];
      this.online.set(update.bare, (resources ?? new Set()).add(update.resource));
      return [{ kind: "came-online", bare: update.bare, full: `${update.bare}/${update.resource}` }];
    }
    if (!resources) return [];
    const resource = update.kind === "unavailable" ? update.resource : undefined;
    const gone = resource === undefined ? [...resources] : resources.has(resource) ? [resource] : [];
    for (const r of gone) resources.delete(r);
    if (resources.size === 0) this.online.delete(update.bare);
    return gone.map((r) => ({ kind: "went-offline" as const, bare: update.bare, full: `${update.bare}/${r}` }));
  }

  /** Full JIDs of bare's online resources, in the order they came online. */
  resourcesOf(bare: string): string[] {
    return [...(this.online.get(bare.toLowerCase()) ?? [])].map((r) => `${bare.toLowerCase()}/${r}`);
  }

  isOnline(bare: string): boolean {
    return this.online.has(bare.toLowerCase());
  }

  /** The connection to the server is gone: nobody's presence is known any more. */
  clear(): PresenceChange[] {
    const changes = [...this.online].flatMap(([bare, rs]) => [...rs].map((r) => ({ kind: "went-offline" as const, bare, full: `${bare}/${r}` })));
    this.online.clear();
    return changes;
  }
}
