import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findReceived, RECEIVED_LEDGER, ReceivedFile, recordReceived } from "./received.js";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("base64");

describe("driver/received: files completed lately, for a continuation that comes after the last byte", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "xft-received-test-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("finds a file it recorded, held at its last byte, verified, never written nor deleted", async () => {
    const bytes = randomBytes(70_000);
    const path = join(dir, "a.bin");
    await writeFile(path, bytes);
    await recordReceived(dir, { sha256: sha256(bytes), size: bytes.length, peer: "alice@a.test", path });
    const match = { sha256: sha256(bytes), size: bytes.length, peerBare: ["alice@a.test"] };
    const found = await findReceived(dir, match);
    assert.ok(found instanceof ReceivedFile);
    assert.equal(await found.offset(), bytes.length);
    assert.equal(await found.prefixSha256(1000), sha256(bytes.subarray(0, 1000)));
    await assert.rejects(found.prepare(0), /only continued at its end/);
    await found.prepare(bytes.length);
    assert.deepEqual(await found.complete(sha256(bytes)), { ok: true, detail: "sha-256 verified (received before)", path });
    await found.discard();
    assert.equal((await stat(path)).size, bytes.length, "discard leaves the user's file");
    assert.equal(await findReceived(dir, { ...match, peerBare: ["mallory@m.test"] }), undefined, "another sender's offer does not match");
  });

  it("does not match a file changed since, nor one the ledger names outside the directory", async () => {
    const bytes = randomBytes(1000);
    const path = join(dir, "b.bin");
    await writeFile(path, bytes);
    await recordReceived(dir, { sha256: sha256(bytes), size: bytes.length, peer: "alice@a.test", path });
    const match = { sha256: sha256(bytes), size: bytes.length, peerBare: ["alice@a.test"] };
    await writeFile(path, randomBytes(1000)); // same size, other bytes
    assert.equal(await findReceived(dir, match), undefined);
    const outside = join(dir, "..", "outside.bin");
    await writeFile(outside, bytes);
    try {
      await writeFile(join(dir, RECEIVED_LEDGER), JSON.stringify([{ ...match, peer: "alice@a.test", name: "../outside.bin", at: "" }]));
      const found = await findReceived(dir, match);
      assert.notEqual(found?.partPath, outside, "the ledger never points outside");
    } finally {
      await rm(outside, { force: true });
    }
  });

  it("keeps the newest 100 entries, one per file, written whole", async () => {
    const writes = [];
    for (let i = 0; i < 120; i++) writes.push(recordReceived(dir, { sha256: `h${i}`, size: i, peer: "alice@a.test", path: join(dir, `f${i}`) }));
    await Promise.all(writes);
    await recordReceived(dir, { sha256: "h119", size: 119, peer: "alice@a.test", path: join(dir, "again") });
    const entries = JSON.parse(await readFile(join(dir, RECEIVED_LEDGER), "utf8"));
    assert.equal(entries.length, 100);
    assert.equal(entries.filter((e: { sha256: string }) => e.sha256 === "h119").length, 1);
    assert.equal(entries.at(-1).name, "again");
  });

  it("never follows a link planted at the ledger or at its temporary name; the ledger is 0600", async () => {
    const victim = join(dir, "..", `${RECEIVED_LEDGER}-victim-${process.pid}`);
    await writeFile(victim, "precious");
    try {
      await symlink(victim, join(dir, RECEIVED_LEDGER));
      await symlink(victim, join(dir, `${RECEIVED_LEDGER}.${process.pid}.tmp`));
      await recordReceived(dir, { sha256: "h", size: 1, peer: "alice@a.test", path: join(dir, "a.bin") });
      assert.equal(await readFile(victim, "utf8"), "precious", "the link's target is untouched");
      const ledger = await lstat(join(dir, RECEIVED_LEDGER));
      assert.ok(ledger.isFile(), "the ledger is a file of its own now");
      assert.equal(ledger.mode & 0o777, 0o600);
      assert.equal(JSON.parse(await readFile(join(dir, RECEIVED_LEDGER), "utf8")).length, 1, "the linked ledger was not read as ours");
    } finally {
      await rm(victim, { force: true });
    }
  });

  it("does not take a link in place of a received file for it", async () => {
    const bytes = randomBytes(100);
    const elsewhere = join(dir, "elsewhere.bin");
    await writeFile(elsewhere, bytes);
    await symlink(elsewhere, join(dir, "c.bin"));
    await recordReceived(dir, { sha256: sha256(bytes), size: bytes.length, peer: "alice@a.test", path: join(dir, "c.bin") });
    assert.equal(await findReceived(dir, { sha256: sha256(bytes), size: bytes.length, peerBare: ["alice@a.test"] }), undefined);
  });
});
