// The stanzas delivery sends (xep-draft §'Delivery'): pure builders. Each message carries a
// human <body/> (any client shows it) beside our element (our plugin reads it).
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { humanSize, makeDelivered, makeWaiting, sanitizeFileName } from "@xft/protocol";
import { errorCondition } from "../presence/tracker.js";
import type { Receipt, StoredFile } from "../store/index.js";

/** Our notices carry ids with this prefix, so that a bounce (RFC 6120 §8.2: same id) is known as one. */
const NOTICE_ID = "xft-waiting-";
let notices = 0;

/** RFC 6121 §3.1.1: we ask to see the recipient's presence, to know when to deliver. */
export const makeSubscribe = (bare: string): Element => xml("presence", { to: bare, type: "subscribe" });

/** RFC 6121 §4.3: after a restart, the presence of recipients whose files wait. */
export const makeProbe = (bare: string): Element => xml("presence", { to: bare, type: "probe" });

/** Characters of a file name a notice shows, the ellipsis included: a name is not a place for
 *  a sender's message to the recipient ("URGENT invoice overdue - pay today at ..."). */
export const NOTICE_NAME_CHARS = 80;
/** Files a notice lists; the others are counted ("and 12 more"). A receiver reads at most 64. */
export const NOTICE_MAX_FILES = 20;

/** A file name as a notice shows it: sanitized again (names kept before the rules grew), cut. */
export function noticeName(name: string): string {
  const clean = sanitizeFileName(name);
  const chars = [...clean]; // whole characters, never half a surrogate pair
  return chars.length <= NOTICE_NAME_CHARS ? clean : `${chars.slice(0, NOTICE_NAME_CHARS - 1).join("").trimEnd()}\u2026`;
}

/** The one notice of an offline period: the files waiting for bare when it is sent. */
export function makeWaitingNotice(bare: string, files: StoredFile[]): Element {
  const listed = files.slice(0, NOTICE_MAX_FILES).map((f) => ({ sender: f.sender, name: noticeName(f.name), size: f.size }));
  const lines = listed.map((f) => `${f.name} (${humanSize(f.size)}) from ${f.sender}`);
  const more = files.length > listed.length ? [`and ${files.length - listed.length} more`] : [];
  const body = files.length === 1
    ? `A file from ${files[0].sender} waits for you: ${lines[0]}. It is sent to you when you are online.`
    : `${files.length} files wait for you:\n${[...lines, ...more].join("\n")}\nThey are sent to you when you are online.`;
  return xml("message", { to: bare, type: "normal", id: `${NOTICE_ID}${++notices}` }, xml("body", {}, body), makeWaiting(listed));
}

/** The sender's receipt: the recipient holds the whole file, its sha-256 checked. */
export function makeReceipt(r: Receipt): Element {
  const body = `${r.recipient} received ${r.name} (${humanSize(r.size)}), which you left at the offline store.`;
  return xml("message", { to: r.sender, type: "normal" }, xml("body", {}, body), makeDelivered({ recipient: r.recipient, name: r.name, size: r.size, sha256: r.sha256 }));
}

/** A <message type='error'/> returned for one of our notices: who did not get it, and why. */
export function parseNoticeBounce(stanza: Element): { bare: string; condition: string } | undefined {
  if (stanza.name !== "message" || stanza.attrs.type !== "error" || !String(stanza.attrs.id ?? "").startsWith(NOTICE_ID)) return undefined;
  const from = String(stanza.attrs.from ?? "");
  if (!/^[^@/]+@[^@/]+(\/.*)?$/s.test(from)) return undefined;
  return { bare: from.replace(/\/.*$/s, "").toLowerCase(), condition: errorCondition(stanza) };
}
