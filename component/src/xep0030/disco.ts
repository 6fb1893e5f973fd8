// XEP-0030 for the component: a store that speaks the engine's features and takes forwarded
// files. A client finds the store by this identity and the forward feature.
import { discoResponder as respond, ENGINE_FEATURES, NS_FT_FORWARD, type DiscoInfo } from "@xft/protocol";
import type { IqCallee } from "../entity/types.js";

export const COMPONENT_DISCO_INFO: DiscoInfo = {
  // Registry category "store", type "file": "a file storage service"
  identities: [{ category: "store", type: "file", name: "Offline file store" }],
  features: [...ENGINE_FEATURES, NS_FT_FORWARD],
};

/** Answers disco queries addressed to our domain. */
export function discoResponder(iqCallee: IqCallee, domain: () => string, info: DiscoInfo = COMPONENT_DISCO_INFO): void {
  respond(iqCallee, (to) => to.toLowerCase() === domain(), info);
}
