// Entity decoding for XMPP streams. RFC 6120 §11.1 forbids entity references other than the
// five predefined ones (§11.1: "MUST NOT contain ... entity references other than the predefined
// entities"); numeric character references are allowed. Anything else is an XMLError, never
// passed through as text: a peer that sends "&foo;" or a bare "&" is not speaking XML.
import { XMLError } from "./xml-error.js";

// A Map, not an object literal: "&toString;" must not find Object.prototype.toString.
const PREDEFINED = new Map([["amp", "&"], ["lt", "<"], ["gt", ">"], ["quot", '"'], ["apos", "'"]]);

// Sticky: matched exactly at the '&' found by indexOf. Digit counts are capped so that a long
// run of digits cannot become a huge number (or a slow parse); 6 hex / 7 decimal digits cover U+10FFFF.
const REFERENCE = /&(?:#x([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z][A-Za-z0-9]{0,7}));/y;

/** https://www.w3.org/TR/xml/#NT-Char */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 || cp === 0xa || cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Decodes entity and character references; one pass, linear in the length of `s`. */
export function decodeEntities(s: string): string {
  let amp = s.indexOf("&");
  if (amp === -1) return s; // the common case (base64 payloads): no copy at all
  const out: string[] = [];
  let done = 0;
  while (amp !== -1) {
    REFERENCE.lastIndex = amp;
    const m = REFERENCE.exec(s);
    if (!m) throw new XMLError(`malformed or unterminated entity reference: ${JSON.stringify(s.slice(amp, amp + 12))}`);
    out.push(s.slice(done, amp));
    if (m[3] !== undefined) {
      const value = PREDEFINED.get(m[3]);
      if (value === undefined) throw new XMLError(`undefined entity &${m[3]}; (XMPP allows only the predefined ones)`);
      out.push(value);
    } else {
      const cp = m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2], 10);
      if (!isXmlChar(cp)) throw new XMLError(`character reference to an illegal XML character: ${m[0]}`);
      out.push(String.fromCodePoint(cp));
    }
    done = REFERENCE.lastIndex;
    amp = s.indexOf("&", done);
  }
  out.push(s.slice(done));
  return out.join("");
}
