import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { throwsStanzaError } from "../fixtures/assert.js";
import * as fx from "../fixtures/xep0261.js";
import * as ft from "../fixtures/xep0234.js";
import { parseJingle } from "../xep0166/jingle.js";
import { MAX_BLOCK_SIZE } from "../xep0047/ibb.js";
import { makeIbbTransport, negotiateBlockSize, NS_JINGLE_IBB, parseIbbTransport } from "./transport.js";

const transport = (attrs: string) => parse(`<transport xmlns='${NS_JINGLE_IBB}' ${attrs}/>`);

describe("XEP-0261 Jingle IBB transport", () => {
  it("parses the §2 transport element", () => {
    assert.deepEqual(parseIbbTransport(parse(fx.transport)), { sid: "ch3d9s71", blockSize: 4096, stanza: "iq" });
  });

  it("parses the transport inside the §2 session-initiate", () => {
    const j = parseJingle(parse(fx.sessionInitiate).getChild("jingle")!);
    assert.equal(j.contents.length, 1);
    assert.deepEqual(parseIbbTransport(j.contents[0]!.transport!), { sid: "ch3d9s71", blockSize: 4096, stanza: "iq" });
  });

  it("rejects the s5b transport of the XEP-0234 examples (bad-request, modify): we only speak IBB", () => {
    const j = parseJingle(parse(ft.sessionInitiateOffer).getChild("jingle")!);
    const s5b = j.contents[0]!.transport!;
    assert.equal(s5b.attrs.xmlns, "urn:xmpp:jingle:transports:s5b:1");
    throwsStanzaError(() => parseIbbTransport(s5b), "bad-request", "modify");
  });

  it("round-trips build -> parse, with both stanza kinds", () => {
    for (const stanza of ["iq", "message"] as const) {
      const t = { sid: "ch3d9s71", blockSize: 4096, stanza };
      const el = makeIbbTransport(t);
      assert.equal(el.toString(), `<transport xmlns="${NS_JINGLE_IBB}" sid="ch3d9s71" block-size="4096" stanza="${stanza}"/>`);
      assert.deepEqual(parseIbbTransport(parse(el.toString())), t);
    }
  });

  it("bad sid -> bad-request (modify)", () => {
    for (const attrs of ["block-size='4096'", "sid='' block-size='4096'", `sid='${"s".repeat(129)}' block-size='4096'`]) {
      throwsStanzaError(() => parseIbbTransport(transport(attrs)), "bad-request", "modify");
    }
  });

  it("bad block-size -> bad-request (modify)", () => {
    for (const bs of ["", "0", "-1", "abc", "4096.0", "1234567"]) {
      throwsStanzaError(() => parseIbbTransport(transport(`sid='s' block-size='${bs}'`)), "bad-request", "modify");
    }
    throwsStanzaError(() => parseIbbTransport(transport(`sid='s'`)), "bad-request", "modify");
  });

  it("bad stanza -> bad-request (modify)", () => {
    throwsStanzaError(() => parseIbbTransport(transport(`sid='s' block-size='4096' stanza='presence'`)), "bad-request", "modify");
  });

  it("wrong element or namespace -> bad-request (modify)", () => {
    throwsStanzaError(() => parseIbbTransport(parse(`<transport xmlns='urn:xmpp:jingle:transports:ibb:0' sid='s' block-size='4096'/>`)), "bad-request", "modify");
    throwsStanzaError(() => parseIbbTransport(parse(`<open xmlns='${NS_JINGLE_IBB}' sid='s' block-size='4096'/>`)), "bad-request", "modify");
  });

  it("negotiateBlockSize lowers, never raises, and stays within xs:short", () => {
    assert.equal(negotiateBlockSize(4096, 8192), 4096);
    assert.equal(negotiateBlockSize(8192, 4096), 4096);
    assert.equal(negotiateBlockSize(65535, 65535), MAX_BLOCK_SIZE);
    assert.equal(MAX_BLOCK_SIZE, 32767);
    assert.equal(negotiateBlockSize(0, 4096), 1);
  });
});
