// Measures the two ways to keep an offline file's bytes (not a test; prints figures):
//   (a) SQLite blobs, one row per appended chunk, offset committed in the same transaction;
//   (b) one file per upload beside the database, written at the offset, fdatasync'd, then the
//       offset committed.
// Each variant writes SIZE MiB in CHUNK KiB appends, reads it back from offset 0 in chunks
// (through SHA-256, as finishUpload does), then deletes it; "store" runs the same through
// createStore (its write figure includes finishUpload's read-back hash). Peak RSS is sampled
// after every chunk (the blob path is synchronous, so a timer alone would never fire during
// it) and every 5 ms by a timer.
//
//   node component/dist/store/bench-storage.js [sizeMiB=256] [chunkKiB=256] [dir=os.tmpdir()]
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { mkdtemp, open, rm, unlink } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { createStore } from "./store.js";

const MiB = 1024 * 1024;
const sizeMiB = Number(process.argv[2] ?? 256);
const chunkKiB = Number(process.argv[3] ?? 256);
const baseDir = process.argv[4] ?? os.tmpdir();
const SIZE = sizeMiB * MiB;
const CHUNK = chunkKiB * 1024;
const READ_CHUNK = 256 * 1024; // files are read in the store's chunk size whatever the appends were; blob rows are what they are

let peak = 0;
const sample = () => {
  const rss = process.memoryUsage().rss;
  if (rss > peak) peak = rss;
};
const timer = setInterval(sample, 5);

// 8 MiB of random bytes, sliced at varying starts: incompressible, and cheap to produce.
const pool = randomBytes(8 * MiB + CHUNK);
const chunkAt = (offset: number, len: number) => pool.subarray(offset % (8 * MiB), (offset % (8 * MiB)) + len);

interface Figures {
  variant: string;
  writeMiBs: number;
  readMiBs: number;
  peakRssMiB: number;
  deleteMs: number;
  diskBeforeDeleteMiB: number;
  diskAfterDeleteMiB: number;
}

function openDb(file: string, synchronous: "NORMAL" | "FULL") {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(`
    CREATE TABLE files (id TEXT PRIMARY KEY, bytes_received INTEGER NOT NULL) STRICT;
    CREATE TABLE chunks (file_id TEXT NOT NULL REFERENCES files(id), offset INTEGER NOT NULL, data BLOB NOT NULL,
                         PRIMARY KEY (file_id, offset)) STRICT;`);
  return db;
}

function diskUsage(dir: string): number {
  let total = 0;
  for (const name of fs.readdirSync(dir)) {
    const st = fs.statSync(path.join(dir, name));
    total += st.isDirectory() ? diskUsage(path.join(dir, name)) : st.blocks * 512;
  }
  return total;
}

async function benchBlobs(dir: string, synchronous: "NORMAL" | "FULL"): Promise<Figures> {
  const db = openDb(path.join(dir, "blobs.sqlite"), synchronous);
  const id = "f1";
  db.prepare("INSERT INTO files (id, bytes_received) VALUES (?, 0)").run(id);
  const insert = db.prepare("INSERT INTO chunks (file_id, offset, data) VALUES (?, ?, ?)");
  const advance = db.prepare("UPDATE files SET bytes_received = ? WHERE id = ? AND bytes_received = ?");
  const append = db.transaction((offset: number, data: Buffer) => {
    insert.run(id, offset, data);
    if (advance.run(offset + data.length, id, offset).changes !== 1) throw new Error("offset moved");
  });
  peak = 0;
  sample();
  let t = performance.now();
  for (let offset = 0; offset < SIZE; offset += CHUNK) {
    append(offset, chunkAt(offset, Math.min(CHUNK, SIZE - offset)));
    sample();
  }
  const writeMs = performance.now() - t;

  // One row per query: an open iterator would keep the connection busy between chunks.
  const next = db.prepare("SELECT offset, data FROM chunks WHERE file_id = ? AND offset >= ? ORDER BY offset LIMIT 1");
  const hash = createHash("sha256");
  t = performance.now();
  let read = 0;
  for (;;) {
    const row = next.get(id, read) as { offset: number; data: Buffer } | undefined;
    if (!row) break;
    hash.update(row.data);
    read = row.offset + row.data.length;
    sample();
    if (read % (16 * MiB) === 0) await new Promise(setImmediate); // let the timer and GC breathe, as a stream would
  }
  const readMs = performance.now() - t;
  if (read !== SIZE) throw new Error(`read ${read}`);
  hash.digest();

  db.pragma("wal_checkpoint(TRUNCATE)");
  const before = diskUsage(dir);
  t = performance.now();
  db.transaction(() => {
    db.prepare("DELETE FROM chunks WHERE file_id = ?").run(id);
    db.prepare("DELETE FROM files WHERE id = ?").run(id);
  })();
  db.pragma("wal_checkpoint(TRUNCATE)");
  const deleteMs = performance.now() - t;
  const after = diskUsage(dir);
  db.close();
  return {
    variant: `(a) blobs, WAL synchronous=${synchronous}`,
    writeMiBs: sizeMiB / (writeMs / 1000),
    readMiBs: sizeMiB / (readMs / 1000),
    peakRssMiB: peak / MiB,
    deleteMs,
    diskBeforeDeleteMiB: before / MiB,
    diskAfterDeleteMiB: after / MiB,
  };
}

