import assert from "node:assert/strict";
import { createElement as xml, parse, type Element } from "ltx/lib/ltx.js";
import { isReservedNamespace, makePrivateGet, makePrivateSet, NS_PRIVATE, parsePrivateResult, PrivateStorageError } from "./private.js";

/** XML text without the whitespace between elements, as ltx prints it. */
function golden(text: string): string {
  return parse(text.replace(/>\s+</g, "><").trim()).toString();
}

const exodus = () => xml("exodus", { xmlns: "exodus:prefs" }, xml("defaultnick", {}, "Hamlet"));

describe("XEP-0049 private XML storage", () => {
  describe("golden examples (XEP-0049 v1.2 §2.3)", () => {
    it("Example 1, Client Stores Private Data", () => {
      assert.equal(makePrivateSet(exodus()).toString(), golden(`
        <iq type="set">
          <query xmlns="jabber:iq:private">
            <exodus xmlns="exodus:prefs">
              <defaultnick>Hamlet</defaultnick>
            </exodus>
          </query>
        </iq>`));
    });

    it("Example 2, Client Retrieves Private Data: the request", () => {
      assert.equal(makePrivateGet("exodus", "exodus:prefs").toString(), golden(`
        <iq type="get">
          <query xmlns="jabber:iq:private">
            <exodus xmlns="exodus:prefs"/>
          </query>
        </iq>`));
    });

    it("Example 2: the result gives back the stored element", () => {
      const result = parse(golden(`
        <iq type="result" from="hamlet@shakespeare.lit/denmark" to="hamlet@shakespeare.lit/denmark" id="1002">
          <query xmlns="jabber:iq:private">
            <exodus xmlns="exodus:prefs">
              <defaultnick>Hamlet</defaultnick>
            </exodus>
          </query>
        </iq>`));
      const el = parsePrivateResult(result, "exodus", "exodus:prefs");
      assert.equal(el?.toString(), exodus().toString());
      assert.equal(el?.getChildText("defaultnick"), "Hamlet");
    });
  });

  describe("requests", () => {
    it("never addresses anyone else: no 'to' (§2.3: another user's data is forbidden)", () => {
      assert.equal(makePrivateGet("a", "urn:example").attrs.to, undefined);
      assert.equal(makePrivateSet(xml("a", { xmlns: "urn:example" })).attrs.to, undefined);
    });

    it("exactly one child in the query", () => {
      assert.equal(makePrivateGet("a", "urn:example").getChild("query", NS_PRIVATE)?.getChildElements().length, 1);
      assert.equal(makePrivateSet(xml("a", { xmlns: "urn:example" })).getChild("query", NS_PRIVATE)?.getChildElements().length, 1);
    });

    it("refuses an element without its own explicit xmlns (ejabberd rejects those)", () => {
      assert.throws(() => makePrivateSet(xml("a", {})), PrivateStorageError);
      assert.throws(() => makePrivateGet("a", ""), /needs its own xmlns/);
    });

    for (const ns of ["jabber:iq:private", "jabber:iq:roster", "http://jabber.org/protocol/disco#info", "vcard-temp"]) {
      it(`refuses the reserved namespace ${ns} (§2.3)`, () => {
        assert.ok(isReservedNamespace(ns));
        assert.throws(() => makePrivateGet("x", ns), /reserved/);
        assert.throws(() => makePrivateSet(xml("x", { xmlns: ns })), /reserved/);
      });
    }

    it("allows urn: and other namespaces", () => {
      assert.equal(isReservedNamespace("urn:xmpp:jingle-ft-recovery:prefs:0"), false);
      assert.equal(isReservedNamespace("storage:bookmarks"), false);
    });

    it("refuses a prefixed or empty name", () => {
      assert.throws(() => makePrivateGet("p:x", "urn:example"), /bad element name/);
      assert.throws(() => makePrivateGet("", "urn:example"), /bad element name/);
    });
  });

  describe("results", () => {
    const result = (inner: string) => parse(`<iq type="result" id="1"><query xmlns="jabber:iq:private">${inner}</query></iq>`);

    it("nothing stored: the echoed empty element (Prosody, ejabberd) is returned as it is", () => {
      const el = parsePrivateResult(result(`<a xmlns="urn:example"/>`), "a", "urn:example");
      assert.ok(el);
      assert.equal(el.children.length, 0);
    });

    it("nothing stored: an empty query or a bare result gives undefined", () => {
      assert.equal(parsePrivateResult(result(""), "a", "urn:example"), undefined);
      assert.equal(parsePrivateResult(parse(`<iq type="result" id="1"/>`), "a", "urn:example"), undefined);
    });

    it("picks the requested element among several of the same namespace (§2.3 allows it)", () => {
      const el = parsePrivateResult(result(`<b xmlns="urn:example">1</b><a xmlns="urn:example">2</a>`), "a", "urn:example");
      assert.equal(el?.getText(), "2");
    });

    it("another element or namespace is an error, not our data", () => {
      assert.throws(() => parsePrivateResult(result(`<a xmlns="urn:other"/>`), "a", "urn:example"), PrivateStorageError);
      assert.throws(() => parsePrivateResult(result(`<b xmlns="urn:example"/>`), "a", "urn:example"), /asked for <a/);
    });

    it("only an iq result is a result", () => {
      const error = parse(`<iq type="error" id="1"><query xmlns="jabber:iq:private"/></iq>`) as Element;
      assert.throws(() => parsePrivateResult(error, "a", "urn:example"), /expected an iq result/);
    });
  });
});
