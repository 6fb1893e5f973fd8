import assert from "node:assert/strict";
import { lutimes, mkdtemp, readdir, rm, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeStalePartials, stalePartials, type DirEntry } from "./stale-partials.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = 100 * DAY;
const entry = (name: string, ageDays: number, isFile = true): DirEntry => ({ name, isFile, mtimeMs: NOW - ageDays * DAY });

describe("driver/stale-partials (issue 12 item 7)", () => {
  describe("stalePartials: which names go", () => {
    it("a part and its record older than the limit go together; younger ones stay", () => {
      const entries = [
        entry("a.bin.111111111111.xft-part", 8), entry("a.bin.111111111111.xft-part.json", 9),
        entry("b.bin.222222222222.xft-part", 6), entry("b.bin.222222222222.xft-part.json", 6),
      ];
      assert.deepEqual(stalePartials(entries, NOW, 7 * DAY), ["a.bin.111111111111.xft-part", "a.bin.111111111111.xft-part.json"]);
    });

    it("a pair is judged by the newer of the two: a part still written keeps its old record", () => {
      const entries = [entry("c.bin.333333333333.xft-part", 1), entry("c.bin.333333333333.xft-part.json", 30)];
      assert.deepEqual(stalePartials(entries, NOW, 7 * DAY), []);
    });

    it("an orphan part or record is judged alone; a pre-token NAME.xft-part counts too", () => {
      const entries = [entry("d.bin.444444444444.xft-part.json", 8), entry("e.bin.xft-part", 8), entry("f.bin.555555555555.xft-part", 2)];
      assert.deepEqual(stalePartials(entries, NOW, 7 * DAY), ["d.bin.444444444444.xft-part.json", "e.bin.xft-part"]);
    });

    it("never a part in use, a link or FIFO named like a part, nor any other file", () => {
      const entries = [
        entry("g.bin.666666666666.xft-part", 30), entry("g.bin.666666666666.xft-part.json", 30),
        entry("h.bin.777777777777.xft-part", 30, false), entry("photo.jpg", 300), entry(".xft-received.json", 300),
      ];
      assert.deepEqual(stalePartials(entries, NOW, 7 * DAY, (part) => part === "g.bin.666666666666.xft-part"), []);
    });

    it("exactly at the limit is not yet stale", () => {
      assert.deepEqual(stalePartials([entry("i.xft-part", 7)], NOW, 7 * DAY), []);
    });
  });

  describe("removeStalePartials: on disk, by mtime", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), "xft-stale-test-"));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("removes old parts and records, keeps new ones, other files and links", async () => {
      const old = new Date(Date.now() - 8 * DAY);
      for (const n of ["old.bin.aaaaaaaaaaaa.xft-part", "old.bin.aaaaaaaaaaaa.xft-part.json", "kept.jpg"]) {
        await writeFile(join(dir, n), "x");
        await utimes(join(dir, n), old, old);
      }
      await writeFile(join(dir, "new.bin.bbbbbbbbbbbb.xft-part"), "x");
      await symlink(join(dir, "kept.jpg"), join(dir, "link.bin.cccccccccccc.xft-part"));
      await lutimes(join(dir, "link.bin.cccccccccccc.xft-part"), old, old);
      assert.deepEqual(await removeStalePartials(dir, 7), ["old.bin.aaaaaaaaaaaa.xft-part", "old.bin.aaaaaaaaaaaa.xft-part.json"]);
      assert.deepEqual((await readdir(dir)).sort(), ["kept.jpg", "link.bin.cccccccccccc.xft-part", "new.bin.bbbbbbbbbbbb.xft-part"]);
    });

    it("a directory that does not exist yet is nothing to clean", async () => {
      assert.deepEqual(await removeStalePartials(join(dir, "none"), 7), []);
    });
  });
});
