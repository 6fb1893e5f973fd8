// What our client is (XEP-0030) and the presence that says so (XEP-0115 caps): peers such as
// Gajim decide from the caps alone whether they may send us a file.
import { ENGINE_FEATURES, makeCaps, NS_CAPS, type DiscoInfo } from "@xft/protocol";
import { createElement, type Element } from "ltx/lib/ltx.js";

export const CLIENT_DISCO_INFO: DiscoInfo = {
  identities: [{ category: "client", type: "pc", name: "xft" }],
  features: [...ENGINE_FEATURES, NS_CAPS], // XEP-0115 §6.1: we send caps, so we say so
};

/** Our availability, with caps: in every presence we send (§4, "SHOULD include in every presence").
 *  RFC 6121 §4.7.2.3: a negative priority keeps messages to our bare JID away from this resource. */
export function availablePresence(attrs: Record<string, string> = {}, priority?: number): Element {
  return createElement("presence", attrs, priority === undefined ? undefined : createElement("priority", {}, String(priority)), makeCaps(CLIENT_DISCO_INFO));
}
