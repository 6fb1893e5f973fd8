// Offline delivery messages of xep-draft/xep-jingle-ft-recovery.xml §'Delivery', in the namespace
// urn:xmpp:jingle-ft-recovery:0. Pure builders and parsers; the human <body/> beside them is the
// caller's (any client shows it, ours also reads the element).
//
// <waiting>                         one notice to an offline recipient: files wait at the store
//   <file sender='JID' name='..' size='N'/> ...
// </waiting>
// <delivered recipient='JID' name='..' size='N'>   receipt to the sender: the recipient holds
//   <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>..</hash>   the whole file, hash checked
// </delivered>
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { badRequest } from "../errors/stanza-error.js";
import { HASH_ALGO } from "../xep0300/hash.js";
import { NS_FT_RECOVERY } from "./elements.js";

const NS_HASHES = "urn:xmpp:hashes:2";
/** at most this many <file/> children are read from a notice */
export const MAX_WAITING = 64;

export interface WaitingFile {
  sender: string;
  name: string;
  size: number;
}

export interface DeliveredReceipt {
  recipient: string;
  name: string;
  size: number;
  sha256: string;
}

const size = (v: unknown, what: string): number => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0 || !/^\d+$/.test(String(v))) throw badRequest(`${what} needs a size`);
  return n;
};

export function makeWaiting(files: WaitingFile[]): Element {
  return xml("waiting", { xmlns: NS_FT_RECOVERY }, ...files.map((f) => xml("file", { sender: f.sender, name: f.name, size: String(f.size) })));
}

export function parseWaiting(message: Element): WaitingFile[] | undefined {
  const el = message.getChild("waiting", NS_FT_RECOVERY);
  if (!el) return undefined;
  return el.getChildren("file").slice(0, MAX_WAITING).map((f) => ({
    sender: String(f.attrs.sender ?? ""), name: String(f.attrs.name ?? ""), size: size(f.attrs.size, "<waiting><file/>"),
  }));
}

export function makeDelivered(r: DeliveredReceipt): Element {
  return xml(
    "delivered",
    { xmlns: NS_FT_RECOVERY, recipient: r.recipient, name: r.name, size: String(r.size) },
    xml("hash", { xmlns: NS_HASHES, algo: HASH_ALGO }, r.sha256),
  );
}

export function parseDelivered(message: Element): DeliveredReceipt | undefined {
  const el = message.getChild("delivered", NS_FT_RECOVERY);
  if (!el) return undefined;
  const recipient = String(el.attrs.recipient ?? "");
  if (!recipient.includes("@")) throw badRequest("<delivered/> needs a recipient");
  const sha256 = el.getChildren("hash", NS_HASHES).find((h) => h.attrs.algo === HASH_ALGO)?.getText().trim();
  if (!sha256) throw badRequest("<delivered/> needs a sha-256 <hash/>");
  return { recipient, name: String(el.attrs.name ?? ""), size: size(el.attrs.size, "<delivered/>"), sha256 };
}
