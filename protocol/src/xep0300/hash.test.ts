import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { throwsStanzaError } from "../fixtures/assert.js";
import { hash, hashExpected, twoHashes, twoHashesExpected } from "../fixtures/xep0300.js";
import { HASH_ALGO, hexDigestRead, makeHash, NS_HASHES, parseHash, parseHashes, sha256Of } from "./hash.js";

describe("XEP-0300 hash", () => {
  it("parses the §3 example", () => {
    assert.deepEqual(parseHash(parse(hash)), hashExpected);
  });

  it("parses several hashes and picks the sha-256 one", () => {
    const hashes = parseHashes(parse(twoHashes));
    assert.deepEqual(hashes, twoHashesExpected);
    assert.equal(sha256Of(hashes), "2XarmwTlNxDAMkvymloX3S5+VbylNrJt/l5QyPa+YoU=");
  });

  it("ignores hashes from another namespace", () => {
    const el = parse(`<file><hash xmlns='urn:xmpp:hashes:1' algo='sha-256'>AAAA</hash></file>`);
    assert.deepEqual(parseHashes(el), []);
  });

  it("round-trips build -> parse", () => {
    const el = makeHash(hashExpected);
    assert.equal(el.attrs.xmlns, NS_HASHES);
    assert.equal(el.toString(), `<hash xmlns="urn:xmpp:hashes:2" algo="sha-256">2XarmwTlNxDAMkvymloX3S5+VbylNrJt/l5QyPa+YoU=</hash>`);
    assert.deepEqual(parseHash(parse(el.toString())), hashExpected);
  });

  it("accepts an empty hash that only announces the algorithm (XEP-0234 §checksum)", () => {
    const h = parseHash(parse(`<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'/>`));
    assert.deepEqual(h, { algo: "sha-256", value: "" });
    assert.equal(sha256Of([h]), undefined, "an empty value is not a checksum");
  });

  it("ignores whitespace inside the value (§3: whitespace MUST be ignored)", () => {
    // a sha-512 digest is 88 base64 characters; RFC 2045 line length would wrap it at 76
    const value = "z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==";
    const wrapped = `${value.slice(0, 76)}\r\n  ${value.slice(76)}`;
    const h = parseHash(parse(`<hash xmlns='urn:xmpp:hashes:2' algo='sha-512'>\n${wrapped}\n</hash>`));
    assert.deepEqual(h, { algo: "sha-512", value });
  });

  it("missing algo -> bad-request (modify)", () => {
    throwsStanzaError(() => parseHash(parse(`<hash xmlns='urn:xmpp:hashes:2'>AAAA</hash>`)), "bad-request", "modify");
    throwsStanzaError(() => parseHash(parse(`<hash xmlns='urn:xmpp:hashes:2' algo=''>AAAA</hash>`)), "bad-request", "modify");
  });

  it("a value that is not base64 -> bad-request (modify)", () => {
    throwsStanzaError(() => parseHash(parse(`<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>not*base64</hash>`)), "bad-request", "modify");
    throwsStanzaError(() => parseHash(parse(`<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>=AAA</hash>`)), "bad-request", "modify");
  });

  it("sha-256 is the algorithm we require", () => {
    assert.equal(HASH_ALGO, "sha-256");
    assert.equal(sha256Of([{ algo: "sha-1", value: "2AfMGH8O7UNPTvUVAM9aK13mpCY=" }]), undefined);
  });
  it("reads Libervia 0.9's base64 of the hex digest as the sha-256 digest it names", () => {
    // what Libervia sent for a file whose sha-256 is 1381ff56...7d57b0 (its <checksum/>, seen here)
    const libervia = "MTM4MWZmNTZiZmJkZjkzNDkzNzE4YzNlOTE5OWYwNTg0NDE3ZWY3Yjc5YmY4YjI3ZDVkYmIxMmNhZDdkNTdiMA==";
    const digest = Buffer.from("1381ff56bfbdf93493718c3e9199f0584417ef7b79bf8b27d5dbb12cad7d57b0", "hex").toString("base64");
    assert.equal(hexDigestRead("sha-256", libervia), digest);
    assert.equal(parseHash(parse(`<hash xmlns='${NS_HASHES}' algo='sha-256'>${libervia}</hash>`)).value, digest);
  });

  it("keeps every other value as it came: a real sha-256, a 64-byte sha-512, 88 characters that are not hex", () => {
    const sha256 = "E4H/Vr+9+TSTcYw+kZnwWEQX73t5v4sn1duxLK19V7A=";
    assert.equal(hexDigestRead("sha-256", sha256), sha256);
    const hexAsText = Buffer.from("ab".repeat(32)).toString("base64"); // 64 hex characters, as sha-512 would name them
    assert.equal(hexDigestRead("sha-512", hexAsText), hexAsText);
    const notHex = Buffer.from("z".repeat(64)).toString("base64");
    assert.equal(notHex.length, 88);
    assert.equal(hexDigestRead("sha-256", notHex), notHex);
  });
});
