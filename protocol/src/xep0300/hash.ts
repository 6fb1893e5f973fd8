// XEP-0300: Use of Cryptographic Hash Functions in XMPP, v1.0
// https://xmpp.org/extensions/xep-0300.html
import { createElement as xml, Element } from "ltx/lib/ltx.js";
import { badRequest } from "../errors/stanza-error.js";

export const NS_HASHES = "urn:xmpp:hashes:2";
/** The algorithm we compute and require; §4: sha-256 MUST be supported. */
export const HASH_ALGO = "sha-256";
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface Hash {
  algo: string;
  /** base64 digest; empty when the sender announces only the algorithm (XEP-0234 §checksum) */
  value: string;
}

export function makeHash({ algo, value }: Hash): Element {
  return xml("hash", { xmlns: NS_HASHES, algo }, value);
}

export function parseHash(el: Element): Hash {
  const algo = el.attrs.algo;
  if (typeof algo !== "string" || algo === "") throw badRequest("hash without algo");
  // §3: the value is xs:base64Binary, possibly wrapped at 76 characters; whitespace MUST be ignored
  const value = el.getText().replace(/\s+/g, "");
  if (!BASE64.test(value)) throw badRequest(`hash value is not base64`);
  return { algo, value: hexDigestRead(algo, value) };
}

/**
 * Libervia 0.9 (its plugin_xep_0300.py buildHashElt) sends base64 of the *hex* digest. A sha-256
 * digest is 32 bytes, so a value of 64 hex characters can only be that mistake: read as the
 * digest it names (standard base64), so its file verifies. Any other value is kept as it came.
 */
export function hexDigestRead(algo: string, value: string): string {
  if (algo !== HASH_ALGO || value.length !== 88) return value;
  const text = Buffer.from(value, "base64").toString("latin1");
  return /^[0-9a-f]{64}$/i.test(text) ? Buffer.from(text, "hex").toString("base64") : value;
}

export function parseHashes(parent: Element): Hash[] {
  return parent.getChildren("hash", NS_HASHES).map(parseHash);
}

/** The sha-256 value among hashes, if any (other algorithms are kept but not checked). */
export function sha256Of(hashes: Hash[]): string | undefined {
  return hashes.find((h) => h.algo === HASH_ALGO && h.value !== "")?.value;
}
