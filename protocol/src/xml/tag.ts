// Parses the inside of one complete tag (the text between '<' and '>'), once the stream parser
// has found its end. Each tag is scanned once, so the cost is linear in its length.
// Well-formedness rules from https://www.w3.org/TR/xml/#sec-starttags.
import { decodeEntities } from "./entities.js";
import { XMLError } from "./xml-error.js";

export interface StartTag {
  name: string;
  attrs: Record<string, string>;
  selfClosing: boolean;
}

// A loose https://www.w3.org/TR/xml/#NT-Name: ASCII rules exact, everything from U+00B7 up accepted.
const NAME = /^[A-Za-z_:\u00C0-\uFFFF][A-Za-z0-9_:.\-\u00B7-\uFFFF]*$/;

const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function skipSpace(s: string, i: number): number {
  while (i < s.length && isSpace(s.charCodeAt(i))) i++;
  return i;
}

// A name ends at whitespace or at a character that cannot be in one; NAME then checks it.
function nameEnd(s: string, i: number): number {
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isSpace(c) || c === 0x2f /* / */ || c === 0x3d /* = */ || c === 0x22 || c === 0x27 || c === 0x3c /* < */) break;
  }
  return i;
}

function readName(s: string, from: number, what: string): [string, number] {
  const end = nameEnd(s, from);
  const name = s.slice(from, end);
  if (!NAME.test(name)) throw new XMLError(`invalid ${what} name ${JSON.stringify(name || s.slice(from, from + 10))}`);
  return [name, end];
}

/** `body` is the text between '<' and '>' of a start or empty-element tag. */
export function parseStartTag(body: string): StartTag {
  const [name, afterName] = readName(body, 0, "element");
  const attrs: Record<string, string> = {};
  let selfClosing = false;
  let i = afterName;
  for (;;) {
    const before = i;
    i = skipSpace(body, i);
    if (i === body.length) break;
    if (body.charCodeAt(i) === 0x2f /* / */) {
      if (i + 1 !== body.length) throw new XMLError(`unexpected '/' in <${name}>`);
      selfClosing = true;
      break;
    }
    if (i === before) throw new XMLError(`attributes of <${name}> must be separated by whitespace`);
    const [attr, afterAttr] = readName(body, i, "attribute");
    i = skipSpace(body, afterAttr);
    if (body.charCodeAt(i) !== 0x3d /* = */) throw new XMLError(`attribute ${attr} of <${name}> has no value`);
    i = skipSpace(body, i + 1);
    const quote = body.charCodeAt(i);
    if (quote !== 0x22 && quote !== 0x27) throw new XMLError(`value of attribute ${attr} of <${name}> is not quoted`);
    const close = body.indexOf(quote === 0x22 ? '"' : "'", i + 1);
    if (close === -1) throw new XMLError(`unterminated value of attribute ${attr} of <${name}>`);
    const raw = body.slice(i + 1, close);
    // https://www.w3.org/TR/xml/#NT-AttValue: '<' is never allowed in an attribute value
    if (raw.includes("<")) throw new XMLError(`'<' in the value of attribute ${attr} of <${name}>`);
    if (Object.hasOwn(attrs, attr)) throw new XMLError(`duplicate attribute ${attr} in <${name}>`);
    attrs[attr] = decodeEntities(raw);
    i = close + 1;
  }
  return { name, attrs, selfClosing };
}

/** `body` is the text between '<' and '>' of an end tag, starting with '/'. Returns the name. */
export function parseEndTag(body: string): string {
  const [name, end] = readName(body, 1, "end tag");
  if (skipSpace(body, end) !== body.length) throw new XMLError(`unexpected content in end tag </${name}>`);
  return name;
}
