// A streaming XML parser for XMPP streams whose cost is linear in the input, a drop-in for
// @xmpp/xml's Parser (0.13 and 0.14): same events, same ltx Element trees.
//
// Why: in text, ltx's parser jumps to the next '<' with indexOf, but when the chunk has none
// left (a text node running past the end of a socket read) it steps one character at a time and
// runs indexOf to the end of the chunk from each: O(n²) in the text's length. Then it prepends
// the unfinished text to the next chunk. It parsed 290 MiB/s at 4 KiB text nodes, 8.7 at 32 KiB,
// 3.2 at 64 KiB (SERVERS.md); our IBB blocks are 32 KiB of payload (~43 KiB of base64). Here each
// input character is looked at a bounded number of times: text is skipped with indexOf('<'),
// the pieces of one text node, tag or CDATA section are collected in an array and joined once,
// and at most 8 characters are carried from one write to the next.
//
// Events, as @xmpp/xml's Parser emits them:
//   "start"   (root)     the stream header <stream:stream ...>
//   "element" (element)  each complete child of the root, with `parent` set to the root
//   "end"     (root)     </stream:stream>
//   "stanza-refused" (shell, reason)  a stanza over maxElements, maxAttributes or
//                        maxAttributeLength: it is skipped to its end without being held (only
//                        its depth is counted, so the part after the cap is not checked for
//                        matching end tags: the server relaying it has parsed it), and `shell` is
//                        its top-level element with its attributes and no children, so that the
//                        connection can answer it with an error. The stream goes on: a stanza a
//                        remote peer had relayed to us must not cost everyone our connection.
//   "error"   (XMLError) the input is not a well-formed XMPP stream; the parser then ignores all
//                        further input (the connection answers with a bad-format stream error).
// Malformed input never throws out of write() (given an "error" listener: as with any
// EventEmitter, an unheard "error" is thrown). An exception thrown by a listener does propagate,
// but the parser stays consistent and parses the rest of that chunk with the next write().
//
// Deliberate differences from the stock parser, all about input it handled badly:
// - RFC 6120 §11.1 restricted XML: comments, processing instructions (other than the XML
//   declaration before the root), DTDs and entity references other than the five predefined
//   ones are errors. (ltx skipped comments and PIs and threw out of write() on unknown entities.)
// - Text directly inside the root (whitespace keepalives between stanzas) is dropped; ltx
//   appended every one of them to the root element, which grew for the life of the stream.
// - Text after a CDATA section is kept (ltx lost it); CDATA is a separate text child, as in ltx.
// - Anything but whitespace after </stream:stream> is an error (ltx parsed on).
// - Elements larger than maxElementSize, or nested deeper than maxDepth, are errors.
// - Bytes (Buffer/Uint8Array) may be written: they are decoded with one StringDecoder, so a UTF-8
//   character split between two socket reads is not mangled (xmpp.js decodes each chunk alone).
import { EventEmitter } from "node:events";
import { StringDecoder } from "node:string_decoder";
import Element from "ltx/lib/Element.js";
import { decodeEntities } from "./entities.js";
import { parseEndTag, parseStartTag } from "./tag.js";
import { XMLError } from "./xml-error.js";

export { XMLError };

export interface StreamParserOptions {
  /**
   * Largest top-level element (stanza), in UTF-16 code units from its '<' to its last '>'.
   * Also bounds what is held for an unfinished one, so a peer cannot make us buffer without end.
   */
  maxElementSize?: number;
  /** Deepest nesting of elements, the root included (ltx's toString() and getNS() recurse). */
  maxDepth?: number;
  /** Most elements in one stanza, itself included: over it, the stanza is refused (below). */
  maxElements?: number;
  /** Most attributes in one stanza, all its elements together: over it, the stanza is refused. */
  maxAttributes?: number;
  /** Longest attribute value, in code units as written: over it, the stanza is refused. */
  maxAttributeLength?: number;
}

/** 1 MiB as Prosody and ejabberd are configured (SERVERS.md), plus room for what a server adds
 * when it routes a stanza (from/to attributes, <delay/>, carbons and MAM wrappers). */
