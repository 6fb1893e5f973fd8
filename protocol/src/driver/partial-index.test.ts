import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { findPartial, META_SUFFIX, newPartial, type PartialRecord } from "./files.js";
import { indexedRecords, indexStats } from "./partial-index.js";
import { removeStalePartials } from "./stale-partials.js";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("base64");
const DAY = 24 * 60 * 60 * 1000;

describe("driver/partial-index: resume records in memory, one scan per directory (issue 12 item 7)", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "xft-index-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** a record and its part as an earlier run left them */
  async function leftBehind(name: string, sha: string, peer = "alice@a.test/x"): Promise<void> {
    const part = `${name}.0123456789ab.xft-part`;
    const record: PartialRecord = { version: 1, sid: "old", peer, name, size: 10, sha256: sha, target: join(resolve(dir), name), part };
    await writeFile(join(dir, part), "12345");
    await writeFile(join(dir, part + ".json"), JSON.stringify(record));
  }

  it("scans a directory once, however many offers are looked up", async () => {
    for (let i = 0; i < 20; i++) await leftBehind(`f${i}.bin`, `sha-${i}`);
    const before = indexStats.scans;
    for (let i = 0; i < 50; i++) {
      const found = await findPartial(dir, { sha256: `sha-${i % 25}`, size: 10, peerBare: "alice@a.test" });
      assert.equal(found?.record.name, i % 25 < 20 ? `f${i % 25}.bin` : undefined);
    }
    assert.equal(indexStats.scans - before, 1, "one scan for 50 look-ups");
    assert.equal(await indexedRecords(dir), 20);
  });

  it("follows this process's own records: created at the first block, gone at completion or discard", async () => {
    const data = Buffer.from("0123456789");
    assert.equal(await findPartial(dir, { sha256: sha256(data), size: 10, peerBare: "bob@b.test" }), undefined); // builds the index
    const p = await newPartial(dir, { sid: "s1", peer: "bob@b.test/r", name: "a.bin", size: 10, sha256: sha256(data) });
    await p.prepare(0);
    assert.equal(await findPartial(dir, { sha256: sha256(data), size: 10, peerBare: "bob@b.test" }), undefined, "no record before a block");
    await p.write(0, data.subarray(0, 4));
    await p.close();
    const found = await findPartial(dir, { sha256: sha256(data), size: 10, peerBare: "bob@b.test" });
    assert.equal(found?.partPath, p.partPath);
    assert.equal(await found!.offset(), 4);
    await found!.prepare(4);
    await found!.write(4, data.subarray(4));
    assert.equal((await found!.complete(sha256(data))).ok, true);
    assert.equal(await findPartial(dir, { sha256: sha256(data), size: 10, peerBare: "bob@b.test" }), undefined, "completed: no partial");

    const q = await newPartial(dir, { sid: "s2", peer: "bob@b.test/r", name: "b.bin", size: 10, sha256: "other" });
    await q.prepare(0);
    await q.write(0, data.subarray(0, 2));
    assert.ok(await findPartial(dir, { sha256: "other", size: 10, peerBare: "bob@b.test" }, { includeInUse: true }), "created, still written by q");
    await q.discard();
    assert.equal(await findPartial(dir, { sha256: "other", size: 10, peerBare: "bob@b.test" }), undefined, "discarded: no partial");
    assert.equal(await indexedRecords(dir), 0);
  });

  it("a record changed by a resume (new sid and sender resource) is found as written", async () => {
    await leftBehind("c.bin", "sha-c");
    const found = await findPartial(dir, { sha256: "sha-c", size: 10, peerBare: "alice@a.test" });
    found!.record.sid = "new-session";
    await found!.prepare(5);
    await found!.close();
    const again = await findPartial(dir, { sha256: "sha-c", size: 10, peerBare: "alice@a.test" });
    assert.equal(again?.record.sid, "new-session");
  });

  it("stale records removed from disk leave the index too", async () => {
    await leftBehind("d.bin", "sha-d");
    assert.ok(await findPartial(dir, { sha256: "sha-d", size: 10, peerBare: "alice@a.test" }));
    const old = new Date(Date.now() - 8 * DAY);
    for (const n of ["d.bin.0123456789ab.xft-part", "d.bin.0123456789ab" + META_SUFFIX]) await utimes(join(dir, n), old, old);
    assert.equal((await removeStalePartials(dir, 7)).length, 2);
    assert.equal(await findPartial(dir, { sha256: "sha-d", size: 10, peerBare: "alice@a.test" }), undefined);
  });

  it("a directory that does not exist yet is not remembered as empty", async () => {
    const later = join(dir, "later");
    assert.equal(await findPartial(later, { sha256: "sha-e", size: 10, peerBare: "alice@a.test" }), undefined);
    await mkdir(later);
    const record: PartialRecord = { version: 1, sid: "old", peer: "alice@a.test", name: "e.bin", size: 10, sha256: "sha-e", target: join(later, "e.bin"), part: "e.bin.0123456789ab.xft-part" };
    await writeFile(join(later, "e.bin.0123456789ab.xft-part"), "1");
    await writeFile(join(later, "e.bin.0123456789ab.xft-part.json"), JSON.stringify(record));
    assert.ok(await findPartial(later, { sha256: "sha-e", size: 10, peerBare: "alice@a.test" }));
  });
});
