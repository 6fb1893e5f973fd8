// XEP-0115 v1.6.0 §5.4: what a peer's disco#info answer hashes to, to check it against the
// ver of its <c/> before we believe the same ver means the same features from anyone else
// (§5.4 step 3 onwards; a ver that does not match is not cached). Pure.
// https://xmpp.org/extensions/xep-0115.html#ver-proc
import { capsVer, NS_DISCO_INFO, type CapsForm, type CapsInput } from "@xft/protocol";
import type { Element } from "ltx/lib/ltx.js";

const NS_DATA = "jabber:x:data";
const XML_LANG = "xml:lang";

/** The identities (with xml:lang), features and XEP-0128 forms of a disco#info <query/> or its <iq/>. */
export function capsInputOf(el: Element): CapsInput | undefined {
  const query = el.is("query", NS_DISCO_INFO) ? el : el.getChild("query", NS_DISCO_INFO);
  if (!query) return undefined;
  const identities: CapsInput["identities"] = [];
  const features: string[] = [];
  const forms: CapsForm[] = [];
  for (const child of query.getChildElements()) {
    if (child.name === "identity") {
      const { category, type, name } = child.attrs;
      const lang = child.attrs[XML_LANG];
      if (typeof category !== "string" || typeof type !== "string") continue;
      identities.push({ category, type, ...(typeof name === "string" ? { name } : {}), ...(typeof lang === "string" ? { lang } : {}) });
    } else if (child.name === "feature" && typeof child.attrs.var === "string") {
      features.push(child.attrs.var);
    } else if (child.is("x", NS_DATA)) {
      const fields = child.getChildren("field").map((f) => ({ var: String(f.attrs.var ?? ""), values: f.getChildren("value").map((v) => v.getText()) }));
      // §5.4 step 3.6: a form without a hidden FORM_TYPE is left out of the hash
      const formType = fields.find((f) => f.var === "FORM_TYPE")?.values[0];
      if (formType !== undefined) forms.push({ formType, fields });
    }
  }
  return { identities, features, forms };
}

/** Whether the answer hashes to `ver` (sha-1, the one hash we compute, §5.1). */
export function answerMatchesVer(answer: Element, hash: string, ver: string): boolean {
  const input = capsInputOf(answer);
  return hash === "sha-1" && input !== undefined && capsVer(input) === ver;
}
