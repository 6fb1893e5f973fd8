// What an online resource speaks: from its XEP-0115 caps (disco#info at node#ver, cached by ver
// once the answer hashes to that ver, §5.4) or else a plain XEP-0030 disco#info to its full JID.
// Gajim announces itself by caps only; Dino answers disco#info of its full JID (shared/INTEROP.md).
import { IqError, makeInfoQuery, parseInfo, type XmppPort } from "@xft/protocol";
import { createElement as xml } from "ltx/lib/ltx.js";
import { answerMatchesVer } from "../xep0115/caps-info.js";
import type { Caps } from "./cache.js";

/** One disco#info question waits this long (a resource that does not answer cannot take a file either). */
export const DISCO_TIMEOUT_MS = 5000;

export type Features = readonly string[] | "unknown";

export interface FeatureLookup {
  /** the features of `jid`, whose latest presence carried `caps` (or none); never rejects */
  featuresOf(jid: string, caps: Caps | undefined): Promise<Features>;
}

export function createFeatureLookup(port: XmppPort, timeoutMs = DISCO_TIMEOUT_MS): FeatureLookup {
  /** verified: ver -> features, the same for every entity announcing that ver */
  const byVer = new Map<string, readonly string[]>();
  /** questions asked and not answered yet, or answered for this JID's current presence */
  const asked = new Map<string, { key: string; answer: Promise<Features> }>();

  /** bounded memory for a long-running client: the oldest answers go first */
  const MAX_ASKED = 1000;

  const ask = async (jid: string, caps: Caps | undefined, entry: { key: string }): Promise<Features> => {
    const node = caps ? `${caps.node}#${caps.ver}` : undefined;
    let reply;
    try {
      reply = await port.request(xml("iq", { type: "get", to: jid }, makeInfoQuery(node)), timeoutMs);
    } catch (err) {
      // a timeout may be load: asked again next time; an error answer holds for this presence
      if ((!(err instanceof IqError) || err.condition === "timeout") && asked.get(jid) === entry) asked.delete(jid);
      return "unknown";
    }
    let features: readonly string[];
    try {
      features = parseInfo(reply).features;
    } catch {
      return "unknown";
    }
    if (caps && answerMatchesVer(reply, caps.hash, caps.ver)) byVer.set(caps.ver, features);
    return features; // unverified, it still tells what this one resource said of itself
  };

  return {
    featuresOf(jid, caps) {
      const known = caps && caps.hash === "sha-1" ? byVer.get(caps.ver) : undefined;
      if (known) return Promise.resolve(known);
      // a new presence with other caps (or none) may mean other software: ask again
      const key = caps ? `${caps.hash} ${caps.node} ${caps.ver}` : "";
      const memo = asked.get(jid);
      if (memo?.key === key) return memo.answer;
      const entry = { key } as { key: string; answer: Promise<Features> };
      asked.delete(jid); // re-inserted last: Map order is the age order
      asked.set(jid, entry);
      if (asked.size > MAX_ASKED) asked.delete(asked.keys().next().value!);
      entry.answer = ask(jid, caps, entry);
      return entry.answer;
    },
  };
}
