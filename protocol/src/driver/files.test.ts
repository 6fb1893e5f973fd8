import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import {
  checkpointLengths, CHECKPOINTS, describeLocalFile, ensureReceiveDir, findPartial, freeName, insideDir, META_SUFFIX, newPartial, PART_SUFFIX, PartialFile, readBlocks, safeFileName,
  sha256File, WRITE_BEHIND, type PartialRecord,
} from "./files.js";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("base64");
const exists = (p: string) => stat(p).then(() => true, () => false);

describe("driver/files", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "xft-files-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  function record(o: Partial<PartialRecord> = {}): PartialRecord {
    return { version: 1, sid: "s1", peer: "juliet@capulet.example/balcony", name: "a.txt", size: 10, sha256: "x", target: join(dir, "a.txt"), ...o };
  }

  describe("ensureReceiveDir (issue 12 item 6)", () => {
    it("creates a missing directory and its missing parents 0700", async () => {
      await ensureReceiveDir(join(dir, "a", "b"));
      assert.equal((await stat(join(dir, "a"))).mode & 0o777, 0o700);
      assert.equal((await stat(join(dir, "a", "b"))).mode & 0o777, 0o700);
    });
    it("leaves an existing directory's mode as it is", async () => {
      await mkdir(join(dir, "shared"), { mode: 0o755 });
      await ensureReceiveDir(join(dir, "shared"));
      assert.equal((await stat(join(dir, "shared"))).mode & 0o777, 0o755);
    });
  });

  describe("safeFileName (XEP-0234 §security)", () => {
    const cases: [string | undefined, string][] = [
      ["../evil", "%2E%2E%2Fevil"],
      ["/etc/passwd", "%2Fetc%2Fpasswd"],
      ["a\u0000b", "a%00b"],
      ["..", "%2E%2E"],
      [".hidden", "%2Ehidden"],
      ["..\\x", "%2E%2E%5Cx"],
      ["", "unnamed"],
      [undefined, "unnamed"],
      ["C:\\Windows\\system.ini", "C%3A%5CWindows%5Csystem.ini"],
      ["100%.txt", "100%.txt"],
      ["invoice\u202Efdp.exe", "invoicefdp.exe"],
      ["docs\u2215passwd", "docs%E2%88%95passwd"],
      ["line\nbreak\u007f", "line%0Abreak%7F"],
      ["résumé final.pdf", "résumé final.pdf"],
    ];
    for (const [name, expected] of cases) {
      it(`${JSON.stringify(name)} -> ${expected}`, () => {
        const safe = safeFileName(name);
        assert.equal(safe, expected);
        assert.doesNotMatch(safe, /[/\\\u0000-\u001f\u007f]/);
        assert.doesNotMatch(safe, /^\./);
        const path = join(dir, safe);
        assert.ok(insideDir(dir, path), path);
        assert.equal(basename(path), safe, "stays one path component");
      });
    }

    it("caps the length at 200 UTF-8 bytes", () => {
      assert.equal(safeFileName("x".repeat(1000)).length, 200);
      assert.equal(Buffer.byteLength(safeFileName("é".repeat(1000))), 200);
    });
  });

  describe("insideDir", () => {
    it("accepts paths below dir only", () => {
      assert.equal(insideDir(dir, join(dir, "a.txt")), true);
      assert.equal(insideDir(dir, join(dir, "sub", "a.txt")), true);
      assert.equal(insideDir(dir, dir), false);
      assert.equal(insideDir(dir, join(dir, "..", "a.txt")), false);
      assert.equal(insideDir(dir, join(dir, "sub", "..", "..", "a.txt")), false);
      assert.equal(insideDir(dir, `${dir}-sibling/a.txt`), false, "a common prefix is not enough");
      assert.equal(insideDir(dir, "/etc/passwd"), false);
    });
  });

  describe("PartialFile", () => {
    it("prepare writes the record and an empty part; writes land at their offsets", async () => {
      const a = Buffer.from("hello ");
      const b = Buffer.from("world");
      const rec = record({ size: 11, sha256: sha256(Buffer.concat([a, b])) });
      const p = new PartialFile(dir, rec);
      assert.equal(await p.offset(), 0, "nothing on disk yet");
      await p.prepare(0);
      assert.deepEqual(JSON.parse(await readFile(p.metaPath, "utf8")), rec);
      assert.equal(p.partPath, rec.target + PART_SUFFIX);
      assert.equal(p.metaPath, rec.target + META_SUFFIX);
      await p.write(a.length, b); // out of order on purpose: positions, not appends
      await p.write(0, a);
      assert.equal(await p.offset(), 11);
      assert.deepEqual(await readFile(p.partPath), Buffer.concat([a, b]));
      await p.close();
    });

    it("gathers consecutive blocks (WRITE_BEHIND at a time); offset, close and discard see every byte", async () => {
      const blocks = Array.from({ length: 70 }, () => randomBytes(32766)); // > 2 x WRITE_BEHIND
      const content = Buffer.concat(blocks);
      const p = new PartialFile(dir, record({ size: content.length, sha256: sha256(content) }));
      await p.prepare(0);
      let at = 0;
      for (const b of blocks.slice(0, 40)) {
        await p.write(at, b);
        at += b.length;
      }
      assert.ok((await stat(p.partPath)).size >= WRITE_BEHIND, "full batches are written as they fill");
      assert.equal(await p.offset(), at, "offset() writes what is gathered first");
      for (const b of blocks.slice(40)) {
        await p.write(at, b);
        at += b.length;
      }
      await p.close();
      assert.deepEqual(await readFile(p.partPath), content);
      const q = new PartialFile(dir, record({ size: 10, sha256: "x" }));
      await q.prepare(0);
      await q.write(0, Buffer.from("abc"));
      await q.discard();
      assert.equal(await exists(q.partPath), false, "a discarded partial leaves nothing behind");
    });

    it("complete with the right hash: renamed to the target, part and record gone", async () => {
      const content = randomBytes(5000);
      const p = new PartialFile(dir, record({ size: content.length, sha256: sha256(content) }));
      await p.prepare(0);
      await p.write(0, content);
      const r = await p.complete();
      assert.equal(r.ok, true, r.detail);
      assert.equal(r.path, join(dir, "a.txt"));
      assert.deepEqual(await readFile(join(dir, "a.txt")), content);
      assert.equal(await exists(p.partPath), false);
      assert.equal(await exists(p.metaPath), false);
    });

    it("completeUnverified (a hash-less offer): named like a verified file, the sha-256 of what arrived given back", async () => {
      const content = randomBytes(3000);
      const p = new PartialFile(dir, record({ size: content.length, sha256: "" }));
      await p.prepare(0);
      await p.write(0, content);
      const r = await p.completeUnverified();
      assert.equal(r.sha256, sha256(content));
      assert.match(r.detail, /^unverified/);
      assert.deepEqual(await readFile(r.path), content);
      assert.equal(await exists(p.partPath), false);
      await assert.rejects(p.write(0, content), /already complete/);
    });

    it("complete with a mismatching hash: not renamed, target absent", async () => {
      const content = Buffer.from("0123456789");
      const p = new PartialFile(dir, record({ sha256: sha256(Buffer.from("something else")) }));
      await p.prepare(0);
      await p.write(0, content);
      const r = await p.complete();
      assert.equal(r.ok, false);
      assert.match(r.detail, /sha-256 mismatch/);
      assert.equal(r.path, undefined);
      assert.equal(await exists(join(dir, "a.txt")), false);
      assert.deepEqual(await readFile(p.partPath), content, "the bytes stay where they were");
    });

    it("complete never overwrites an existing file of the same name", async () => {
      await writeFile(join(dir, "a.txt"), "earlier");
      const content = Buffer.from("new file!!");
      const p = new PartialFile(dir, record({ sha256: sha256(content) }));
      await p.prepare(0);
      await p.write(0, content);
      const r = await p.complete();
      assert.equal(r.path, join(dir, "a (1).txt"));
      assert.equal(await readFile(join(dir, "a.txt"), "utf8"), "earlier");
      assert.deepEqual(await readFile(join(dir, "a (1).txt")), content);
    });

    it("prepare(offset) drops bytes past the agreed offset; offset() never exceeds the size", async () => {
      const p = new PartialFile(dir, record({ size: 10 }));
      await p.prepare(0);
      await p.write(0, Buffer.alloc(30, 1));
      await p.close();
      assert.equal(await p.offset(), 10, "capped at the record's size");
      const again = new PartialFile(dir, record({ size: 10 }));
      await again.prepare(4);
      assert.equal((await stat(again.partPath)).size, 4);
      assert.equal(await again.offset(), 4);
      await again.close();
    });

    it("discard removes part and record", async () => {
      const p = new PartialFile(dir, record());
      await p.prepare(0);
      await p.write(0, Buffer.from("abc"));
      await p.discard();
      assert.deepEqual(await readdir(dir), []);
    });

    it("refuses a target outside its directory", async () => {
      const p = new PartialFile(dir, record({ target: join(dir, "..", "escaped.txt") }));
      await assert.rejects(p.prepare(0), /outside/);
      assert.equal(await exists(join(dir, "..", "escaped.txt" + META_SUFFIX)), false);
    });

    it("write before prepare fails", async () => {
      await assert.rejects(new PartialFile(dir, record()).write(0, Buffer.from("a")), /not prepared/);
    });
  });

  describe("freeName", () => {
    it("returns the target when free, then 'a (1).txt', 'a (2).txt' ... and never an existing path", async () => {
      const target = join(dir, "a.txt");
      assert.equal(await freeName(target), target);
      await writeFile(target, "0");
      assert.equal(await freeName(target), join(dir, "a (1).txt"));
      await writeFile(join(dir, "a (1).txt"), "1");
      assert.equal(await freeName(target), join(dir, "a (2).txt"));
      for (let i = 2; i < 6; i++) await writeFile(join(dir, `a (${i}).txt`), String(i));
      const free = await freeName(target);
      assert.equal(free, join(dir, "a (6).txt"));
      assert.equal(await exists(free), false);
    });

    it("handles names without an extension, dot-files and dots in the directory", async () => {
      await writeFile(join(dir, "README"), "");
      assert.equal(await freeName(join(dir, "README")), join(dir, "README (1)"));
      await writeFile(join(dir, ".profile"), "");
      assert.equal(await freeName(join(dir, ".profile")), join(dir, ".profile (1)"));
      await mkdir(join(dir, "d.d"));
      await writeFile(join(dir, "d.d", "file"), "");
      assert.equal(await freeName(join(dir, "d.d", "file")), join(dir, "d.d", "file (1)"));
    });
  });

  describe("findPartial", () => {
    const SHA = sha256(Buffer.from("the file"));
    async function leave(rec: PartialRecord, bytes = 3) {
      const p = new PartialFile(dir, rec);
      await p.prepare(0);
      await p.write(0, Buffer.alloc(bytes, 1));
      await p.close();
    }

    it("matches by sha-256, size and bare JID (any resource, any case)", async () => {
      await leave(record({ sha256: SHA, size: 8, peer: "Juliet@Capulet.example/balcony" }));
      const found = await findPartial(dir, { sha256: SHA, size: 8, peerBare: "juliet@capulet.example" });
      assert.ok(found);
      assert.equal(found.record.target, join(dir, "a.txt"));
      assert.equal(await found.offset(), 3);
    });

    it("does not match another hash, size or peer", async () => {
      await leave(record({ sha256: SHA, size: 8 }));
      assert.equal(await findPartial(dir, { sha256: sha256(Buffer.from("other")), size: 8, peerBare: "juliet@capulet.example" }), undefined);
      assert.equal(await findPartial(dir, { sha256: SHA, size: 9, peerBare: "juliet@capulet.example" }), undefined);
      assert.equal(await findPartial(dir, { sha256: SHA, size: 8, peerBare: "mallory@capulet.example" }), undefined);
    });

    it("ignores records whose target points outside the directory", async () => {
      const outside = [join(dir, "..", "evil.txt"), "/etc/passwd", dir];
      for (const [i, target] of outside.entries()) {
        await writeFile(join(dir, `r${i}${META_SUFFIX}`), JSON.stringify(record({ sha256: SHA, size: 8, target })));
      }
      assert.equal(await findPartial(dir, { sha256: SHA, size: 8, peerBare: "juliet@capulet.example" }), undefined);
    });

    it("skips unreadable records and still finds a good one", async () => {
      await writeFile(join(dir, `broken${META_SUFFIX}`), "{ not json");
      await leave(record({ sha256: SHA, size: 8, target: join(dir, "good.bin") }));
      const found = await findPartial(dir, { sha256: SHA, size: 8, peerBare: "juliet@capulet.example" });
      assert.equal(found?.record.target, join(dir, "good.bin"));
    });

    it("a missing directory has no partials", async () => {
      assert.equal(await findPartial(join(dir, "nope"), { sha256: SHA, size: 8, peerBare: "juliet@capulet.example" }), undefined);
    });
  });

  describe("newPartial", () => {
    it("puts a hostile name inside the directory, escaped", async () => {
      const p = await newPartial(dir, { sid: "s", peer: "a@b/c", name: "../../etc/passwd", size: 1, sha256: "x" });
      assert.equal(p.record.target, join(resolve(dir), "%2E%2E%2F..%2Fetc%2Fpasswd"), "separators and leading dots escaped");
      assert.ok(insideDir(dir, p.record.target));
    });

    it("gives each session its own part file, created exclusively; the final name is chosen at completion", async () => {
      await writeFile(join(dir, "a.txt"), "x");
      const data = Buffer.from("hello");
      const sha = createHash("sha256").update(data).digest("base64");
      const p = await newPartial(dir, { sid: "s1", peer: "a@b/c", name: "a.txt", size: 5, sha256: sha });
      const q = await newPartial(dir, { sid: "s2", peer: "m@b/c", name: "a.txt", size: 5, sha256: sha });
      assert.equal(p.record.target, join(resolve(dir), "a.txt"), "the wanted name; taken or not is decided at the end");
      assert.notEqual(p.partPath, q.partPath);
      assert.match(p.partPath, /a\.txt\.[0-9a-f]{12}\.xft-part$/);
      await p.prepare(0);
      await q.prepare(0);
      await p.write(0, data);
      await q.write(0, data);
      assert.equal((await stat(p.partPath)).mode & 0o777, 0o600);
      assert.equal((await stat(p.metaPath)).mode & 0o777, 0o600);
      const r1 = await p.complete(sha);
      const r2 = await q.complete(sha);
      assert.equal(r1.path, join(resolve(dir), "a (1).txt"));
      assert.equal(r2.path, join(resolve(dir), "a (2).txt"));
      assert.equal(await readFile(join(dir, "a.txt"), "utf8"), "x", "the earlier file is never replaced");
      await assert.rejects(p.write(0, data), /already complete/, "a verified file is never written again");
    });

    it("an accepted offer leaves no file until its first block; a resume still cuts the part to the agreed offset", async () => {
      const data = Buffer.from("hello world");
      const sha = sha256(data);
      const p = await newPartial(dir, { sid: "s1", peer: "a@b/c", name: "c.txt", size: data.length, sha256: sha });
      await p.prepare(0);
      assert.deepEqual(await readdir(dir), [], "accepted, never sent: nothing on disk");
      assert.equal(await p.offset(), 0);
      await p.close();
      assert.deepEqual(await readdir(dir), [], "closed before a block: still nothing");
      await p.prepare(0);
      await p.write(0, data.subarray(0, 8));
      await p.close();
      assert.deepEqual((await readdir(dir)).sort(), [basename(p.partPath), basename(p.metaPath)].sort());
      const again = await findPartial(dir, { sha256: sha, size: data.length, peerBare: "a@b" });
      assert.equal(await again!.offset(), 8);
      await again!.prepare(5); // the agreed offset: bytes past it are not trusted
      assert.equal((await stat(again!.partPath)).size, 5);
      await again!.write(5, data.subarray(5));
      assert.equal((await again!.complete(sha)).path, join(resolve(dir), "c.txt"));
      assert.equal(await readFile(join(dir, "c.txt"), "utf8"), "hello world");
    });

    it("an empty file, which gets no block, still completes", async () => {
      const SHA_OF_EMPTY = sha256(Buffer.alloc(0));
      const p = await newPartial(dir, { sid: "s1", peer: "a@b/c", name: "empty.txt", size: 0, sha256: SHA_OF_EMPTY });
      await p.prepare(0);
      assert.deepEqual(await p.complete(SHA_OF_EMPTY), { ok: true, detail: "sha-256 verified", path: join(resolve(dir), "empty.txt") });
      assert.deepEqual(await readdir(dir), ["empty.txt"]);
    });

    it("a part file or name planted before (a link) is never opened nor replaced", async () => {
      const outside = join(dir, "..", `outside-${Date.now()}`);
      await writeFile(outside, "keep");
      const p = await newPartial(dir, { sid: "s", peer: "a@b/c", name: "b.txt", size: 1, sha256: "x" });
      await symlink(outside, p.partPath);
      await p.prepare(0);
      await assert.rejects(p.write(0, Buffer.from("z")), /EEXIST/, "created exclusively at the first block");
      await p.close();
      assert.equal(await readFile(outside, "utf8"), "keep");
      await rm(p.partPath);
      await symlink(outside, join(dir, "b.txt"));
      const data = Buffer.from("z");
      const sha = createHash("sha256").update(data).digest("base64");
      const q = await newPartial(dir, { sid: "s", peer: "a@b/c", name: "b.txt", size: 1, sha256: sha });
      await q.prepare(0);
      await q.write(0, data);
      assert.equal((await q.complete(sha)).path, join(resolve(dir), "b (1).txt"));
      assert.equal(await readFile(outside, "utf8"), "keep");
      await rm(outside);
    });

    it("a part another session has open is not found for a second one; it is once that one ended", async () => {
      const p = await newPartial(dir, { sid: "s", peer: "a@b/c", name: "c.txt", size: 9, sha256: "h" });
      await p.prepare(0);
      await p.write(0, Buffer.from("abc"));
      assert.equal(await findPartial(dir, { sha256: "h", size: 9, peerBare: "a@b" }), undefined);
      await p.close();
      const again = await findPartial(dir, { sha256: "h", size: 9, peerBare: "a@b" });
      assert.equal(again?.partPath, p.partPath);
      assert.equal(await again!.offset(), 3);
    });

    it("a different hash at completion than the one offered fails the transfer", async () => {
      const data = Buffer.from("q");
      const sha = createHash("sha256").update(data).digest("base64");
      const p = await newPartial(dir, { sid: "s", peer: "a@b/c", name: "d.txt", size: 1, sha256: sha });
      await p.prepare(0);
      await p.write(0, data);
      const other = createHash("sha256").update("other").digest("base64");
      assert.equal((await p.complete(other)).ok, false);
      assert.equal(await exists(join(dir, "d.txt")), false);
    });
  });

  describe("readBlocks", () => {
    const SIZE = 100_000;
    let path: string;
    let content: Buffer;
    beforeEach(async () => {
      content = randomBytes(SIZE);
      path = join(dir, "src.bin");
      await writeFile(path, content);
    });

    async function collect(offset: number, blockSize: number, end?: number) {
      const blocks: Buffer[] = [];
      for await (const b of readBlocks(path, offset, blockSize, end)) blocks.push(Buffer.from(b));
      return blocks;
    }

    for (const blockSize of [7, 4096, 32767, 65536, SIZE, 2 * SIZE]) {
      for (const [offset, end] of [[0, undefined], [1, undefined], [12345, undefined], [SIZE - 1, undefined], [0, 50_000], [4096, 4096 + blockSize + 1], [SIZE - 3, SIZE]] as [number, number | undefined][]) {
        it(`blockSize ${blockSize}, [${offset}, ${end ?? "EOF"}): blocks <= blockSize, covering the range exactly`, async () => {
          const blocks = await collect(offset, blockSize, end);
          for (const b of blocks) {
            assert.ok(b.length > 0 && b.length <= blockSize, `a block of ${b.length}`);
          }
          assert.deepEqual(Buffer.concat(blocks), content.subarray(offset, end ?? SIZE));
        });
      }
    }

    it("nothing when offset >= end, or at EOF", async () => {
      assert.deepEqual(await collect(500, 10, 500), []);
      assert.deepEqual(await collect(600, 10, 500), []);
      assert.deepEqual(await collect(SIZE, 10), []);
    });
  });

  describe("hashing and JIDs", () => {
    it("sha256File of the whole file and of a prefix", async () => {
      const content = randomBytes(3000);
      const path = join(dir, "h.bin");
      await writeFile(path, content);
      assert.equal(await sha256File(path), sha256(content));
      assert.equal(await sha256File(path, 1000), sha256(content.subarray(0, 1000)));
      assert.equal(await sha256File(path, 0), sha256(Buffer.alloc(0)));
      const local = await describeLocalFile(path, "shown.bin");
      assert.deepEqual({ ...local, date: "" }, { path, name: "shown.bin", size: 3000, date: "", sha256: sha256(content), checkpoints: [] });
      await assert.rejects(describeLocalFile(dir), /not a regular file/);
    });

    it("describeLocalFile records the sha-256 of each checkpoint prefix in the same pass", async () => {
      // 2.5 MiB + 7: read in 1 MiB chunks, so checkpoints fall inside and across chunk borders
      const content = randomBytes(2.5 * 1024 * 1024 + 7);
      const path = join(dir, "cp.bin");
      await writeFile(path, content);
      const local = await describeLocalFile(path);
      const lengths = checkpointLengths(content.length);
      const step = Math.ceil(content.length / CHECKPOINTS);
      const even = lengths.filter((l) => l % step === 0);
      assert.equal(even.length, CHECKPOINTS - 1, "one per 1/16 of the file, the whole file's hash being the last");
      const early = lengths.filter((l) => l < step);
      assert.deepEqual(early, early.map((_, i) => 65536 * 2 ** i), "doubling from 64 KiB below the first step");
      assert.ok(early.length >= 1 && early.at(-1)! * 2 >= step);
      assert.deepEqual(local.checkpoints.map((c) => c.length), lengths);
      for (const c of local.checkpoints) assert.equal(c.sha256, sha256(content.subarray(0, c.length)), `prefix ${c.length}`);
      assert.equal(local.sha256, sha256(content));
      assert.deepEqual(checkpointLengths(64 * 1024), [], "no checkpoint in a file of one step");
      assert.deepEqual(checkpointLengths(200 * 1024), [65536, 131072, 196608], "at least 64 KiB apart");
      const GiB = 1024 ** 3;
      const big = checkpointLengths(GiB);
      assert.deepEqual(big.slice(0, 10), Array.from({ length: 10 }, (_, i) => 65536 * 2 ** i), "64 KiB .. 32 MiB, then every 64 MiB");
      assert.equal(big.length, 10 + 15);
      assert.ok(big.length <= 64, "within what a receiver reads (MAX_CHECKPOINTS)");
    });

    it("PartialFile.prefixSha256 hashes the first bytes held, including bytes not yet flushed", async () => {
      const content = randomBytes(5000);
      const partial = await newPartial(dir, { sid: "s", peer: "a@b/c", name: "p.bin", size: 5000, sha256: sha256(content) });
      await partial.prepare(0);
      await partial.write(0, content.subarray(0, 3000));
      assert.equal(await partial.prefixSha256(2000), sha256(content.subarray(0, 2000)));
      await partial.close();
    });
  });
});