export const DEFAULT_MAX_ELEMENT_SIZE = 1024 * 1024 + 64 * 1024;
export const DEFAULT_MAX_DEPTH = 256;
// Each ltx Element costs ~300 bytes: 1 MB of "<a/>" is 262 144 of them, ~80 MB for one stanza
// (the component went 67 -> 238 MiB RSS after ten such stanzas, issue 12). Our stanzas have tens
// of elements; the largest we receive is a roster (a few per contact): 10 000 is ~3 MB.
export const DEFAULT_MAX_ELEMENTS = 10_000;
export const DEFAULT_MAX_ATTRIBUTES = 20_000;
// a full JID is at most 3071 bytes (RFC 7622 §3), written with entities up to ~6x that
export const DEFAULT_MAX_ATTRIBUTE_LENGTH = 16 * 1024;

const TEXT = 0; // character data, up to the next '<'
const TAG = 1; // inside <...> of a start or end tag, looking for the '>' that is not in quotes
const CDATA = 2; // inside <![CDATA[ ... ]]>
const DECLARATION = 3; // inside <?xml ... ?>

const PROLOG = 0; // before the root's start tag
const OPEN = 1; // the root is open
const CLOSED = 2; // </stream:stream> was seen

const CDATA_OPEN = "<![CDATA[";
const NOT_SPACE = /[^ \t\r\n]/;

// A substring V8 makes of a longer string is a view that keeps the whole of it alive: an
// attribute value sliced from a 64 KiB socket read kept that read for as long as its element
// lived, and an IQ waits (for its block to be written) long enough to be promoted with it. The
// old generation then filled with socket reads: 40 MB committed at 100 concurrent uploads, for
// ~15 MB live (--trace-gc). Tags and short texts are copied out (a few hundred bytes); a long
// text (an IBB block, 43 KiB) is not worth copying and is dropped once decoded (driver/manager.ts).
const DETACH_TEXT_UP_TO = 1024;
function detached(s: string): string {
  return s.length < 13 ? s : (" " + s).slice(1); // V8 copies strings under 13 characters anyway
}

// Wraps an exception thrown by one of our listeners, so that write() can rethrow it as is
// instead of mistaking it for malformed input.
class ListenerError {
  constructor(readonly cause: unknown) {}
}

export class StreamParser extends EventEmitter {
  static readonly XMLError = XMLError;

  root: Element | null = null;
  cursor: Element | null = null;

  private readonly maxElementSize: number;
  private readonly maxDepth: number;
  private readonly maxElements: number;
  private readonly maxAttributes: number;
  private readonly maxAttributeLength: number;
  private stanza: Element | null = null; // the open top-level element
  private elements = 0; //                  its elements so far, itself included
  private attributes = 0; //                and their attributes
  private refused: string | null = null; // why the open stanza is being skipped, or null

  private state = PROLOG;
  private mode = TEXT;
  private depth = 0; // open elements, the root included
  private stopped = false; // after an error or end(): input is ignored
  private parts: string[] = []; // the pieces of the current text node, tag body or CDATA section
  private quote = 0; // in a tag: the char code of the quote we are inside, or 0
  private carry = ""; // at most 8 chars held back until the next write: an unclassified "<!..." or a
  //                     possible start of "]]>" / "?>"
  private pending: string | null = null; // input left unparsed when a listener threw...
  private pendingPos = 0; //                ...and where in it to go on
  private received = 0; // code units received so far: positions below are offsets in the stream
  private elementStart = -1; // where the current top-level element (or the root tag) began
  private decoder: StringDecoder | null = null;

  constructor(options: StreamParserOptions = {}) {
    super();
    this.maxElementSize = options.maxElementSize ?? DEFAULT_MAX_ELEMENT_SIZE;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.maxElements = options.maxElements ?? DEFAULT_MAX_ELEMENTS;
    this.maxAttributes = options.maxAttributes ?? DEFAULT_MAX_ATTRIBUTES;
    this.maxAttributeLength = options.maxAttributeLength ?? DEFAULT_MAX_ATTRIBUTE_LENGTH;
  }

  write(data: string | Uint8Array): void {
    if (this.stopped) return;
    const chunk = typeof data === "string" ? data : (this.decoder ??= new StringDecoder("utf8")).write(data);
    const prefix = this.pending !== null ? this.pending.slice(this.pendingPos) : this.carry;
    this.pending = null;
    this.carry = "";
    const base = this.received - prefix.length;
    this.received += chunk.length;
    try {
      this.parse(prefix ? prefix + chunk : chunk, base);
      if (this.elementStart >= 0 && this.received - this.elementStart > this.maxElementSize) {
        throw new XMLError(`element larger than ${this.maxElementSize} characters`);
      }
    } catch (err) {
      if (err instanceof ListenerError) throw err.cause;
      if (!(err instanceof XMLError)) throw err; // a bug of ours: let it show
      this.fail(err);
    }
  }

