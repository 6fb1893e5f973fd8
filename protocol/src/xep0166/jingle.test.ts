import assert from "node:assert/strict";
import { createElement as xml, parse } from "ltx/lib/ltx.js";
import { throwsStanzaError } from "../fixtures/assert.js";
import * as fx from "../fixtures/xep0234.js";
import * as ibb from "../fixtures/xep0261.js";
import { makeDescription, NS_JINGLE_FT, NS_JINGLE_FT_ERRORS } from "../xep0234/file.js";
import { makeIbbTransport } from "../xep0261/transport.js";
import { ACTIONS, jingleError, makeJingle, NS_JINGLE, NS_JINGLE_ERRORS, parseJingle, type Jingle } from "./jingle.js";

const jingleEl = (stanza: string) => parse(stanza).getChild("jingle")!;
const j = (attrs: string, inner = "") => parse(`<jingle xmlns='${NS_JINGLE}' ${attrs}>${inner}</jingle>`);

describe("XEP-0166 Jingle", () => {
  describe("golden examples", () => {
    it("XEP-0234 session-initiate (file offer)", () => {
      const p = parseJingle(jingleEl(fx.sessionInitiateOffer));
      assert.equal(p.action, "session-initiate");
      assert.equal(p.sid, "851ba2");
      assert.equal(p.initiator, "romeo@montague.example/dr4hcr0st3lup4c");
      assert.equal(p.responder, undefined);
      assert.equal(p.reason, undefined);
      assert.equal(p.info, undefined);
      assert.equal(p.contents.length, 1);
      const c = p.contents[0]!;
      assert.deepEqual({ creator: c.creator, name: c.name, senders: c.senders }, { creator: "initiator", name: "a-file-offer", senders: "initiator" });
      assert.ok(c.description?.is("description", NS_JINGLE_FT));
      // the example's transport is jingle-s5b: the Jingle layer keeps it, our IBB parser refuses it
      assert.ok(c.transport?.is("transport", "urn:xmpp:jingle:transports:s5b:1"));
    });

    it("XEP-0234 session-accept", () => {
      const p = parseJingle(jingleEl(fx.sessionAccept));
      assert.equal(p.action, "session-accept");
      assert.equal(p.sid, "851ba2");
      assert.equal(p.responder, "juliet@capulet.example/yn0cl4bnw0yr3vym");
      assert.equal(p.contents[0]!.name, "a-file-offer");
    });

    it("XEP-0234 file request: senders='responder'", () => {
      const p = parseJingle(jingleEl(fx.fileRequest));
      assert.equal(p.sid, "uj3b2");
      assert.equal(p.contents[0]!.senders, "responder");
      assert.equal(p.contents[0]!.name, "a-file-request");
    });

    it("XEP-0234 session-info carries the checksum / received payload as info", () => {
      const checksum = parseJingle(jingleEl(fx.checksumInfo));
      assert.equal(checksum.action, "session-info");
      assert.ok(checksum.info?.is("checksum", NS_JINGLE_FT));
      assert.deepEqual(checksum.contents, []);
      const received = parseJingle(jingleEl(fx.received));
      assert.ok(received.info?.is("received", NS_JINGLE_FT));
    });

    it("session-terminate reasons: cancel, success", () => {
      assert.deepEqual(parseJingle(jingleEl(fx.abortAll)).reason, { condition: "cancel", text: undefined, extra: undefined });
      assert.deepEqual(parseJingle(jingleEl(fx.terminateSuccess)).reason, { condition: "success", text: undefined, extra: undefined });
      assert.equal(parseJingle(jingleEl(ibb.sessionTerminate)).reason?.condition, "success");
    });

    it("file-not-available: failed-application with the file-transfer error element", () => {
      const p = parseJingle(jingleEl(fx.fileNotAvailable));
      assert.equal(p.action, "content-reject");
      assert.equal(p.reason?.condition, "failed-application");
      assert.ok(p.reason?.extra?.is("file-not-available", NS_JINGLE_FT_ERRORS));
      assert.deepEqual(p.contents.map((c) => [c.creator, c.name, c.senders]), [["initiator", "requesting-file", "initiator"]]);
      assert.equal(p.info, undefined, "the reason is not a session-info payload");
    });

    it("file-too-large: media-error with the file-transfer error element", () => {
      const p = parseJingle(jingleEl(fx.fileTooLarge));
      assert.equal(p.reason?.condition, "media-error");
      assert.ok(p.reason?.extra?.is("file-too-large", NS_JINGLE_FT_ERRORS));
    });

    it("XEP-0261 session-initiate: content senders default to 'both' (XEP-0166 §7.3)", () => {
      const p = parseJingle(jingleEl(ibb.sessionInitiate));
      assert.equal(p.contents[0]!.senders, "both");
    });
  });

  describe("build -> parse round trip", () => {
    it("session-initiate with description and IBB transport", () => {
      const description = makeDescription({ name: "a.txt", size: 5_000_000_000, range: {}, hashes: [{ algo: "sha-256", value: "AAAA" }], extensions: [] });
      const transport = makeIbbTransport({ sid: "ibb1", blockSize: 4096, stanza: "iq" });
      const jingle: Jingle = {
        action: "session-initiate", sid: "s1", initiator: "a@b/c",
        contents: [{ creator: "initiator", name: "file-offer", senders: "initiator", description, transport }],
      };
      const back = parseJingle(parse(makeJingle(jingle).toString()));
      assert.equal(back.action, "session-initiate");
      assert.equal(back.sid, "s1");
      assert.equal(back.initiator, "a@b/c");
      assert.equal(back.contents.length, 1);
      const c = back.contents[0]!;
      assert.deepEqual([c.creator, c.name, c.senders], ["initiator", "file-offer", "initiator"]);
      assert.equal(c.description!.toString(), description.toString());
      assert.equal(c.transport!.toString(), transport.toString());
    });

    it("session-terminate with reason, text and application element", () => {
      const extra = xml("file-not-available", { xmlns: NS_JINGLE_FT_ERRORS });
      const el = makeJingle({ action: "session-terminate", sid: "s1", contents: [], reason: { condition: "failed-application", text: "gone", extra } });
      assert.equal(el.toString(), `<jingle xmlns="${NS_JINGLE}" action="session-terminate" sid="s1"><reason><failed-application/><text>gone</text><file-not-available xmlns="${NS_JINGLE_FT_ERRORS}"/></reason></jingle>`);
      const back = parseJingle(parse(el.toString()));
      assert.equal(back.reason?.condition, "failed-application");
      assert.equal(back.reason?.text, "gone");
      assert.equal(back.reason?.extra?.toString(), extra.toString());
    });

    it("every action survives the round trip", () => {
      for (const action of ACTIONS) assert.equal(parseJingle(parse(makeJingle({ action, sid: "x", contents: [] }).toString())).action, action);
    });

    it("an unknown reason child reads as general-error", () => {
      assert.equal(parseJingle(j("action='session-terminate' sid='s'", "<reason><nonsense/></reason>")).reason?.condition, "general-error");
    });
  });

  describe("bad input", () => {
    it("unknown or missing action -> bad-request (modify)", () => {
      throwsStanzaError(() => parseJingle(j("action='session-explode' sid='s'")), "bad-request", "modify");
      throwsStanzaError(() => parseJingle(j("sid='s'")), "bad-request", "modify");
    });

    it("missing, empty or over-long sid -> bad-request (modify)", () => {
      throwsStanzaError(() => parseJingle(j("action='session-info'")), "bad-request", "modify");
      throwsStanzaError(() => parseJingle(j("action='session-info' sid=''")), "bad-request", "modify");
      throwsStanzaError(() => parseJingle(j(`action='session-info' sid='${"s".repeat(129)}'`)), "bad-request", "modify");
    });

    it("content without name -> bad-request (modify)", () => {
      throwsStanzaError(() => parseJingle(j("action='session-initiate' sid='s'", "<content creator='initiator' senders='initiator'/>")), "bad-request", "modify");
      throwsStanzaError(() => parseJingle(j("action='session-initiate' sid='s'", "<content creator='initiator' name=''/>")), "bad-request", "modify");
    });

    it("content with a bad creator or senders -> bad-request (modify)", () => {
      throwsStanzaError(() => parseJingle(j("action='session-initiate' sid='s'", "<content name='a'/>")), "bad-request", "modify");
      throwsStanzaError(() => parseJingle(j("action='session-initiate' sid='s'", "<content creator='nobody' name='a'/>")), "bad-request", "modify");
      throwsStanzaError(() => parseJingle(j("action='session-initiate' sid='s'", "<content creator='initiator' name='a' senders='everyone'/>")), "bad-request", "modify");
    });

    it("not a jingle element -> bad-request (modify)", () => {
      throwsStanzaError(() => parseJingle(parse(`<jingle xmlns='urn:xmpp:jingle:0' action='session-info' sid='s'/>`)), "bad-request", "modify");
    });
  });

  it("jingle errors live in urn:xmpp:jingle:errors:1", () => {
    assert.equal(NS_JINGLE_ERRORS, "urn:xmpp:jingle:errors:1");
    assert.deepEqual(jingleError("out-of-order"), { name: "out-of-order", xmlns: "urn:xmpp:jingle:errors:1" });
  });
});
