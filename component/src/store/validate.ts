// Input checks and normalization for the store. Everything from the network passes here before
// it reaches SQL (as bound parameters) or a log; nothing from the network reaches a file path.
import { randomBytes } from "node:crypto";
import { BadRequestError } from "./errors.js";

const ID_BYTES = 16;
const ID_RE = /^[A-Za-z0-9_-]{22}$/;

/** A fresh file id: 128 random bits, base64url (22 characters). */
export function newFileId(): string {
  return randomBytes(ID_BYTES).toString("base64url");
}

/** True for a string that can be one of our ids (anything else is simply not found). */
export function isFileId(id: unknown): id is string {
  return typeof id === "string" && ID_RE.test(id) && Buffer.from(id, "base64url").toString("base64url") === id;
}

/** The on-disk name of an id: its 16 bytes in hex, so case-insensitive file systems cannot merge two ids. */
export function fileNameOf(id: string): string {
  return Buffer.from(id, "base64url").toString("hex");
}

const FILE_NAME_RE = /^[0-9a-f]{32}$/;
/** The id a directory entry stands for, or undefined for a name we did not make. */
export function idOfFileName(name: string): string | undefined {
  return FILE_NAME_RE.test(name) ? Buffer.from(name, "hex").toString("base64url") : undefined;
}

// RFC 7622 §3.3.1: characters a localpart may not contain; §3.2 for the domainpart.
const LOCAL_FORBIDDEN = /["&'/:<>@\s\p{Cc}]/u;
const DOMAIN_FORBIDDEN = /[@/\s\p{Cc}]/u;
const MAX_PART_BYTES = 1023;

/**
 * The bare JID (localpart@domainpart) of a bare or full JID, lower-cased: the resource is
 * dropped, the domain's trailing dot too (RFC 7622 §3.2). Lower-casing stands in for PRECIS
 * case mapping (good for ASCII and most scripts, not a full implementation).
 */
export function bareJid(jid: unknown, what = "JID"): string {
  if (typeof jid !== "string") throw new BadRequestError(`${what} is missing`);
  const slash = jid.indexOf("/");
  const bare = (slash === -1 ? jid : jid.slice(0, slash)).normalize("NFC");
  const at = bare.indexOf("@");
  const local = at === -1 ? "" : bare.slice(0, at).toLowerCase();
  const domain = (at === -1 ? bare : bare.slice(at + 1)).replace(/\.$/, "").toLowerCase();
  const bad =
    domain === "" ||
    DOMAIN_FORBIDDEN.test(domain) ||
    Buffer.byteLength(domain) > MAX_PART_BYTES ||
    (at !== -1 && (local === "" || LOCAL_FORBIDDEN.test(local) || Buffer.byteLength(local) > MAX_PART_BYTES));
  if (bad) throw new BadRequestError(`${what} is not a valid JID`);
  return local ? `${local}@${domain}` : domain;
}

export function domainOf(bare: string): string {
  return bare.slice(bare.indexOf("@") + 1);
}

/** A base64 SHA-256 (44 characters, canonical padding), as XEP-0300 carries it. */
export function checkSha256(value: unknown): string {
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]{43}=$/.test(value)) {
    throw new BadRequestError("sha-256 must be the base64 of 32 bytes");
  }
  const bytes = Buffer.from(value, "base64");
  if (bytes.length !== 32 || bytes.toString("base64") !== value) throw new BadRequestError("sha-256 must be the base64 of 32 bytes");
  return value;
}

export function checkSize(size: unknown): number {
  if (typeof size !== "number" || !Number.isSafeInteger(size) || size < 0) throw new BadRequestError("size must be a whole number of bytes");
  return size;
}

// Controls and every format character (Cf: bidirectional marks, overrides and isolates,
// zero-width characters, BOM, soft hyphen, interlinear annotations, the invisible tag characters
// U+E0000-E007F), and characters that show as nothing (combining grapheme joiner, Hangul and
// Khmer fillers, Mongolian vowel separator): they can disguise a name ("gnp.exe" shown as
// "exe.png") or hide text in it.
const NAME_STRIP = /[\p{Cc}\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0]/gu;
const MAX_NAME_BYTES = 255;

/**
 * A file name safe to show and to offer as a file name: the last path segment, no control or
 * direction-changing characters, no leading dots or blanks, at most 255 UTF-8 bytes (whole
 * characters). Never used for our own files, which are named by id.
 */
export function sanitizeName(raw: unknown): string {
  let name = typeof raw === "string" ? raw.normalize("NFC") : "";
  name = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1);
  name = name.replace(NAME_STRIP, "").replace(/\s+/gu, " ").replace(/^[\s.]+/u, "").trimEnd();
  let out = "";
  let bytes = 0;
  for (const ch of name) {
    bytes += Buffer.byteLength(ch);
    if (bytes > MAX_NAME_BYTES) break;
    out += ch;
  }
  return out || "file";
}

// RFC 6838 §4.2 type/subtype names, optional parameters kept as given (printable ASCII only).
const MEDIA_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;[\x20-\x7e]*)?$/;

/** The media type if well-formed (at most 255 characters), else application/octet-stream. */
export function normalizeMediaType(raw: unknown): string {
  if (typeof raw !== "string" || raw.length > 255 || !MEDIA_TYPE_RE.test(raw)) return "application/octet-stream";
  const semi = raw.indexOf(";");
  return semi === -1 ? raw.toLowerCase() : raw.slice(0, semi).toLowerCase() + raw.slice(semi);
}