  end(data?: string | Uint8Array): void {
    if (data) this.write(data);
    const rest = this.decoder?.end();
    if (rest) this.write(rest);
    this.stopped = true;
  }

  private fail(err: XMLError): void {
    this.stopped = true;
    this.parts = [];
    this.carry = "";
    this.emit("error", err);
  }

  // `s` is the input from stream offset `base` on.
  private parse(s: string, base: number): void {
    const n = s.length;
    let pos = 0;
    while (pos < n) {
      if (this.mode === TEXT) {
        const lt = s.indexOf("<", pos);
        if (lt !== pos) this.text(s, pos, lt === -1 ? n : lt);
        if (lt === -1) break;
        if (this.state === CLOSED) throw new XMLError("data after the end of the stream");
        const next = this.markupStart(s, lt);
        if (next === -1) {
          this.carry = s.slice(lt); // too little of "<!..." to tell what it is
          break;
        }
        this.flushText();
        if (this.depth <= 1 && this.elementStart < 0) this.elementStart = base + lt;
        pos = next;
      } else if (this.mode === TAG) {
        const gt = this.tagEnd(s, pos);
        if (gt === -1) {
          this.parts.push(s.slice(pos));
          break;
        }
        const body = this.joinParts(detached(s.slice(pos, gt)));
        this.mode = TEXT;
        pos = gt + 1;
        this.pending = s; // if a listener throws, the next write() goes on from here
        this.pendingPos = pos;
        this.tag(body, base + pos);
      } else {
        const terminator = this.mode === CDATA ? "]]>" : "?>";
        const end = s.indexOf(terminator, pos);
        if (end === -1) {
          // the last chars may be the start of the terminator: look at them again next time
          const keep = Math.max(pos, n - terminator.length + 1);
          if (keep > pos) this.parts.push(s.slice(pos, keep));
          this.carry = s.slice(keep);
          break;
        }
        const content = this.joinParts(s.slice(pos, end));
        if (this.mode === CDATA) {
          if (content && this.refused === null) this.cursor!.t(content);
        } else if (!/^xml[ \t\r\n]/.test(content)) {
          throw new XMLError("processing instructions are not allowed in XMPP (RFC 6120 §11.1)");
        }
        this.mode = TEXT;
        pos = end + terminator.length;
        if (this.depth <= 1) this.elementStart = -1;
      }
    }
    this.pending = null;
  }

  // Character data in s[from, to).
  private text(s: string, from: number, to: number): void {
    if (this.depth >= 2) {
      if (this.refused === null) this.parts.push(s.slice(from, to));
      return;
    }
    // Between stanzas only whitespace is expected (keepalives); it is not kept. Before the
    // root and after its end, anything else is an error.
    if (this.state !== OPEN && NOT_SPACE.test(s.slice(from, to))) {
      throw new XMLError(this.state === PROLOG ? "text before the stream header" : "data after the end of the stream");
    }
  }

  private flushText(): void {
    if (this.parts.length === 0) return;
    const text = this.joinParts("");
    this.cursor!.t(decodeEntities(text.length <= DETACH_TEXT_UP_TO ? detached(text) : text));
  }

  private joinParts(last: string): string {
    if (this.parts.length === 0) return last;
    this.parts.push(last);
    const joined = this.parts.join("");
    this.parts = [];
    return joined;
  }

  // s[lt] is '<'. Switches mode and returns where its content starts, or -1 if `s` ends too soon
  // to tell what kind of markup this is.
  private markupStart(s: string, lt: number): number {
    if (lt + 1 >= s.length) return -1;
    const c = s.charCodeAt(lt + 1);
    if (c === 0x3f /* ? */) {
      if (this.state !== PROLOG) throw new XMLError("processing instructions are not allowed in XMPP (RFC 6120 §11.1)");
      this.mode = DECLARATION;
      return lt + 2;
    }
    if (c === 0x21 /* ! */) {
      if (s.startsWith(CDATA_OPEN, lt)) {
        if (this.depth < 2) throw new XMLError("CDATA section outside of a stanza");
        this.mode = CDATA;
        return lt + CDATA_OPEN.length;
      }
      if (s.length - lt < CDATA_OPEN.length && CDATA_OPEN.startsWith(s.slice(lt))) return -1;
      throw new XMLError(
        s.startsWith("<!--", lt)
          ? "comments are not allowed in XMPP (RFC 6120 §11.1)"
          : "DTDs and declarations are not allowed in XMPP (RFC 6120 §11.1)",
      );
    }
    this.mode = TAG;
    this.quote = 0;
    return lt + 1;
  }

