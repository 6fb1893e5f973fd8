// Files at the edge: what the sender reads and what the receiver writes, streamed in chunks.
// The receiver keeps a partial file and a small JSON record beside its target, so that a
// restarted process can still resume (XEP-0234 ranged transfer).
import { createHash, randomBytes } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { link, mkdir, open, rm, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, join, resolve, sep } from "node:path";
import type { Checkpoint } from "../ftrecovery/elements.js";
import { recordRemoved, recordsFor, recordWritten } from "./partial-index.js";
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
  /** the name wanted at completion; the file gets it, or "NAME (1)" when it is taken by then */
  target: string;
  /** this partial's own part file (a basename in dir, e.g. "a.txt.<token>.xft-part"); absent in
   *  records written before every session had its own part: then it is target + PART_SUFFIX */
  part?: string;
}

const { O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_RDWR, O_TRUNC, O_WRONLY } = constants;

/**
 * Opens a file in a receive directory that must be a regular file, never through a symbolic
 * link (O_NOFOLLOW) and never blocking on a FIFO or device someone planted (O_NONBLOCK, then
 * fstat): the directory may be shared, and a planted link must not redirect our writes.
 */
export async function openRegular(path: string, flags: number, mode = 0o600): Promise<FileHandle> {
  const fh = await open(path, flags | O_NOFOLLOW | O_NONBLOCK, mode);
  try {
    if (!(await fh.stat()).isFile()) throw new Error(`${path} is not a regular file`);
    return fh;
  } catch (err) {
    await fh.close();
    throw err;
  }
}

/** Reads a small file in a receive directory (a resume record, the received list) the same way. */
export async function readRegular(path: string): Promise<string> {
  const fh = await openRegular(path, O_RDONLY);
  try {
    return await fh.readFile("utf8");
  } finally {
    await fh.close();
  }
}

/** Writes a small file in a receive directory, 0600, never through a link. */
export async function writeRegular(path: string, text: string, exclusive = false): Promise<void> {
  const fh = await openRegular(path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC));
  try {
    await fh.truncate(0);
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}

/**
 * Makes sure a receive directory exists. One this creates (and the parents it creates) is 0700:
 * what arrives, and who sent it (the resume records), is its user's alone. An existing directory
 * is left as it is: its owner chose who may see it.
 */
export async function ensureReceiveDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Part files some session of this process has open: never handed to a second one at once. */
const partsInUse = new Set<string>();

/** A session of this process writes this part file (an absolute path) now. */
export const isPartInUse = (partPath: string) => partsInUse.has(partPath);

/** A file being received: bytes go to its own part file, what resumes it to the part's `.json`. */
/** Bytes PartialFile.write gathers before it writes them to the file. */
export const WRITE_BEHIND = 1 << 20;

export class PartialFile implements ReceiveSink {
  private handle?: FileHandle;
  private buffered: Buffer[] = []; // consecutive blocks not yet written, from bufferedAt on
  private bufferedAt = 0;
  private bufferedBytes = 0;
  private claimed = false;
  /** prepare() was called: writes are welcome (the part itself may not exist yet) */
  private prepared = false;
  private creating?: Promise<FileHandle>;
  /** verified and linked to its final name: never written again */
  private completed = false;
  constructor(readonly dir: string, readonly record: PartialRecord) {}

  get partPath() {
    return this.record.part ? join(resolve(this.dir), basename(this.record.part)) : this.record.target + PART_SUFFIX;
  }
  get metaPath() {
    return this.partPath + ".json";
  }
  /** another session of this process writes this part now */
  get inUse() {
    return partsInUse.has(this.partPath);
  }

  /** bytes already on disk, which is where a resumed transfer starts */
  async offset(): Promise<number> {
    await this.flush();
    if (this.handle) return Math.min((await this.handle.stat()).size, this.record.size);
    try {
      const fh = await openRegular(this.partPath, O_RDONLY);
      try {
        return Math.min((await fh.stat()).size, this.record.size);
      } finally {
        await fh.close();
      }
    } catch {
      return 0;
    }
  }

