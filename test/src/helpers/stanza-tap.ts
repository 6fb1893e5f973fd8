// What a peer really put on the wire: the stanzas of every stream through a fault proxy's tap
// (harness/fault-proxy.ts), parsed per connection and direction with our stream parser. A
// component's own stanzas to a user are "up" (component -> server); counting them there sees
// what the store sent, including what no client ever gets (probes, stanzas a server drops).
import type { Element } from "ltx/lib/ltx.js";
import { StreamParser } from "@xft/protocol/xml/stream-parser.js";

export interface TappedStanza {
  connection: number;
  direction: "up" | "down";
  el: Element;
  at: number;
}

export interface StanzaTap {
  /** pass as startFaultProxy's `tap` */
  tap(chunk: Buffer, direction: "up" | "down", connection: number): void;
  readonly stanzas: readonly TappedStanza[];
}

export function stanzaTap(): StanzaTap {
  const stanzas: TappedStanza[] = [];
  const parsers = new Map<string, StreamParser>();
  return {
    stanzas,
    tap(chunk, direction, connection) {
      const key = `${connection}/${direction}`;
      let parser = parsers.get(key);
      if (!parser) {
        parser = new StreamParser();
        parser.on("element", (el: Element) => stanzas.push({ connection, direction, el, at: Date.now() }));
        // a cut mid-stanza (or junk) ends what this stream can tell; the others go on
        parser.on("error", () => undefined);
        parsers.set(key, parser);
      }
      parser.write(chunk);
    },
  };
}

/** Bare JID of an address (lower-cased: the servers route case-insensitively). */
export const bareOf = (jid: unknown): string => String(jid ?? "").replace(/\/.*$/s, "").toLowerCase();