  // Index of the '>' that ends the tag, skipping quoted attribute values, or -1 (state kept).
  private tagEnd(s: string, i: number): number {
    const n = s.length;
    for (;;) {
      if (this.quote !== 0) {
        const close = s.indexOf(this.quote === 0x22 ? '"' : "'", i);
        if (close === -1) return -1;
        this.quote = 0;
        i = close + 1;
      }
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c === 0x3e /* > */) return i;
        if (c === 0x22 || c === 0x27) break;
      }
      if (i >= n) return -1;
      this.quote = s.charCodeAt(i++);
    }
  }

  // A complete tag; `at` is the stream offset just after its '>'.
  private tag(body: string, at: number): void {
    if (body.charCodeAt(0) === 0x2f /* / */) {
      this.close(parseEndTag(body), at);
      return;
    }
    const { name, attrs, selfClosing } = parseStartTag(body);
    this.open(name, attrs);
    if (selfClosing) this.close(name, at);
  }

  private open(name: string, attrs: Record<string, string>): void {
    if (this.refused !== null) {
      this.depth++; // skipping: nothing is built or kept
      return;
    }
    const element = new Element(name, attrs);
    if (this.state === PROLOG) {
      this.state = OPEN;
      this.root = this.cursor = element;
      this.depth = 1;
      this.elementStart = -1;
      this.deliver("start", element);
      return;
    }
    if (this.depth >= this.maxDepth) throw new XMLError(`elements nested deeper than ${this.maxDepth}`);
    if (this.depth === 1) {
      this.stanza = element;
      this.elements = this.attributes = 0;
    }
    const refusal = this.overCap(attrs);
    if (refusal !== null) {
      // drop what was built: the stanza is kept as a shell, its attributes and no children
      this.refused = refusal;
      this.stanza!.children = [];
      this.cursor = this.stanza;
      this.depth++;
      return;
    }
    // Like @xmpp/xml: a top-level element gets its parent (the root) only once it is complete.
    if (this.depth >= 2) this.cursor!.cnode(element);
    this.cursor = element;
    this.depth++;
  }

  // Counts one more element of the open stanza; the reason it goes over a cap, or null.
  private overCap(attrs: Record<string, string>): string | null {
    if (++this.elements > this.maxElements) return `more than ${this.maxElements} elements in one stanza`;
    for (const key in attrs) {
      if (++this.attributes > this.maxAttributes) return `more than ${this.maxAttributes} attributes in one stanza`;
      if (attrs[key].length > this.maxAttributeLength) return `an attribute value longer than ${this.maxAttributeLength} characters`;
    }
    return null;
  }

  private close(name: string, at: number): void {
    if (this.refused !== null && this.depth > 2) {
      this.depth--; // skipping: only the depth is counted
      return;
    }
    const { cursor, root } = this;
    if (!cursor || !root) throw new XMLError(`unexpected end tag </${name}>`);
    if (name !== cursor.name) throw new XMLError(`${cursor.name} must be closed, found </${name}>.`);
    if (cursor === root) {
      this.state = CLOSED;
      this.cursor = null;
      this.depth = 0;
      this.elementStart = -1;
      this.deliver("end", root);
      return;
    }
    if (this.depth > 2) {
      this.cursor = cursor.parent;
      this.depth--;
      return;
    }
    if (at - this.elementStart > this.maxElementSize) {
      throw new XMLError(`element larger than ${this.maxElementSize} characters`);
    }
    this.elementStart = -1;
    cursor.parent = root;
    this.cursor = root;
    this.depth = 1;
    this.stanza = null;
    const refused = this.refused;
    this.refused = null;
    if (refused !== null) this.deliver("stanza-refused", cursor, refused);
    else this.deliver("element", cursor);
  }

  private deliver(event: "start" | "element" | "end" | "stanza-refused", element: Element, reason?: string): void {
    try {
      if (reason !== undefined) this.emit(event, element, reason);
      else this.emit(event, element);
    } catch (err) {
      throw new ListenerError(err);
    }
  }
}

export default StreamParser;
