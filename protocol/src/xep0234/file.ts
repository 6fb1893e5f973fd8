// XEP-0234: Jingle File Transfer, v0.19.1 — file description, range, checksum, received.
// https://xmpp.org/extensions/xep-0234.html
import { createElement as xml, Element } from "ltx/lib/ltx.js";
import { badRequest } from "../errors/stanza-error.js";
import { makeHash, NS_HASHES, parseHashes, type Hash } from "../xep0300/hash.js";

export const NS_JINGLE_FT = "urn:xmpp:jingle:apps:file-transfer:5";
export const NS_JINGLE_FT_ERRORS = "urn:xmpp:jingle:apps:file-transfer:errors:0";

/** Offsets are JS numbers: exact up to 2^53 bytes (8 PiB), so files over 4 GiB are safe. */
export interface Range {
  offset?: number;
  length?: number;
  /** hashes of the bytes in this range (XEP-0234 §checksum, "for a specific range") */
  hashes?: Hash[];
}

export interface FileDescription {
  name?: string;
  size?: number;
  date?: string;
  mediaType?: string;
  desc?: string;
  hashes: Hash[];
  /** present: ranged transfers supported; offset/length: where this transfer starts */
  range?: Range;
  /** children of <file/> from other namespaces (our continuation marker, thumbnails...) */
  extensions: Element[];
}

const DECIMAL = /^[0-9]{1,16}$/;

export function parseByteCount(raw: unknown, what: string): number {
  const s = String(raw ?? "").trim();
  if (!DECIMAL.test(s)) throw badRequest(`${what} must be a non-negative integer`);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw badRequest(`${what} is too large`);
  return n;
}

export function makeRange(range: Range): Element {
  const attrs: Record<string, string> = {};
  if (range.offset !== undefined) attrs.offset = String(range.offset);
  if (range.length !== undefined) attrs.length = String(range.length);
  return xml("range", attrs, ...(range.hashes ?? []).map(makeHash));
}

export function parseRange(el: Element): Range {
  const range: Range = {};
  if (el.attrs.offset !== undefined) range.offset = parseByteCount(el.attrs.offset, "range offset");
  if (el.attrs.length !== undefined) range.length = parseByteCount(el.attrs.length, "range length");
  const hashes = parseHashes(el);
  if (hashes.length) range.hashes = hashes;
  return range;
}

export function makeFile(file: FileDescription): Element {
  return xml(
    "file",
    {},
    file.date !== undefined && xml("date", {}, file.date),
    file.desc !== undefined && xml("desc", {}, file.desc),
    file.mediaType !== undefined && xml("media-type", {}, file.mediaType),
    file.name !== undefined && xml("name", {}, file.name),
    file.range && makeRange(file.range),
    file.size !== undefined && xml("size", {}, String(file.size)),
    ...file.hashes.map(makeHash),
    ...file.extensions,
  );
}

export function parseFile(el: Element): FileDescription {
  const text = (name: string) => el.getChild(name)?.getText();
  const file: FileDescription = { hashes: parseHashes(el), extensions: [] };
  const name = text("name");
  if (name !== undefined) file.name = name;
  const size = el.getChild("size");
  if (size) file.size = parseByteCount(size.getText(), "size");
  const date = text("date");
  if (date !== undefined) file.date = date.trim();
  const mediaType = text("media-type");
  if (mediaType !== undefined) file.mediaType = mediaType.trim();
  const desc = text("desc");
  if (desc !== undefined) file.desc = desc;
  const range = el.getChild("range");
  if (range) file.range = parseRange(range);
  const ns = el.getNS();
  // <hash xmlns='urn:xmpp:hashes:2'/> children are already in file.hashes: keeping them here too
  // would write every hash twice when the description is built again (makeFile).
  file.extensions = el.getChildElements().filter((c) => c.attrs.xmlns !== undefined && c.attrs.xmlns !== ns && !c.is("hash", NS_HASHES));
  if (file.range?.offset !== undefined && file.size !== undefined && file.range.offset > file.size) {
    throw badRequest(`range offset ${file.range.offset} is beyond the file size ${file.size}`);
  }
  return file;
}

export function makeDescription(file: FileDescription): Element {
  return xml("description", { xmlns: NS_JINGLE_FT }, makeFile(file));
}

export function parseDescription(el: Element): FileDescription {
  if (!el.is("description", NS_JINGLE_FT)) throw badRequest("not a file-transfer description");
  const file = el.getChild("file");
  if (!file) throw badRequest("file-transfer description without <file/>");
  return parseFile(file);
}

/** session-info payloads (§Informational Messages) */
export type FileInfo =
  | { kind: "checksum"; creator: string; name: string; file: FileDescription }
  | { kind: "received"; creator: string; name: string };

export function makeChecksum(creator: string, name: string, file: FileDescription): Element {
  return xml("checksum", { xmlns: NS_JINGLE_FT, creator, name }, makeFile(file));
}

export function makeReceived(creator: string, name: string): Element {
  return xml("received", { xmlns: NS_JINGLE_FT, creator, name });
}

export function parseFileInfo(el: Element): FileInfo | undefined {
  if (el.attrs.xmlns !== NS_JINGLE_FT) return undefined;
  const creator = String(el.attrs.creator ?? "initiator");
  const name = String(el.attrs.name ?? "");
  if (el.name === "received") return { kind: "received", creator, name };
  if (el.name === "checksum") {
    const file = el.getChild("file");
    if (!file) throw badRequest("checksum without <file/>");
    return { kind: "checksum", creator, name, file: parseFile(file) };
  }
  return undefined;
}
