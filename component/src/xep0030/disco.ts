// XEP-0030 for the component: what it is and what it speaks, answered from the pure builders in
// @xft/protocol. A client finds the store by this identity and our forward feature.
import type { Element } from "ltx/lib/ltx.js";
import {
  HASH_ALGO, itemNotFound, makeInfoResult, makeItemsResult, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_FT_FORWARD, NS_HASHES,
  NS_IBB, NS_JINGLE, NS_JINGLE_FT, NS_JINGLE_IBB, type DiscoInfo,
} from "@xft/protocol";
import type { IqCallee } from "../entity/types.js";

/** XEP-0300 §4: one feature per hash function we support, urn:xmpp:hash-function-text-names:NAME. */
const NS_HASH_NAMES = "urn:xmpp:hash-function-text-names:";

export const COMPONENT_DISCO_INFO: DiscoInfo = {
  // Registry category "store", type "file": "a file storage service"
  identities: [{ category: "store", type: "file", name: "Offline file store" }],
  features: [
    NS_DISCO_INFO,
    NS_JINGLE,
    NS_JINGLE_FT,
    NS_JINGLE_IBB,
    NS_IBB,
    NS_HASHES,
    NS_HASH_NAMES + HASH_ALGO,
    NS_FT_FORWARD,
  ],
};

/** Answers disco#info and disco#items addressed to our domain; other addresses are not entities here. */
export function discoResponder(iqCallee: IqCallee, domain: () => string, info: DiscoInfo = COMPONENT_DISCO_INFO): void {
  const answer = (build: () => Element) => ({ stanza, element }: { stanza: Element; element: Element }): Element | undefined => {
    if (String(stanza.attrs.to ?? "").toLowerCase() !== domain()) return undefined; // -> service-unavailable
    // §3.2: we publish no nodes
    if (element.attrs.node !== undefined) return itemNotFound("no such node").toElement();
    return build();
  };
  iqCallee.get(NS_DISCO_INFO, "query", answer(() => makeInfoResult(info)));
  iqCallee.get(NS_DISCO_ITEMS, "query", answer(() => makeItemsResult([])));
}
