// XEP-0030 answers for any of our xmpp.js entities (the client and the store component): what it
// is and what it speaks, built from the pure builders in disco.ts. Both announce the engine's
// features; the store adds its forward feature.
import type { Element } from "ltx/lib/ltx.js";
import { itemNotFound } from "../errors/stanza-error.js";
import { NS_FT_RECOVERY } from "../ftrecovery/elements.js";
import { NS_IBB } from "../xep0047/ibb.js";
import { NS_JINGLE } from "../xep0166/jingle.js";
import { NS_JINGLE_FT } from "../xep0234/file.js";
import { NS_JINGLE_IBB } from "../xep0261/transport.js";
import { HASH_ALGO, NS_HASHES } from "../xep0300/hash.js";
import type { IqCallee } from "../xmppjs/types.js";
import { capsNode } from "../xep0115/caps.js";
import { makeInfoResult, makeItemsResult, NS_DISCO_INFO, NS_DISCO_ITEMS, type DiscoInfo } from "./disco.js";

/** XEP-0300 §4: one feature per hash function we support, urn:xmpp:hash-function-text-names:NAME. */
const NS_HASH_NAMES = "urn:xmpp:hash-function-text-names:";

/** What every entity running the engine speaks (xep-draft §'Determining Support'). */
export const ENGINE_FEATURES: readonly string[] = [
  NS_DISCO_INFO,
  NS_JINGLE,
  NS_JINGLE_FT,
  NS_JINGLE_IBB,
  NS_IBB,
  NS_HASHES,
  NS_HASH_NAMES + HASH_ALGO,
  NS_FT_RECOVERY,
];

/** Answers disco#info and disco#items addressed to us (`isUs`); anything else is not an entity here.
 *  The one node we answer is XEP-0115's `node#ver` of our own caps (§6.2), with the same info. */
export function discoResponder(iqCallee: Pick<IqCallee, "get">, isUs: (to: string) => boolean, info: DiscoInfo): void {
  const ownCapsNode = capsNode(info);
  const answer = (build: (node?: string) => Element, nodes: readonly string[]) => ({ stanza, element }: { stanza: Element; element: Element }): Element | undefined => {
    if (!isUs(String(stanza.attrs.to ?? ""))) return undefined; // -> service-unavailable
    const node = element.attrs.node as string | undefined;
    // §3.2: we publish no other nodes
    if (node !== undefined && !nodes.includes(node)) return itemNotFound("no such node").toElement();
    return build(node);
  };
  iqCallee.get(NS_DISCO_INFO, "query", answer((node) => makeInfoResult(info, node), [ownCapsNode]));
  iqCallee.get(NS_DISCO_ITEMS, "query", answer(() => makeItemsResult([]), []));
}
