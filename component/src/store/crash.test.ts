import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { openSync, readSync, closeSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { createStore } from "./store.js";
import { digestStream, KiB, MiB, seededBytes, sha256, tempDir } from "./testing.js";
import { fileNameOf } from "./validate.js";

const CHILD = fileURLToPath(new URL("./crash-child.js", import.meta.url));
const SIZE = 16 * MiB;

/** Runs the child until it has appended past killAt, then SIGKILLs it; resolves to the upload id. */
function uploadUntilKilled(db: string, killAt: number, chunk: number, syncEvery: number, seed: string): Promise<{ id: string; lastReported: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, db, String(SIZE), String(chunk), String(syncEvery), seed], { stdio: ["ignore", "pipe", "inherit"] });
    let id = "";
    let lastReported = 0;
    createInterface({ input: child.stdout }).on("line", (line) => {
      const [word, value] = line.split(" ");
      if (word === "id") id = value;
      if (word === "at") lastReported = Number(value);
      if ((word === "at" && lastReported >= killAt) || word === "done") child.kill("SIGKILL");
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => (signal === "SIGKILL" ? resolve({ id, lastReported }) : reject(new Error(`child exited ${code}`))));
  });
}

describe("offline store: kill -9 during an upload", function () {
  this.timeout(120_000);
  const cases = [
    { killAt: 3 * MiB + 5000, chunk: 32 * KiB, syncEvery: 1 * MiB },
    { killAt: 9 * MiB + 100 * KiB, chunk: 4 * KiB, syncEvery: 256 * KiB },
    { killAt: 13 * MiB, chunk: 64 * KiB, syncEvery: 1 },
  ];
  for (const { killAt, chunk, syncEvery } of cases) {
    it(`committed offset <= bytes on disk, and the upload resumes there (kill after ${(killAt / MiB).toFixed(1)} MiB, ${chunk / KiB} KiB appends, sync every ${syncEvery} B)`, async () => {
      const tmp = tempDir();
      const seed = `seed-${killAt}`;
      const data = seededBytes(SIZE, seed);
      try {
        const { id, lastReported } = await uploadUntilKilled(tmp.db, killAt, chunk, syncEvery, seed);
        assert.ok(id, "the child began the upload");

        // What the crash left, before any store code looks at it.
        const raw = new Database(tmp.db, { readonly: true });
        const committed = raw.prepare("SELECT bytes_received FROM files WHERE id = ?").pluck().get(id) as number;
        raw.close();
        const file = `${tmp.db}-files/${fileNameOf(id)}`;
        const onDisk = statSync(file).size;
        assert.ok(committed <= onDisk, `bytes_received ${committed} <= ${onDisk} on disk`);
        assert.ok(committed > 0 && committed <= lastReported + chunk * 64, `committed ${committed} (child reported ${lastReported})`);
        assert.ok(lastReported - committed <= Math.max(syncEvery, chunk) + 64 * chunk, "at most about one sync interval lost");
        // and those bytes are the right ones
        const head = Buffer.alloc(committed);
        const fd = openSync(file, "r");
        readSync(fd, head, 0, committed, 0);
        closeSync(fd);
        assert.ok(head.equals(data.subarray(0, committed)), "the committed bytes are intact");

        const store = createStore({ path: tmp.db });
        try {
          const resumed = await store.beginUpload({ sender: "alice@a.example", recipient: "bob@b.example", name: "crash.bin", size: SIZE, sha256: sha256(data) });
          assert.deepEqual(resumed, { id, offset: committed, resumed: true });
          for (let at = committed; at < SIZE; ) at = await store.append(id, at, data.subarray(at, Math.min(at + 256 * KiB, SIZE)));
          assert.equal((await store.finishUpload(id)).state, "stored");
          assert.equal((await digestStream(store.readStream(id, "bob@b.example"))).sha256, sha256(data));
        } finally {
          await store.close();
        }
      } finally {
        tmp.cleanup();
      }
    });
  }
});
