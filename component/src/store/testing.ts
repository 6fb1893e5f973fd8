// Helpers for the store's and housekeeping's tests (real temp dirs, real SQLite files).
import { createCipheriv, createHash, randomBytes, randomInt } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import type { OfflineStore } from "./store.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;
export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
export const HOUR = 3600_000;
export const DAY = 24 * HOUR;

/** A temp directory removed by cleanup(); `db` is a database path inside it. */
export function tempDir(prefix = "xft-store-") {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, db: path.join(dir, "offline.sqlite"), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock tests move by hand. */
export function manualClock(start = T0) {
  const clock = { t: start, now: () => new Date(clock.t) };
  return clock;
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("base64");
}

/** size bytes that anyone can regenerate from seed (AES-128-CTR over zeros). */
export function seededBytes(size: number, seed = "xft"): Buffer {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

export const randomData = (size: number) => randomBytes(size);

/** Appends data from `from` in chunks of random sizes in [1, maxChunk]; returns the chunk sizes. */
export async function appendAll(store: OfflineStore, id: string, data: Buffer, from = 0, maxChunk = 200 * KiB, upTo = data.length): Promise<number[]> {
  const sizes: number[] = [];
  let offset = from;
  while (offset < upTo) {
    const n = Math.min(randomInt(1, maxChunk + 1), upTo - offset);
    const end = await store.append(id, offset, data.subarray(offset, offset + n));
    if (end !== offset + n) throw new Error(`append returned ${end}, expected ${offset + n}`);
    offset = end;
    sizes.push(n);
  }
  return sizes;
}

/** Hash and length of a stream, and its largest chunk, without keeping it. */
export async function digestStream(stream: Readable): Promise<{ sha256: string; length: number; chunks: number; largestChunk: number }> {
  const hash = createHash("sha256");
  let length = 0;
  let chunks = 0;
  let largestChunk = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
    chunks++;
    largestChunk = Math.max(largestChunk, (chunk as Buffer).length);
  }
  return { sha256: hash.digest("base64"), length, chunks, largestChunk };
}

/** The error a promise or function rejects/throws with. */
export async function caught(fn: () => unknown): Promise<any> {
  try {
    await fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}
