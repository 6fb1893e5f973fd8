// XEP-0115: Entity Capabilities, v1.6.0 — the verification string (§5), the <c/> element (§4) and
// its disco#info node (§6.2). Pure: no behaviour. Peers such as Gajim decide from our caps alone
// what they may send us; without them Gajim's UI offers no file transfer to `xft`.
// https://xmpp.org/extensions/xep-0115.html
import { createHash } from "node:crypto";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import type { DiscoInfo, Identity } from "../xep0030/disco.js";

export const NS_CAPS = "http://jabber.org/protocol/caps";
/** §4: a URI naming the software; `node#ver` is the disco#info node that answers for the hash */
export const CAPS_NODE = "urn:xmpp-auto-transfer:xft";

/** §5.4: XEP-0128 extended info, when an entity publishes any (we do not; the §5.3 example does) */
export interface CapsForm {
  formType: string;
  fields: { var: string; values: string[] }[];
}

export interface CapsInput {
  identities: (Identity & { lang?: string })[];
  features: string[];
  forms?: CapsForm[];
}

/** i;octet order (§5.1 step 2), which is code-unit order for the strings we meet: not locale order */
const octet = (a: string, b: string) => Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

/** §5.1: the string S that is hashed. Identities by category/type/lang (then name), features,
 *  then each form by FORM_TYPE, its fields by var, their values sorted; every item ends in "<". */
export function capsVerificationString(input: CapsInput): string {
  const identities = input.identities
    .map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}`)
    .sort(octet);
  const features = [...new Set(input.features)].sort(octet);
  const forms = [...(input.forms ?? [])].sort((a, b) => octet(a.formType, b.formType)).map((form) => {
    const fields = form.fields
      .filter((f) => f.var !== "FORM_TYPE")
      .sort((a, b) => octet(a.var, b.var))
      .map((f) => [f.var, ...[...f.values].sort(octet)].map((v) => v + "<").join(""));
    return form.formType + "<" + fields.join("");
  });
  return [...identities, ...features].map((s) => s + "<").join("") + forms.join("");
}

/** §5.1 steps 8-10: base64 of the SHA-1 of S (sha-1 is the hash every implementation knows, §5.4) */
export function capsVer(input: CapsInput): string {
  return createHash("sha1").update(capsVerificationString(input), "utf8").digest("base64");
}

/** §4 Example 1: the <c/> of every presence we send. */
export function makeCaps(info: DiscoInfo, node = CAPS_NODE): Element {
  return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node, ver: capsVer(info) });
}

/** §6.2: the disco#info node a peer asks for what the hash stands for. */
export function capsNode(info: DiscoInfo, node = CAPS_NODE): string {
  return `${node}#${capsVer(info)}`;
}

/** A presence's <c/>, if it has one that is well formed (hash, node and ver present). */
export function parseCaps(presence: Element): { hash: string; node: string; ver: string } | undefined {
  const c = presence.getChild("c", NS_CAPS);
  const { hash, node, ver } = c?.attrs ?? {};
  return typeof hash === "string" && typeof node === "string" && typeof ver === "string" && hash && node && ver ? { hash, node, ver } : undefined;
}
