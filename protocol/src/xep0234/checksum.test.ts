import assert from "node:assert/strict";
import { applyChecksum } from "./checksum.js";

const A = Buffer.alloc(32, 1).toString("base64");
const B = Buffer.alloc(32, 2).toString("base64");
const sha256 = (value: string) => ({ algo: "sha-256", value });

describe("xep0234/checksum: a <checksum/> completes the offer's hashes, never changes them", () => {
  it("fills in a digest the offer only announced", () => {
    assert.deepEqual(applyChecksum([sha256("")], [sha256(A)]), { hashes: [sha256(A)] });
  });
  it("the same digest again: unchanged", () => {
    assert.deepEqual(applyChecksum([sha256(A)], [sha256(A)]), { hashes: [sha256(A)] });
  });
  it("another algorithm is added beside the offer's", () => {
    assert.deepEqual(applyChecksum([sha256(A)], [{ algo: "sha3-256", value: B }]), { hashes: [sha256(A), { algo: "sha3-256", value: B }] });
  });
  it("an empty <hash/> in the checksum (algorithm only) changes nothing", () => {
    assert.deepEqual(applyChecksum([sha256(A)], [sha256("")]), { hashes: [sha256(A)] });
  });
  it("another digest for an algorithm the offer gave: a mismatch, whatever else it carries", () => {
    const r = applyChecksum([sha256(A)], [{ algo: "sha3-256", value: B }, sha256(B)]);
    assert.ok("mismatch" in r);
    assert.match(r.mismatch, /sha-256.*differs from the offer's/);
  });
  it("does not change the offer's array", () => {
    const offered = [sha256("")];
    applyChecksum(offered, [sha256(A)]);
    assert.deepEqual(offered, [sha256("")]);
  });
});
