// Our extension of XEP-0234 (xep-draft/xep-jingle-ft-recovery.xml): children of <file/> in the
// namespace urn:xmpp:jingle-ft-recovery:0. Pure builders and parsers.
//
// <continues sid='OLD'/>   this offer (or request) continues the interrupted session OLD
// <checkpoints>            sha-256 of prefixes of the file, so that a receiver holding part of
//   <range offset='0' length='L'><hash algo='sha-256'>..</hash></range> ...
// </checkpoints>           it can check those bytes before it resumes (XEP-0234 range + hash)
// <recipient>JID</recipient> a forward request to a store: who the file is for
// <sender>JID</sender>       a store's delivery: who left the file (the recipient may hold part
//                            of it from that sender's own, interrupted, transfer)
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { badRequest } from "../errors/stanza-error.js";
import { makeRange, parseRange, NS_JINGLE_FT, type FileDescription } from "../xep0234/file.js";
import { HASH_ALGO } from "../xep0300/hash.js";

export const NS_FT_RECOVERY = "urn:xmpp:jingle-ft-recovery:0";
/** disco feature of an entity that stores files for offline recipients */
export const NS_FT_FORWARD = "urn:xmpp:jingle-ft-recovery:forward:0";

/** sha-256 (base64) of the file's first `length` bytes */
export interface Checkpoint {
  length: number;
  sha256: string;
}

/** at most this many checkpoints are read from an offer: a bound on work a peer can cause */
export const MAX_CHECKPOINTS = 64;
const SID = /^[\x21-\x7e]{1,64}$/;

export function makeContinues(sid: string): Element {
  return xml("continues", { xmlns: NS_FT_RECOVERY, sid });
}

export function makeCheckpoints(points: Checkpoint[]): Element {
  return xml(
    "checkpoints",
    { xmlns: NS_FT_RECOVERY },
    ...points.map((p) => {
      const range = makeRange({ offset: 0, length: p.length, hashes: [{ algo: HASH_ALGO, value: p.sha256 }] });
      range.attrs.xmlns = NS_JINGLE_FT;
      return range;
    }),
  );
}

export function makeRecipient(jid: string): Element {
  return xml("recipient", { xmlns: NS_FT_RECOVERY }, jid);
}

function child(file: FileDescription, name: string): Element | undefined {
  return file.extensions.find((e) => e.is(name, NS_FT_RECOVERY));
}

/** the sid this offer continues, if it says so */
export function parseContinues(file: FileDescription): string | undefined {
  const el = child(file, "continues");
  if (!el) return undefined;
  const sid = String(el.attrs.sid ?? "");
  if (!SID.test(sid)) throw badRequest("<continues/> needs a sid");
  return sid;
}

/** checkpoints in increasing length; ranges that are not whole-prefix sha-256 are ignored */
export function parseCheckpoints(file: FileDescription): Checkpoint[] {
  const el = child(file, "checkpoints");
  if (!el) return [];
  const points: Checkpoint[] = [];
  for (const r of el.getChildren("range", NS_JINGLE_FT).slice(0, MAX_CHECKPOINTS)) {
    const range = parseRange(r);
    const sha256 = range.hashes?.find((h) => h.algo === HASH_ALGO)?.value;
    if ((range.offset ?? 0) !== 0 || range.length === undefined || !sha256) continue;
    if (file.size !== undefined && range.length > file.size) throw badRequest(`checkpoint length ${range.length} beyond the file size`);
    points.push({ length: range.length, sha256 });
  }
  return points.sort((a, b) => a.length - b.length);
}

export function parseRecipient(file: FileDescription): string | undefined {
  return bareJidChild(file, "recipient");
}

/** the text of our child `name`, which must be a bare JID (lower-cased), if present */
function bareJidChild(file: FileDescription, name: string): string | undefined {
  const el = child(file, name);
  if (!el) return undefined;
  const jid = el.getText().trim();
  if (!jid || jid.length > 3071 || !jid.includes("@") || /[\s/]/.test(jid)) throw badRequest(`<${name}/> needs a bare JID`);
  return jid.toLowerCase();
}

export function makeSender(jid: string): Element {
  return xml("sender", { xmlns: NS_FT_RECOVERY }, jid);
}

/** the bare JID a store says left this file; the receiver believes it only of its own store */
export function parseSender(file: FileDescription): string | undefined {
  return bareJidChild(file, "sender");
}

/** The longest checkpoint a receiver holding `held` bytes can check, if any. */
export function checkpointFor(points: Checkpoint[], held: number): Checkpoint | undefined {
  let best: Checkpoint | undefined;
  for (const p of points) if (p.length <= held && p.length > 0) best = p;
  return best;
}
