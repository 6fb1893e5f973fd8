// Files at the edge: what the sender reads and what the receiver writes, streamed in chunks.
// The receiver keeps a partial file and a small JSON record beside its target, so that a
// restarted process can still resume (XEP-0234 ranged transfer).
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, readdir, readFile, rename, rm, stat, writeFile, type FileHandle } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import type { Checkpoint } from "../ftrecovery/elements.js";
import type { ReceiveSink } from "./sink.js";

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
 * XEP-0234 §security: a name must never be read as a path. Separators, control characters
 * and leading dots are percent-encoded, so the name stays recognisable and stays in its folder.
 */
export function safeFileName(name: string | undefined): string {
  let safe = (name ?? "").normalize("NFC");
  safe = safe.replace(/[%/\\\u0000-\u001f\u007f:]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0"));
  safe = safe.replace(/^\.+/, (dots) => "%2E".repeat(dots.length));
  safe = safe.slice(0, 200);
  return safe === "" ? "unnamed" : safe;
}

export function insideDir(dir: string, path: string): boolean {
  const root = resolve(dir) + sep;
  return resolve(path).startsWith(root);
}

export interface PartialRecord {
  version: 1;
  sid: string;
  peer: string;
  name: string;
  size: number;
  sha256: string;
  target: string;
}

/** A file being received: bytes go to `<target>.xft-part`, what resumes it to `.xft-part.json`. */
/** Bytes PartialFile.write gathers before it writes them to the file. */
export const WRITE_BEHIND = 1 << 20;

export class PartialFile implements ReceiveSink {
  private handle?: FileHandle;
  private buffered: Buffer[] = []; // consecutive blocks not yet written, from bufferedAt on
  private bufferedAt = 0;
  private bufferedBytes = 0;
  constructor(readonly dir: string, readonly record: PartialRecord) {}

  get partPath() {
    return this.record.target + PART_SUFFIX;
  }
  get metaPath() {
    return this.record.target + META_SUFFIX;
  }

  /** bytes already on disk, which is where a resumed transfer starts */
  async offset(): Promise<number> {
    await this.flush();
    try {
      return Math.min((await stat(this.partPath)).size, this.record.size);
    } catch {
      return 0;
    }
  }

  async prepare(offset: number): Promise<void> {
    if (!insideDir(this.dir, this.partPath)) throw new Error("partial file outside the target directory");
    await writeFile(this.metaPath, JSON.stringify(this.record, null, 2));
    this.handle = await open(this.partPath, "a+").then(async (h) => {
      await h.close();
      return open(this.partPath, "r+");
    });
    await this.handle.truncate(offset); // never trust bytes past the agreed offset
  }

  /**
   * Stores `data` at `position`. Consecutive blocks are gathered and written WRITE_BEHIND bytes at
   * a time: each file write is a round trip through libuv's thread pool (~110 µs of CPU on our
   * test VM, whatever its size), so one per 32 KiB IBB block cost more than the bytes. Up to that
   * many acknowledged bytes are then only in memory; a crash loses them, which is safe because a
   * resumed transfer starts from what is on disk (offset()). close(), complete(), discard() and
   * offset() see every byte written before them.
   */
  async write(position: number, data: Buffer): Promise<void> {
    if (!this.handle) throw new Error("partial file not prepared");
    if (this.buffered.length > 0 && position !== this.bufferedAt + this.bufferedBytes) await this.flush();
    if (this.buffered.length === 0) this.bufferedAt = position;
    this.buffered.push(data);
    this.bufferedBytes += data.length;
    if (this.bufferedBytes >= WRITE_BEHIND) await this.flush();
  }

  /** Writes what write() gathered. */
  async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const data = this.buffered.length === 1 ? this.buffered[0] : Buffer.concat(this.buffered, this.bufferedBytes);
    const position = this.bufferedAt;
    this.buffered = [];
    this.bufferedBytes = 0;
    if (!this.handle) throw new Error("partial file not prepared");
    let done = 0;
    while (done < data.length) {
      const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
      done += bytesWritten;
    }
  }

  async close(): Promise<void> {
    if (this.handle) await this.flush();
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }

  async prefixSha256(length: number): Promise<string> {
    await this.flush();
    return sha256File(this.partPath, length);
  }

  /** Verifies the whole partial file against the sha-256 and only then gives it its name. */
  async complete(expectedSha256 = this.record.sha256): Promise<{ ok: boolean; detail: string; path?: string }> {
    this.record.sha256 = expectedSha256;
    await this.close();
    const actual = await sha256File(this.partPath);
    if (actual !== this.record.sha256) {
      return { ok: false, detail: `sha-256 mismatch: expected ${this.record.sha256}, got ${actual}` };
    }
    const path = await freeName(this.record.target);
    await rename(this.partPath, path);
    await rm(this.metaPath, { force: true });
    return { ok: true, detail: "sha-256 verified", path };
  }

  async discard(): Promise<void> {
    this.buffered = []; // nothing of it is kept
    this.bufferedBytes = 0;
    await this.close();
    await rm(this.partPath, { force: true });
    await rm(this.metaPath, { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

/** "a.txt", then "a (1).txt", ... so an earlier file is never overwritten. */
export async function freeName(target: string): Promise<string> {
  if (!(await exists(target))) return target;
  const dot = target.lastIndexOf(".");
  const slash = target.lastIndexOf(sep);
  const [stem, ext] = dot > slash + 1 ? [target.slice(0, dot), target.slice(dot)] : [target, ""];
  for (let i = 1; ; i++) {
    const candidate = `${stem} (${i})${ext}`;
    if (!(await exists(candidate))) return candidate;
  }
}

/** Finds a partial download of the same bytes (same sha-256 and size) from the same bare JID. */
/** A partial download of this file from one of these senders (bare JIDs), if dir holds one. */
export async function findPartial(dir: string, match: { sha256: string; size: number; peerBare: string | readonly string[] }): Promise<PartialFile | undefined> {
  const peers = typeof match.peerBare === "string" ? [match.peerBare] : match.peerBare;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  for (const n of names.filter((n) => n.endsWith(META_SUFFIX))) {
    try {
      const record = JSON.parse(await readFile(join(dir, n), "utf8")) as PartialRecord;
      if (record.sha256 === match.sha256 && record.size === match.size && peers.includes(bare(record.peer)) && insideDir(dir, record.target)) {
        return new PartialFile(dir, record);
      }
    } catch {
      // an unreadable record is not ours to resume
    }
  }
  return undefined;
}

export function bare(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** A new partial download in dir for an offered file. */
export async function newPartial(dir: string, record: Omit<PartialRecord, "target" | "version">): Promise<PartialFile> {
  const target = join(resolve(dir), safeFileName(record.name));
  if (!insideDir(dir, target)) throw new Error("file name escapes the target directory");
  const free = await freeName(target);
  return new PartialFile(dir, { version: 1, ...record, target: free });
}
