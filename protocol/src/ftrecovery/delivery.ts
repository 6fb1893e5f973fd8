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
// <stored store='JID' name='..' size='N'>          the sender to the recipient: "I left this
//   <hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>..</hash>   file for you at this store", which
// </stored>                                        vouches for a store on the sender's server
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

/** A sender's vouch (xep-draft §'Vouching for a Store'): it left this file at this store. */
export interface StoredVouch {
  /** the store's JID (lower-cased, no resource) */
  store: string;
  name: string;
  size: number;
  sha256: string;
}

/** "3.0 MiB": sizes in the human <body/> beside our elements */
export function humanSize(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes;
  let u = 0;
  while (n >= 1024 && u < units.length - 1) (n /= 1024), u++;
  return u === 0 ? `${bytes} bytes` : `${n.toFixed(1)} ${units[u]}`;
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

// <delivered/> and <stored/> are one shape: a file (name, size) with its sha-256 <hash/>, and
// one JID attribute saying where it went
type FileAt = { name: string; size: number; sha256: string };

function makeFileAt(name: string, jid: Record<string, string>, f: FileAt): Element {
  return xml(name, { xmlns: NS_FT_RECOVERY, ...jid, name: f.name, size: String(f.size) }, xml("hash", { xmlns: NS_HASHES, algo: HASH_ALGO }, f.sha256));
}

function parseFileAt(el: Element): FileAt {
  const sha256 = el.getChildren("hash", NS_HASHES).find((h) => h.attrs.algo === HASH_ALGO)?.getText().trim();
  if (!sha256) throw badRequest(`<${el.name}/> needs a sha-256 <hash/>`);
  return { name: String(el.attrs.name ?? ""), size: size(el.attrs.size, `<${el.name}/>`), sha256 };
}

export const makeDelivered = (r: DeliveredReceipt): Element => makeFileAt("delivered", { recipient: r.recipient }, r);

export function parseDelivered(message: Element): DeliveredReceipt | undefined {
  const el = message.getChild("delivered", NS_FT_RECOVERY);
  if (!el) return undefined;
  const recipient = String(el.attrs.recipient ?? "");
  if (!recipient.includes("@")) throw badRequest("<delivered/> needs a recipient");
  return { recipient, ...parseFileAt(el) };
}

export const makeStored = (v: StoredVouch): Element => makeFileAt("stored", { store: v.store }, v);

/** the vouch in a message, if any; a bad one is an error (the caller ignores the message) */
export function parseStored(message: Element): StoredVouch | undefined {
  const el = message.getChild("stored", NS_FT_RECOVERY);
  if (!el) return undefined;
  // a JID without a resource: a store is addressed by its bare JID (usually a domain)
  const store = String(el.attrs.store ?? "").trim().toLowerCase();
  if (!store || store.length > 3071 || /[\s/]/.test(store)) throw badRequest("<stored/> needs the store's bare JID");
  return { store, ...parseFileAt(el) };
}