  /**
   * Makes the part file this session's alone. A new part is not created here but at the first
   * data block (create()), exclusively (O_EXCL, 0600), so it can never be one another session or
   * a stranger's link already holds, and an offer accepted but never sent leaves nothing on disk
   * (issue 12 item 7: a flood of accepted offers littered the directory with empty parts). An
   * existing one (a resume) is reopened now, only when no other session of this process has it
   * open, and cut to the agreed offset.
   */
  async prepare(offset: number): Promise<void> {
    if (!insideDir(this.dir, this.partPath)) throw new Error("partial file outside the target directory");
    if (this.completed) throw new Error("the file is already complete");
    if (!this.claimed) {
      if (partsInUse.has(this.partPath)) throw new Error("the partial file is in use by another session");
      partsInUse.add(this.partPath);
      this.claimed = true;
    }
    try {
      const deferred = !this.handle && this.record.part !== undefined && offset === 0 && !(await this.onDisk());
      if (!deferred) {
        this.handle ??= await openRegular(this.partPath, O_RDWR | O_CREAT);
        await this.handle.truncate(offset); // never trust bytes past the agreed offset
        await this.writeRecord();
      }
      this.prepared = true;
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** Creates this session's new part file and its resume record, once. */
  private create(): Promise<FileHandle> {
    this.creating ??= (async () => {
      const fh = await openRegular(this.partPath, O_RDWR | O_CREAT | O_EXCL);
      this.handle = fh;
      await this.writeRecord();
      return fh;
    })();
    return this.creating;
  }

  private async writeRecord(): Promise<void> {
    await writeRegular(this.metaPath, JSON.stringify(this.record, null, 2));
    recordWritten(this.metaPath, this.record);
  }

  private async removeRecord(): Promise<void> {
    await rm(this.metaPath, { force: true });
    recordRemoved(this.metaPath);
  }

  private async onDisk(): Promise<boolean> {
    return openRegular(this.partPath, O_RDONLY).then((fh) => fh.close().then(() => true), () => false);
  }

  private release(): void {
    if (this.claimed) partsInUse.delete(this.partPath);
    this.claimed = false;
    this.prepared = false;
    this.creating = undefined;
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
    if (!this.prepared || this.completed) throw new Error(this.completed ? "the file is already complete" : "partial file not prepared");
    if (!this.handle) await this.create();
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
    this.release();
    await h?.close();
  }

  async prefixSha256(length: number): Promise<string> {
    await this.flush();
    return sha256File(this.partPath, length);
  }

  /**
   * Verifies the whole partial file against the sha-256 and only then gives it its name: a hard
   * link under the first free name (link(2) never replaces what is there, EEXIST -> the next
   * name), then the part is unlinked. The file is closed before it is linked and never opened
   * for writing again, so nothing can change a verified file.
   */
  async complete(expectedSha256 = this.record.sha256): Promise<{ ok: boolean; detail: string; path?: string }> {
    if (!this.record.sha256) this.record.sha256 = expectedSha256; // a hash-less offer's hash, given later
    if (expectedSha256 !== this.record.sha256) {
      await this.close();
      return { ok: false, detail: `sha-256 mismatch: the file was offered with ${this.record.sha256}, the sender now says ${expectedSha256}` };
    }
    await this.flush();
    if (!this.handle && this.prepared && !(await this.onDisk())) await this.create(); // an empty file: no block ever came
    const actual = await sha256File(this.partPath);
    if (actual !== this.record.sha256) {
      await this.close();
      return { ok: false, detail: `sha-256 mismatch: expected ${this.record.sha256}, got ${actual}` };
    }
    this.completed = true;
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
    const path = await linkFree(this.partPath, this.record.target);
    await unlink(this.partPath);
    this.release();
    await this.removeRecord();
    return { ok: true, detail: "sha-256 verified", path };
  }

  async discard(): Promise<void> {
    this.buffered = []; // nothing of it is kept
    this.bufferedBytes = 0;
    await this.close();
    await rm(this.partPath, { force: true });
    await this.removeRecord();
  }
}

/** The names tried for target, in order: "a.txt", then "a (1).txt", "a (2).txt", ... */
export function* candidateNames(target: string): Generator<string> {
  yield target;
  const dot = target.lastIndexOf(".");
  const slash = target.lastIndexOf(sep);
  const [stem, ext] = dot > slash + 1 ? [target.slice(0, dot), target.slice(dot)] : [target, ""];
  for (let i = 1; ; i++) yield `${stem} (${i})${ext}`;
}

/** Links `from` under the first free candidate name of target; an existing name (a file, a
 *  link, anything) is never replaced, so an earlier file is never overwritten. */
export async function linkFree(from: string, target: string): Promise<string> {
  for (const candidate of candidateNames(target)) {
    try {
      await link(from, candidate);
      return candidate;
    } catch (err: any) {
      if (err?.code !== "EEXIST") throw err;
    }
  }
  throw new Error("unreachable");
}

/** The first candidate name of target nothing holds now (a hint: only linkFree claims one). */
export async function freeName(target: string): Promise<string> {
  for (const candidate of candidateNames(target)) {
    const taken = await open(candidate, O_RDONLY | O_NOFOLLOW | O_NONBLOCK).then((fh) => fh.close().then(() => true), (err) => err?.code !== "ENOENT");
    if (!taken) return candidate;
  }
  throw new Error("unreachable");
}

/** A partial download of this file (same sha-256 and size) from one of these senders (bare JIDs),
 *  if dir holds one; one a session of this process writes now only with includeInUse (the caller
 *  then takes it over from that session or only looks at it). */
export async function findPartial(
  dir: string,
  match: { sha256: string; size: number; peerBare: string | readonly string[] },
  opts: { includeInUse?: boolean } = {},
): Promise<PartialFile | undefined> {
  const peers = typeof match.peerBare === "string" ? [match.peerBare] : match.peerBare;
  // from the directory's index (partial-index.ts): no scan of every record per offer
  for (const [n, record] of await recordsFor(dir, match.sha256, match.size)) {
    if (record.part !== undefined && (typeof record.part !== "string" || basename(record.part) !== record.part || !record.part.endsWith(PART_SUFFIX))) continue;
    if (peers.includes(bare(record.peer)) && insideDir(dir, record.target)) {
      const partial = new PartialFile(dir, record);
      // only the record beside its own part, and (unless asked) only a part no running session writes
      if (partial.metaPath === join(resolve(dir), n) && (opts.includeInUse || !partial.inUse)) return partial;
    }
  }
  return undefined;
}

export function bare(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** A new partial download in dir for an offered file, with a part file of its own: the final
 *  name is chosen only when it completes. */
export async function newPartial(dir: string, record: Omit<PartialRecord, "target" | "version" | "part">): Promise<PartialFile> {
  const name = safeFileName(record.name);
  const target = join(resolve(dir), name);
  if (!insideDir(dir, target)) throw new Error("file name escapes the target directory");
  const part = `${name}.${randomBytes(6).toString("hex")}${PART_SUFFIX}`;
  return new PartialFile(dir, { version: 1, ...record, target, part });
}
