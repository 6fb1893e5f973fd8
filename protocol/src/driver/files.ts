// Files at the edge: what the sender reads, streamed in chunks, and the names both sides use.
// What the receiver writes is in receive-dir.ts (opening files in a receive directory) and
// partial-file.ts (a part file and its resume record, per session), re-exported here.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { basename, resolve, sep } from "node:path";
import type { Checkpoint } from "../ftrecovery/elements.js";
import { sanitizeFileName } from "../xep0234/file-name.js";

export const PART_SUFFIX = ".xft-part";
export const META_SUFFIX = ".xft-part.json";

/**
 * Reads path from byte 0 to end (or its end) into one 1 MiB buffer, used again for every read:
 * fn must be done with a chunk when it returns. A read stream's fresh Buffer per read piles up as
 * garbage faster than the GC frees it: hashing a 256 MiB file that way added ~30 MiB to the RSS.
 */
async function eachChunk(path: string, end: number | undefined, fn: (chunk: Buffer) => void): Promise<void> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let at = 0; end === undefined || at < end; ) {
      const { bytesRead } = await fh.read(buf, 0, end === undefined ? buf.length : Math.min(buf.length, end - at), at);
      if (bytesRead === 0) return;
      fn(buf.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

export async function sha256File(path: string, end?: number): Promise<string> {
  const hash = createHash("sha256");
  if (end === 0) return hash.digest("base64");
  await eachChunk(path, end, (chunk) => hash.update(chunk));
  return hash.digest("base64");
}

export interface LocalFile {
  path: string;
  name: string;
  size: number;
  date: string;
  sha256: string;
  /** sha-256 of prefixes, for a receiver to check a partial copy (xep-draft: checkpoints) */
  checkpoints: Checkpoint[];
}

/** Evenly spaced checkpoints per file: past the first 1/CHECKPOINTS, a receiver checks at most
 *  that much less than it holds. */
export const CHECKPOINTS = 16;
const MIN_CHECKPOINT_STEP = 64 * 1024;

/**
 * Prefix lengths at which describeLocalFile records a checkpoint: doubling from 64 KiB up to the
 * even step (size/16), then every step. The receiver resumes at the byte it holds once any
 * checkpoint at or below it verifies, so an early interruption (the first 1/16 of a large file)
 * must have a checkpoint close below it too, or it would start again at 0.
 */
export function checkpointLengths(size: number): number[] {
  const step = Math.max(MIN_CHECKPOINT_STEP, Math.ceil(size / CHECKPOINTS));
  const lengths: number[] = [];
  for (let l = MIN_CHECKPOINT_STEP; l < step && l < size; l *= 2) lengths.push(l);
  for (let l = step; l < size; l += step) lengths.push(l);
  return lengths;
}

/**
 * Size, date, sha-256 and the prefix checkpoints, in one streamed pass over the file: at each
 * checkpoint the running hash is copied and finished (node's Hash.copy()), so the checkpoints
 * cost no extra read.
 */
export async function describeLocalFile(path: string, name = basename(path)): Promise<LocalFile> {
  const st = await stat(path);
  if (!st.isFile()) throw new Error(`${path} is not a regular file`);
  const hash = createHash("sha256");
  const wanted = checkpointLengths(st.size);
  const checkpoints: Checkpoint[] = [];
  let position = 0;
  await eachChunk(path, undefined, (chunk) => {
    let buf = chunk;
    while (wanted.length && position + buf.length >= wanted[0]) {
      const cut = wanted[0] - position;
      hash.update(buf.subarray(0, cut));
      position += cut;
      buf = buf.subarray(cut);
      checkpoints.push({ length: wanted.shift()!, sha256: hash.copy().digest("base64") });
    }
    hash.update(buf);
    position += buf.length;
  });
  if (position !== st.size) throw new Error(`${path} changed while it was read (${position} of ${st.size} bytes)`);
  return { path, name, size: st.size, date: st.mtime.toISOString(), sha256: hash.digest("base64"), checkpoints };
}

/** Bytes asked of the disk at once by readBlocks: about 1 MiB, a whole number of blocks. */
export function readChunkSize(blockSize: number): number {
  return Math.max(1, Math.floor((1 << 20) / blockSize)) * blockSize;
}

/**
 * Reads [offset, end) in blocks of blockSize bytes (the last one may be shorter), never the
 * whole file. The disk is read ~1 MiB at a time: every read of a stream is a round trip through
 * libuv's thread pool, which cost ~110 µs of CPU per read on our test VM whatever its size, so
 * one read per 32 KiB block spent more on that than on the data.
 */
export async function* readBlocks(path: string, offset: number, blockSize: number, end?: number): AsyncGenerator<Buffer> {
  if (end !== undefined && offset >= end) return;
  const highWaterMark = readChunkSize(blockSize);
  const stream = createReadStream(path, { start: offset, end: end === undefined ? undefined : end - 1, highWaterMark });
  let rest: Buffer | undefined; // the start of a block cut by the end of a read
  for await (const chunk of stream) {
    let buf = chunk as Buffer;
    if (rest) {
      buf = Buffer.concat([rest, buf]);
      rest = undefined;
    }
    let i = 0;
    for (; buf.length - i >= blockSize; i += blockSize) yield buf.subarray(i, i + blockSize);
    if (i < buf.length) rest = buf.subarray(i);
  }
  if (rest) yield rest;
}

/**
 * XEP-0234 §security: a name must never be read as a path. The one sanitiser the store uses too
 * (xep0234/file-name.ts): separators, controls, look-alike slashes and dots and leading dots
 * percent-encoded, invisible characters removed, at most 200 UTF-8 bytes.
 */
export function safeFileName(name: string | undefined): string {
  return sanitizeFileName(name);
}

export function insideDir(dir: string, path: string): boolean {
  const root = resolve(dir) + sep;
  return resolve(path).startsWith(root);
}

export * from "./receive-dir.js";
export * from "./partial-file.js";
