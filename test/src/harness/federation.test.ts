// The /etc/hosts handling of the federation harness, on a scratch file: the real file must come
// back byte for byte, and lines a killed run left behind must not pile up.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { addHostLines } from "./federation.js";

describe("harness: federation hosts lines", () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "xft-hosts-"));
    file = path.join(dir, "hosts");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("adds the lines, then restores the file exactly (no final newline kept as it was)", () => {
    const original = "127.0.0.1 localhost\n# comment\n::1 ip6-localhost";
    fs.writeFileSync(file, original);
    const restore = addHostLines(["127.0.0.2 a.test", "127.0.0.3 b.test"], file);
    const during = fs.readFileSync(file, "utf8").split("\n");
    assert.ok(during.some((l) => l.startsWith("127.0.0.2 a.test ")), "a.test added");
    assert.ok(during.some((l) => l.startsWith("127.0.0.3 b.test ")), "b.test added");
    restore();
    assert.equal(fs.readFileSync(file, "utf8"), original);
    restore(); // twice is harmless
    assert.equal(fs.readFileSync(file, "utf8"), original);
  });

  it("drops lines a killed run left behind, and keeps what others added meanwhile", () => {
    fs.writeFileSync(file, "127.0.0.1 localhost\n");
    addHostLines(["127.0.0.2 a.test"], file); // never restored: as after a SIGKILL
    const restore = addHostLines(["127.0.0.2 a.test"], file);
    assert.equal(fs.readFileSync(file, "utf8").match(/a\.test/g)?.length, 1, "no duplicate line");
    fs.appendFileSync(file, "10.0.0.9 other\n"); // someone else's change
    restore();
    assert.equal(fs.readFileSync(file, "utf8"), "127.0.0.1 localhost\n10.0.0.9 other\n");
  });
});