/** syncEvery: 0 = never fsync; otherwise fdatasync (then commit the offset) once that many bytes are unsynced. */
async function benchFiles(dir: string, syncEvery: number): Promise<Figures> {
  const db = openDb(path.join(dir, "meta.sqlite"), "NORMAL");
  const id = "f1";
  db.prepare("INSERT INTO files (id, bytes_received) VALUES (?, 0)").run(id);
  const advance = db.prepare("UPDATE files SET bytes_received = ? WHERE id = ? AND bytes_received = ?");
  fs.mkdirSync(path.join(dir, "files"));
  const file = path.join(dir, "files", id);
  peak = 0;
  sample();
  let t = performance.now();
  // as the store does: write at the offset, make it durable, then commit the offset
  const fh = await open(file, fs.constants.O_WRONLY | fs.constants.O_CREAT);
  let committed = 0;
  for (let offset = 0; offset < SIZE; offset += CHUNK) {
    const data = chunkAt(offset, Math.min(CHUNK, SIZE - offset));
    await fh.write(data, 0, data.length, offset);
    const end = offset + data.length;
    if (end - committed >= syncEvery || end === SIZE) {
      if (syncEvery > 0) await fh.datasync();
      if (advance.run(end, id, committed).changes !== 1) throw new Error("offset moved");
      committed = end;
    }
    sample();
  }
  await fh.close();
  const writeMs = performance.now() - t;

  const hash = createHash("sha256");
  t = performance.now();
  let read = 0;
  for await (const chunk of fs.createReadStream(file, { start: 0, highWaterMark: READ_CHUNK })) {
    hash.update(chunk as Buffer);
    read += (chunk as Buffer).length;
    sample();
  }
  const readMs = performance.now() - t;
  if (read !== SIZE) throw new Error(`read ${read}`);
  hash.digest();

  db.pragma("wal_checkpoint(TRUNCATE)");
  const before = diskUsage(dir);
  t = performance.now();
  await unlink(file);
  db.prepare("DELETE FROM files WHERE id = ?").run(id);
  const deleteMs = performance.now() - t;
  const after = diskUsage(dir);
  db.close();
  return {
    variant: `(b) file per upload, ${syncEvery === 0 ? "no fsync" : syncEvery <= CHUNK ? "fdatasync each append" : `fdatasync every ${syncEvery / MiB} MiB`}`,
    writeMiBs: sizeMiB / (writeMs / 1000),
    readMiBs: sizeMiB / (readMs / 1000),
    peakRssMiB: peak / MiB,
    deleteMs,
    diskBeforeDeleteMiB: before / MiB,
    diskAfterDeleteMiB: after / MiB,
  };
}

/** (b) as implemented: createStore, append, finishUpload (hashes it back), readStream, markDelivered. */
async function benchStore(dir: string): Promise<Figures> {
  const store = createStore({ path: path.join(dir, "store.sqlite") });
  const hash = createHash("sha256");
  for (let offset = 0; offset < SIZE; offset += CHUNK) hash.update(chunkAt(offset, Math.min(CHUNK, SIZE - offset)));
  const { id } = await store.beginUpload({ sender: "a@a.example", recipient: "b@b.example", name: "bench", size: SIZE, sha256: hash.digest("base64") });
  peak = 0;
  sample();
  let t = performance.now();
  for (let offset = 0; offset < SIZE; ) {
    offset = await store.append(id, offset, chunkAt(offset, Math.min(CHUNK, SIZE - offset)));
    sample();
  }
  await store.finishUpload(id);
  const writeMs = performance.now() - t;
  t = performance.now();
  let read = 0;
  const check = createHash("sha256");
  for await (const chunk of store.readStream(id, "b@b.example")) {
    check.update(chunk as Buffer);
    read += (chunk as Buffer).length;
    sample();
  }
  check.digest();
  const readMs = performance.now() - t;
  if (read !== SIZE) throw new Error(`read ${read}`);
  const before = diskUsage(dir);
  t = performance.now();
  await store.markDelivered(id);
  const deleteMs = performance.now() - t;
  const after = diskUsage(dir);
  await store.close();
  return {
    variant: "(b) the store: append+finishUpload, readStream",
    writeMiBs: sizeMiB / (writeMs / 1000),
    readMiBs: sizeMiB / (readMs / 1000),
    peakRssMiB: peak / MiB,
    deleteMs,
    diskBeforeDeleteMiB: before / MiB,
    diskAfterDeleteMiB: after / MiB,
  };
}

async function main() {
  const version = (createRequire(import.meta.url)("better-sqlite3/package.json") as { version: string }).version;
  console.log(`${sizeMiB} MiB in ${chunkKiB} KiB appends, in ${baseDir} (node ${process.version}, better-sqlite3 ${version})`);
  sample();
  console.log(`baseline RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB (includes the 8 MiB random pool)`);
  const runs: [string, (dir: string) => Promise<Figures>][] = [
    ["blob-normal", (d) => benchBlobs(d, "NORMAL")],
    ["blob-full", (d) => benchBlobs(d, "FULL")],
    ["file-sync", (d) => benchFiles(d, 1)],
    ["file-sync1m", (d) => benchFiles(d, MiB)],
    ["file-nosync", (d) => benchFiles(d, 0)],
    ["store", benchStore],
  ];
  const only = process.env.BENCH_ONLY?.split(",");
  for (const [name, run] of runs) {
    if (only && !only.includes(name)) continue;
    const dir = await mkdtemp(path.join(baseDir, `xft-bench-${name}-`));
    try {
      const f = await run(dir);
      console.log(
        `${f.variant.padEnd(48)} write ${f.writeMiBs.toFixed(0).padStart(5)} MiB/s  read ${f.readMiBs.toFixed(0).padStart(5)} MiB/s  ` +
          `peak RSS ${f.peakRssMiB.toFixed(0).padStart(4)} MiB  delete ${f.deleteMs.toFixed(0).padStart(5)} ms  ` +
          `disk ${f.diskBeforeDeleteMiB.toFixed(0)} -> ${f.diskAfterDeleteMiB.toFixed(0)} MiB`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    if (global.gc) global.gc();
  }
  clearInterval(timer);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
