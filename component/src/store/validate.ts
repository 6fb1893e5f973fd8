// Input checks and normalization for the store. Everything from the network passes here before
// it reaches SQL (as bound parameters) or a log; nothing from the network reaches a file path.
import { randomBytes } from "node:crypto";
import { isReservedFileName } from "@xft/protocol/driver/offered-name.js";
import { sanitizeFileName } from "@xft/protocol/xep0234/file-name.js";
import { BadRequestError, ReservedNameError } from "./errors.js";

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

/**
 * The name a forwarded file is kept, shown and offered again under: the receiver's own rules
 * (@xft/protocol sanitizeFileName: one path component, no invisible characters, no look-alike
 * slashes, at most 200 UTF-8 bytes), so that the recipient's client stores it unchanged. Never
 * used for our own files, which are named by id. A name like a receiver's partial download
 * (*.xft-part, *.xft-part.json) is refused: the recipient's client would refuse its offer.
 */
export function storedName(raw: unknown): string {
  const name = sanitizeFileName(raw);
  if (isReservedFileName(name)) throw new ReservedNameError(name);
  return name;
}

// RFC 6838 §4.2 type/subtype names, optional parameters kept as given (printable ASCII only).
const MEDIA_TYPE_RE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(\s*;[\x20-\x7e]*)?$/;

/** The media type if well-formed (at most 255 characters), else application/octet-stream. */
export function normalizeMediaType(raw: unknown): string {
  if (typeof raw !== "string" || raw.length > 255 || !MEDIA_TYPE_RE.test(raw)) return "application/octet-stream";
  const semi = raw.indexOf(";");
  return semi === -1 ? raw.toLowerCase() : raw.slice(0, semi).toLowerCase() + raw.slice(semi);
}
