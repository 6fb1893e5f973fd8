import assert from "node:assert/strict";
import { createElement, parse, type Element } from "ltx/lib/ltx.js";
import { parseStanzaError } from "../errors/stanza-error.js";
import { throwsStanzaError } from "../fixtures/assert.js";
import * as fx from "../fixtures/xep0047.js";
import { makeClose, makeData, makeOpen, MAX_BLOCK_SIZE, nextSeq, NS_IBB, parseIbb, SEQ_MODULO } from "./ibb.js";

const child = (stanza: string): Element => parse(stanza).getChildElements()[0]!;
const dataEl = (attrs: string, text: string) => parse(`<data xmlns='${NS_IBB}' ${attrs}>${text}</data>`);

describe("XEP-0047 IBB", () => {
  describe("golden examples", () => {
    it("§2.1 open", () => {
      assert.deepEqual(parseIbb(child(fx.open)), { kind: "open", sid: "i781hf64", blockSize: 4096, stanza: "iq" });
    });

    it("§2.2 data in an iq (compact base64)", () => {
      const p = parseIbb(child(fx.dataCompact), 4096);
      assert.equal(p.kind, "data");
      if (p.kind !== "data") return;
      assert.equal(p.sid, "i781hf64");
      assert.equal(p.seq, 0);
      assert.equal(p.data.length, 240);
      assert.equal(p.data.toString("base64"), fx.dataBase64);
    });

    it("§2.2 data exactly as printed (base64 wrapped over indented lines) -> bad-request (cancel), per §7", () => {
      throwsStanzaError(() => parseIbb(child(fx.data)), "bad-request", "cancel");
    });

    it("§4 data in a message stanza", () => {
      const p = parseIbb(parse(fx.dataMessage).getChild("data", NS_IBB)!);
      assert.equal(p.kind, "data");
      assert.equal(p.kind === "data" && p.data.toString("base64"), fx.dataBase64);
    });

    it("§2.3 close", () => {
      assert.deepEqual(parseIbb(child(fx.close)), { kind: "close", sid: "i781hf64" });
    });

    it("error examples read as condition and type", () => {
      assert.deepEqual(parseStanzaError(parse(fx.errorServiceUnavailable)), { type: "cancel", condition: "service-unavailable", text: undefined });
      assert.deepEqual(parseStanzaError(parse(fx.errorResourceConstraint)), { type: "modify", condition: "resource-constraint", text: undefined });
      assert.deepEqual(parseStanzaError(parse(fx.errorNotAcceptable)), { type: "cancel", condition: "not-acceptable", text: undefined });
      assert.deepEqual(parseStanzaError(parse(fx.errorItemNotFound)), { type: "cancel", condition: "item-not-found", text: undefined });
    });
  });

  describe("build -> parse round trip", () => {
    it("open, with both stanza kinds", () => {
      for (const stanza of ["iq", "message"] as const) {
        const el = makeOpen("s1", 4096, stanza);
        assert.deepEqual(parseIbb(parse(el.toString())), { kind: "open", sid: "s1", blockSize: 4096, stanza });
      }
    });

    it("data, for sizes 0..5 and a full block; base64 carries no whitespace", () => {
      for (const n of [0, 1, 2, 3, 4, 5, MAX_BLOCK_SIZE]) {
        const bytes = Buffer.alloc(n, 0).map((_, i) => (i * 7 + 3) & 0xff);
        const el = makeData("s1", 65535, Buffer.from(bytes));
        assert.doesNotMatch(el.getText(), /\s/);
        const p = parseIbb(parse(el.toString()));
        assert.deepEqual(p, { kind: "data", sid: "s1", seq: 65535, data: Buffer.from(bytes) });
      }
    });

    it("data serialises exactly as ltx would (its text unescaped, which base64 never needs), alone and inside an iq", () => {
      for (const [sid, bytes] of [["s1", Buffer.from([0xfb, 0xff, 0xbf, 0x3e])], [`a&b'"<>`, Buffer.alloc(5000, 0xa5)], ["e", Buffer.alloc(0)]] as const) {
        const ours = makeData(sid, 7, Buffer.from(bytes));
        const ltx = createElement("data", { xmlns: NS_IBB, sid, seq: "7" }, Buffer.from(bytes).toString("base64"));
        assert.equal(ours.toString(), ltx.toString());
        const iq = (d: Element) => createElement("iq", { type: "set", id: "i1" }, d).toString();
        assert.equal(iq(ours), iq(ltx));
      }
    });

    it("close", () => {
      assert.deepEqual(parseIbb(parse(makeClose("s1").toString())), { kind: "close", sid: "s1" });
    });
  });

  describe("seq", () => {
    it("wraps from 65535 to 0 (§2.2)", () => {
      assert.equal(SEQ_MODULO, 65536);
      assert.equal(nextSeq(0), 1);
      assert.equal(nextSeq(65534), 65535);
      assert.equal(nextSeq(65535), 0);
    });

    it("accepts 0 and 65535", () => {
      for (const seq of ["0", "65535"]) {
        const p = parseIbb(dataEl(`sid='s' seq='${seq}'`, "AAAA"));
        assert.equal(p.kind === "data" && p.seq, Number(seq));
      }
    });

    it("out of 0..65535 -> bad-request (modify)", () => {
      for (const seq of ["65536", "-1", "4294967296", "99999999999"]) {
        throwsStanzaError(() => parseIbb(dataEl(`sid='s' seq='${seq}'`, "AAAA")), "bad-request", "modify");
      }
    });

    it("non-numeric or missing -> bad-request (modify)", () => {
      for (const attrs of ["sid='s' seq='abc'", "sid='s' seq='1.5'", "sid='s' seq=''", "sid='s' seq='0x10'", "sid='s' seq=' 1'", "sid='s'"]) {
        throwsStanzaError(() => parseIbb(dataEl(attrs, "AAAA")), "bad-request", "modify");
      }
    });
  });

  describe("bad data", () => {
    it("accepts exactly what RFC 4648's alphabet and padding allow: 20 000 edited texts against the regex", () => {
      let seed = 42;
      const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32); // deterministic
      const rfc4648 = (t: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(t) && t.length % 4 === 0;
      const edits = "AQgw+/=-_ *\n\u00e9\u4e2d.";
      for (let i = 0; i < 20_000; i++) {
        let text = Buffer.from(Array.from({ length: Math.floor(random() * 9) }, () => Math.floor(random() * 256))).toString("base64");
        for (let e = Math.floor(random() * 3); e > 0; e--) {
          const at = Math.floor(random() * (text.length + 1));
          const c = edits[Math.floor(random() * edits.length)];
          text = text.slice(0, at) + c + text.slice(random() < 0.5 ? at + 1 : at);
        }
        let accepted = true;
        try {
          parseIbb(dataEl("sid='s' seq='0'", text.replace(/&/g, "&amp;").replace(/</g, "&lt;")));
        } catch {
          accepted = false;
        }
        assert.equal(accepted, rfc4648(text), JSON.stringify(text));
      }
    });

    it("base64 that is not RFC 4648 -> bad-request (cancel, §2.2)", () => {
      for (const text of ["AAA*", "=AAA", "BBBB=CCC", "AAA", "AAAAA", "AA AA", "AAAA\n", "AA-_", "A===", "QQ==QUJD", "AA=A", "-AAA", "AAA_", "AAA\u00e9", "AAAA====", "AAA\u4e2d", "\u4e2dQ==", "W\u4e2dvsUg=="]) {
        throwsStanzaError(() => parseIbb(dataEl("sid='s' seq='0'", text)), "bad-request", "cancel");
      }
    });

    it("a block larger than the negotiated block-size -> not-acceptable (cancel)", () => {
      const at = (n: number) => dataEl("sid='s' seq='0'", Buffer.alloc(n, 1).toString("base64"));
      assert.equal((parseIbb(at(100), 100) as { data: Buffer }).data.length, 100);
      throwsStanzaError(() => parseIbb(at(101), 100), "not-acceptable", "cancel");
      throwsStanzaError(() => parseIbb(at(MAX_BLOCK_SIZE + 1)), "not-acceptable", "cancel");
    });
  });

  describe("sid and element", () => {
    it("missing, empty or over-long sid -> bad-request (modify)", () => {
      for (const el of [
        parse(`<close xmlns='${NS_IBB}'/>`),
        parse(`<close xmlns='${NS_IBB}' sid=''/>`),
        parse(`<close xmlns='${NS_IBB}' sid='${"x".repeat(129)}'/>`),
        parse(`<open xmlns='${NS_IBB}' block-size='4096'/>`),
        dataEl("seq='0'", "AAAA"),
      ]) {
        throwsStanzaError(() => parseIbb(el), "bad-request", "modify");
      }
      assert.equal(parseIbb(parse(`<close xmlns='${NS_IBB}' sid='${"x".repeat(128)}'/>`)).sid.length, 128);
    });

    it("open with a bad block-size or stanza -> bad-request (modify)", () => {
      for (const attrs of ["block-size='0'", "block-size='-4096'", "block-size='abc'", "block-size='4096.5'", "", "block-size='4096' stanza='presence'"]) {
        throwsStanzaError(() => parseIbb(parse(`<open xmlns='${NS_IBB}' sid='s' ${attrs}/>`)), "bad-request", "modify");
      }
    });

    it("stanza defaults to iq", () => {
      assert.deepEqual(parseIbb(parse(`<open xmlns='${NS_IBB}' sid='s' block-size='1'/>`)), { kind: "open", sid: "s", blockSize: 1, stanza: "iq" });
    });

    it("wrong namespace or unknown element -> bad-request (modify)", () => {
      throwsStanzaError(() => parseIbb(parse(`<close xmlns='urn:xmpp:other' sid='s'/>`)), "bad-request", "modify");
      throwsStanzaError(() => parseIbb(parse(`<reset xmlns='${NS_IBB}' sid='s'/>`)), "bad-request", "modify");
    });
  });
});
