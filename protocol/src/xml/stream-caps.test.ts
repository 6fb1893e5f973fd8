// The per-stanza caps of StreamParser (issue 12, item 13): a stanza over one is skipped without
// being held and reported as "stanza-refused" with its shell; the stream goes on.
import assert from "node:assert/strict";
import type { Element } from "ltx/lib/ltx.js";
import { StreamParser, type StreamParserOptions } from "./stream-parser.js";

const HEADER = "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' from='x'>";

function feed(options: StreamParserOptions, ...chunks: Array<string | string[]>) {
  const p = new StreamParser(options);
  const got = { elements: [] as Element[], refused: [] as Array<{ shell: Element; reason: string }>, errors: [] as Error[] };
  p.on("element", (el: Element) => got.elements.push(el));
  p.on("stanza-refused", (shell: Element, reason: string) => got.refused.push({ shell, reason }));
  p.on("error", (err: Error) => got.errors.push(err));
  p.write(HEADER);
  for (const c of chunks) for (const piece of typeof c === "string" ? [c] : c) p.write(piece);
  return got;
}

const iq = (inner: string, attrs = "") => `<iq type='set' id='q1' from='m@x/r'${attrs}><q xmlns='urn:x'>${inner}</q></iq>`;

describe("StreamParser per-stanza caps", () => {
  it("within the caps: delivered as before", () => {
    const got = feed({ maxElements: 4 }, iq("<a/><b/>"));
    assert.equal(got.elements.length, 1);
    assert.equal(got.elements[0].getChild("q")!.children.length, 2);
    assert.deepEqual(got.refused, []);
  });

  it("too many elements: refused with its shell (attributes, no children), the next stanza delivered", () => {
    const got = feed({ maxElements: 4 }, iq("<a/><b/><c>text<d/></c>"), "<message id='m2'><body>hi</body></message>");
    assert.equal(got.refused.length, 1);
    assert.equal(got.refused[0].reason, "more than 4 elements in one stanza");
    assert.deepEqual(got.refused[0].shell.attrs, { type: "set", id: "q1", from: "m@x/r" });
    assert.equal(got.refused[0].shell.name, "iq");
    assert.deepEqual(got.refused[0].shell.children, []);
    assert.deepEqual(got.elements.map((e) => e.attrs.id), ["m2"]);
    assert.equal(got.elements[0].getChildText("body"), "hi");
    assert.deepEqual(got.errors, []);
  });

  it("too many attributes in one stanza, or one too long", () => {
    const many = feed({ maxAttributes: 5 }, iq("<a x='1' y='2'/>"));
    assert.match(many.refused[0]?.reason ?? "", /more than 5 attributes/);
    const long = feed({ maxAttributeLength: 8 }, iq(`<a x='${"y".repeat(9)}'/>`), iq("<a x='12345678'/>"));
    assert.match(long.refused[0]?.reason ?? "", /attribute value longer than 8/);
    assert.equal(long.elements.length, 1);
  });

  it("the stanza's own tag over a cap: refused, shell kept", () => {
    const got = feed({ maxAttributes: 2 }, "<presence a='1' b='2' c='3'/>", "<presence id='ok'/>");
    assert.equal(got.refused[0].shell.name, "presence");
    assert.deepEqual(got.elements.map((e) => e.attrs.id), ["ok"]);
  });

  it("skipped across writes, whatever the split, without keeping the skipped part", () => {
    const big = iq("<a/>".repeat(50_000) + "<b>" + "t".repeat(10_000) + "<![CDATA[c]]></b>");
    for (const size of [1, 7, 4096]) {
      const chunks: string[] = [];
      for (let i = 0; i < big.length; i += size) chunks.push(big.slice(i, i + size));
      const got = feed({ maxElements: 100 }, chunks, "<iq type='result' id='next'/>");
      assert.equal(got.refused.length, 1, `chunks of ${size}`);
      assert.deepEqual(got.refused[0].shell.children, []);
      assert.deepEqual(got.elements.map((e) => e.attrs.id), ["next"]);
    }
  });

  it("the defaults refuse 1 MB of empty elements (issue 12) and keep a large roster", () => {
    assert.equal(feed({}, iq("<a/>".repeat(262_144))).refused.length, 1);
    const roster = Array.from({ length: 3000 }, (_, i) => `<item jid='u${i}@example.org' name='User ${i}' subscription='both'><group>Friends</group></item>`).join("");
    assert.equal(feed({}, `<iq type='result' id='r'><query xmlns='jabber:iq:roster'>${roster}</query></iq>`).elements.length, 1);
  });

  it("a mismatched end tag of the refused stanza itself is still a stream error", () => {
    assert.equal(feed({ maxElements: 2 }, "<iq><a/><b/></message>").errors.length, 1);
  });
});
