// XEP-0234 §Security Considerations: "the recipient MUST NOT use the file name as a path". The
// one sanitiser for an offered file name, used by the receiver (driver/files.ts, the name a file
// gets on disk) and by the store (component/src/store/validate.ts, the name it keeps, shows in
// notices and offers again), so that a file gets the same name whether it came directly or
// through the store. https://xmpp.org/extensions/xep-0234.html#security

/** At most this many UTF-8 bytes: NAME_MAX is 255 bytes on Linux, macOS and Windows, and a part
 *  file adds ".<12 hex>.xft-part.json" (27 bytes) and a taken name " (NN)" to it. Bytes rather
 *  than characters: 200 CJK characters are 600 bytes, which no file system takes. */
export const MAX_FILE_NAME_BYTES = 200;

/** What an empty name (or one of nothing but invisible characters) becomes. */
export const UNNAMED = "unnamed";

// Invisible characters, removed: every format character (Cf: the bidirectional marks U+200E/F
// and U+061C, overrides U+202A-202E and isolates U+2066-2069, zero-width U+200B-200D and U+2060,
// the BOM U+FEFF, soft hyphen, the tag characters U+E0000-E007F), and those that show as nothing
// while not Cf (combining grapheme joiner, Hangul and Khmer fillers, Mongolian vowel separator).
// They disguise a name: "invoice\u202Efdp.exe" shows as "invoiceexe.pdf".
const INVISIBLE = /[\p{Cf}\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0]/gu;

// Percent-encoded (the UTF-8 bytes of the character), so that the name stays one path component
// and shows what it had: path separators and the drive/stream colon; controls (C0, DEL, C1);
// characters that look like a slash or backslash ("docs\u2215passwd" would show as a path), or
// like a dot ("\uFF0E\uFF0E\u2215" as "../").
const SEPARATORS = "/\\\\:";
const SLASH_LIKE = "\u2044\u2215\u2571\u27cb\u29f8\uff0f\u1735\u2216\u2572\u27cd\u29f5\u29f9\ufe68\uff3c";
const DOT_LIKE = "\u2024\u2025\ufe52\uff0e\u0701\u0702\ua4f8\ua60e";
const ENCODED = new RegExp(`[${SEPARATORS}\\p{Cc}${SLASH_LIKE}${DOT_LIKE}]`, "u");
// a combining mark right after an escape is encoded too: "%2E" + U+0301 would compose to "%2É"
const COMBINING = /\p{M}/u;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** the longest extension kept when a long name is cut ("…stem.json") */
const MAX_KEPT_EXTENSION_BYTES = 32;

const percentEncode = (ch: string) => [...Buffer.from(ch, "utf8")].map((b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");

/**
 * The name an offered file may have on disk and in a store: one path component that is not
 * hidden, shows no invisible characters, and fits a file system.
 * - lone surrogates become U+FFFD (what the file system would write anyway);
 * - invisible characters (INVISIBLE) are removed, then the name is NFC-normalised;
 * - white space at either end is removed ("report.pdf " hides its extension);
 * - separators, controls and look-alike slashes and dots are percent-encoded (ENCODED), and so
 *   are leading dots (".bashrc" -> "%2Ebashrc": never a hidden file, never "." or "..") and a
 *   combining mark right after an escape;
 * - over MAX_FILE_NAME_BYTES it is cut on whole characters and escapes, keeping an extension of
 *   up to 32 bytes;
 * - an empty result is UNNAMED.
 * '%' itself is not encoded, which makes the function idempotent (a name the store sanitised
 * comes out of the receiver's sanitising unchanged); so "a%2Fb" and "a/b" give the same name,
 * which the receiver's "NAME (1)" rule keeps apart on disk.
 */
export function sanitizeFileName(raw: unknown): string {
  let name = typeof raw === "string" ? raw : "";
  name = name.replace(LONE_SURROGATE, "\ufffd").replace(INVISIBLE, "").normalize("NFC").trim();
  const pieces: string[] = [];
  let leadingDots = true;
  let afterEscape = false;
  for (const ch of name) {
    leadingDots &&= ch === ".";
    afterEscape = leadingDots || ENCODED.test(ch) || (afterEscape && COMBINING.test(ch));
    pieces.push(afterEscape ? percentEncode(ch) : ch);
  }
  const cut = cutToBytes(pieces, MAX_FILE_NAME_BYTES).trimEnd();
  return cut === "" ? UNNAMED : cut;
}

/** pieces (characters and escapes) joined, cut to maxBytes on whole pieces, the extension kept */
function cutToBytes(pieces: string[], maxBytes: number): string {
  const bytes = pieces.map((p) => Buffer.byteLength(p));
  const total = bytes.reduce((a, b) => a + b, 0);
  if (total <= maxBytes) return pieces.join("");
  const dot = pieces.lastIndexOf(".");
  const extBytes = dot > 0 ? bytes.slice(dot).reduce((a, b) => a + b, 0) : Infinity;
  const keep = extBytes <= MAX_KEPT_EXTENSION_BYTES ? pieces.slice(dot) : [];
  let room = maxBytes - (keep.length ? extBytes : 0);
  let stem = "";
  for (let i = 0; i < pieces.length && bytes[i] <= room; i++) {
    stem += pieces[i];
    room -= bytes[i];
  }
  return stem.trimEnd() + keep.join("");
}
