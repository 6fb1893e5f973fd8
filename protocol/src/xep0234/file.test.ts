import assert from "node:assert/strict";
import { createElement as xml, parse, type Element } from "ltx/lib/ltx.js";
import { throwsStanzaError } from "../fixtures/assert.js";
import * as fx from "../fixtures/xep0234.js";
import { parseJingle } from "../xep0166/jingle.js";
import { NS_HASHES } from "../xep0300/hash.js";
import {
  makeChecksum, makeDescription, makeFile, makeRange, makeReceived, NS_JINGLE_FT, parseByteCount, parseDescription, parseFile,
  parseFileInfo, parseRange, type FileDescription,
} from "./file.js";

const jingleOf = (stanza: string) => parseJingle(parse(stanza).getChild("jingle")!);
const descriptionOf = (stanza: string) => parseDescription(jingleOf(stanza).contents[0]!.description!);
const file = (inner: string) => parse(`<file xmlns='${NS_JINGLE_FT}'>${inner}</file>`);
const roundTrip = (f: FileDescription) => parseDescription(parse(makeDescription(f).toString()));

describe("XEP-0234 file transfer", () => {
  describe("golden examples", () => {
    it("§Application Format description", () => {
      assert.deepEqual(parseDescription(parse(fx.description)), fx.descriptionExpected);
    });

    it("§Offering a File: session-initiate", () => {
      assert.deepEqual(descriptionOf(fx.sessionInitiateOffer), fx.offeredFileExpected);
    });

    it("§Offering a File: session-accept", () => {
      assert.deepEqual(descriptionOf(fx.sessionAccept), fx.offeredFileExpected);
    });

    it("§Requesting a File: a file selector with only a hash", () => {
      assert.deepEqual(descriptionOf(fx.fileRequest), fx.requestedFileExpected);
    });

    it("§Ranged Transfers: restart at <range offset='270336'/>", () => {
      const f = descriptionOf(fx.rangedRestart);
      assert.deepEqual(f, fx.rangedFileExpected);
      assert.equal(f.range?.offset, 270336);
      assert.equal(f.range?.length, undefined);
    });

    it("§Checksum: session-info with the whole file's hash", () => {
      const info = parseFileInfo(jingleOf(fx.checksumInfo).info!);
      assert.deepEqual(info, {
        kind: "checksum", creator: "initiator", name: "a-file-offer",
        file: { hashes: [{ algo: "sha-1", value: "w0mcJylzCn+AfvuGdqkty2+KP48=" }], extensions: [] },
      });
    });

    it("§Checksum: session-info with a hash for a range", () => {
      const info = parseFileInfo(jingleOf(fx.checksumRange).info!);
      assert.deepEqual(info, {
        kind: "checksum", creator: "initiator", name: "a-file-offer",
        file: { hashes: [], extensions: [], range: { offset: 2048, length: 1024, hashes: [{ algo: "sha-1", value: "kHp5RSzW/h7Gm1etSf90Mr5PC/k=" }] } },
      });
    });

    it("§Checksum: an empty <hash/> only announces the algorithm", () => {
      assert.deepEqual(descriptionOf(fx.hashAlgoOnly).hashes, [{ algo: "sha-1", value: "" }]);
    });

    it("§Received: session-info", () => {
      assert.deepEqual(parseFileInfo(jingleOf(fx.received).info!), { kind: "received", creator: "initiator", name: "a-file-offer" });
    });

    it("§File not Available: the application reason", () => {
      const j = jingleOf(fx.fileNotAvailable);
      assert.equal(j.reason?.condition, "failed-application");
      assert.ok(j.reason?.extra?.is("file-not-available", "urn:xmpp:jingle:apps:file-transfer:errors:0"));
    });

    it("a session-info that is not file transfer is not ours", () => {
      assert.equal(parseFileInfo(parse(`<ringing xmlns='urn:xmpp:jingle:apps:rtp:info:1'/>`)), undefined);
      assert.equal(parseFileInfo(parse(`<other xmlns='${NS_JINGLE_FT}'/>`)), undefined);
    });
  });

  describe("build -> parse round trip", () => {
    it("every golden description survives makeDescription -> parseDescription unchanged", () => {
      for (const f of [fx.descriptionExpected, fx.offeredFileExpected, fx.requestedFileExpected, fx.rangedFileExpected]) {
        assert.deepEqual(roundTrip(f), f);
      }
    });

    it("a parsed golden description rebuilds with exactly one <hash/> per hash", () => {
      const parsed = descriptionOf(fx.sessionInitiateOffer);
      const rebuilt = makeDescription(parsed).getChild("file")!;
      assert.equal(rebuilt.getChildren("hash", NS_HASHES).length, 1);
      assert.deepEqual(parseFile(parse(rebuilt.toString())), fx.offeredFileExpected);
    });

    it("keeps children of other namespaces (thumbnails, our markers) as extensions", () => {
      const thumb = xml("thumbnail", { xmlns: "urn:xmpp:thumbs:1", uri: "cid:sha1+abc@bob.xmpp.org", width: "128" });
      const f: FileDescription = { name: "a.jpg", size: 10, hashes: [{ algo: "sha-256", value: "AAAA" }], extensions: [thumb] };
      const back = roundTrip(f);
      assert.equal(back.extensions.length, 1);
      assert.equal(back.extensions[0]!.toString(), thumb.toString());
      assert.deepEqual({ ...back, extensions: [] }, { ...f, extensions: [] });
    });

    it("keeps <hash-used/> (XEP-0300, same namespace as <hash/>) as an extension", () => {
      const f = parseFile(file(`<hash-used xmlns='${NS_HASHES}'><hash algo='sha-256'/></hash-used>`));
      assert.deepEqual(f.hashes, []);
      assert.equal(f.extensions.length, 1);
      assert.ok(f.extensions[0]!.is("hash-used", NS_HASHES));
    });

    it("a file over 4 GiB, resumed past 2^32, keeps exact numbers", () => {
      const f: FileDescription = { name: "big.iso", size: 6_000_000_000, range: { offset: 5_000_000_000, length: 1_000_000_000 }, hashes: [], extensions: [] };
      const el = makeDescription(f);
      assert.match(el.toString(), /<range offset="5000000000" length="1000000000"\/>/);
      assert.match(el.toString(), /<size>6000000000<\/size>/);
      assert.deepEqual(roundTrip(f), f);
    });

    it("checksum and received", () => {
      const f: FileDescription = { range: { offset: 2048, length: 1024, hashes: [{ algo: "sha-256", value: "AAAA" }] }, hashes: [], extensions: [] };
      assert.deepEqual(parseFileInfo(parse(makeChecksum("responder", "c", f).toString())), { kind: "checksum", creator: "responder", name: "c", file: f });
      assert.deepEqual(parseFileInfo(parse(makeReceived("initiator", "c").toString())), { kind: "received", creator: "initiator", name: "c" });
    });

    it("makeRange with no attributes is an empty <range/> (ranged transfers supported)", () => {
      assert.equal(makeRange({}).toString(), "<range/>");
      assert.deepEqual(parseRange(makeRange({})), {});
    });
  });

  describe("byte counts", () => {
    it("parses offsets and sizes above 2^32 exactly", () => {
      assert.equal(parseByteCount("4294967296", "size"), 2 ** 32);
      assert.equal(parseByteCount("5000000000", "size"), 5_000_000_000);
      assert.equal(parseByteCount(" 6144 ", "size"), 6144);
      assert.equal(parseByteCount(String(Number.MAX_SAFE_INTEGER), "size"), Number.MAX_SAFE_INTEGER);
      assert.deepEqual(parseRange(parse(`<range offset='5000000000'/>`)), { offset: 5_000_000_000 });
      assert.equal(parseFile(file(`<size>5000000000</size>`)).size, 5_000_000_000);
    });

    const bad = ["-1", "1.5", "1e3", "0x10", "abc", "", "+5", "9007199254740993", "99999999999999999999"];

    it("negative, non-integer, empty or huge size -> bad-request (modify)", () => {
      for (const s of bad) throwsStanzaError(() => parseFile(file(`<size>${s}</size>`)), "bad-request", "modify");
    });

    it("negative, non-integer, empty or huge range offset/length -> bad-request (modify)", () => {
      for (const s of bad) {
        throwsStanzaError(() => parseRange(parse(`<range offset='${s}'/>`)), "bad-request", "modify");
        throwsStanzaError(() => parseRange(parse(`<range length='${s}'/>`)), "bad-request", "modify");
      }
    });

    it("range offset beyond size -> bad-request (modify); at size is allowed", () => {
      throwsStanzaError(() => parseFile(file(`<size>6144</size><range offset='6145'/>`)), "bad-request", "modify");
      throwsStanzaError(() => parseFile(file(`<size>5000000000</size><range offset='5000000001'/>`)), "bad-request", "modify");
      assert.deepEqual(parseFile(file(`<size>6144</size><range offset='6144'/>`)).range, { offset: 6144 });
    });
  });

  describe("bad descriptions", () => {
    it("hash without algo -> bad-request (modify)", () => {
      throwsStanzaError(() => parseFile(file(`<hash xmlns='${NS_HASHES}'>w0mcJylzCn+AfvuGdqkty2+KP48=</hash>`)), "bad-request", "modify");
    });

    it("not a description / no <file/> -> bad-request (modify)", () => {
      throwsStanzaError(() => parseDescription(parse(`<description xmlns='urn:xmpp:jingle:apps:file-transfer:4'><file/></description>`)), "bad-request", "modify");
      throwsStanzaError(() => parseDescription(parse(`<description xmlns='${NS_JINGLE_FT}'/>`)), "bad-request", "modify");
    });

    it("checksum without <file/> -> bad-request (modify)", () => {
      throwsStanzaError(() => parseFileInfo(parse(`<checksum xmlns='${NS_JINGLE_FT}' creator='initiator' name='a'/>`)), "bad-request", "modify");
    });
  });

  it("makeFile writes only what is set", () => {
    const el: Element = makeFile({ hashes: [], extensions: [] });
    assert.equal(el.toString(), "<file/>");
  });
});
