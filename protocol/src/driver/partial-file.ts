// A file being received (XEP-0234 ranged transfer): every session writes its own part file,
// NAME.<token>.xft-part, with a small JSON record beside it holding what a restarted process
// needs to resume; the verified file is given its final name only at completion.
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { rm, unlink, type FileHandle } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { insideDir, PART_SUFFIX, safeFileName, sha256File } from "./files.js";
import { recordRemoved, recordsFor, recordWritten } from "./partial-index.js";
import { linkFree, openRegular, writeRegular } from "./receive-dir.js";
import type { ReceiveSink } from "./sink.js";
import { bare } from "../xml/jid.js";

const { O_CREAT, O_EXCL, O_RDONLY, O_RDWR } = constants;

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
    return { ok: true, detail: "sha-256 verified", path: await this.claimName() };
  }

  /**
   * A file whose sender never gave a hash (XEP-0234 lets it: Dino sends none, Gajim none from
   * 10 MB on, and no <checksum/> came): all its bytes arrived, nothing could check them. It gets
   * its name as a verified one does; the sha-256 of what arrived is reported, and the caller says
   * "unverified", never "verified".
   */
  async completeUnverified(): Promise<{ ok: true; detail: string; path: string; sha256: string }> {
    await this.flush();
    if (!this.handle && this.prepared && !(await this.onDisk())) await this.create(); // an empty file: no block ever came
    const sha256 = await sha256File(this.partPath);
    return { ok: true, detail: "unverified: the sender gave no sha-256 to check it against", path: await this.claimName(), sha256 };
  }

  /** Closes the part for good and links it under the first free name (never replacing one). */
  private async claimName(): Promise<string> {
    this.completed = true;
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
    const path = await linkFree(this.partPath, this.record.target);
    await unlink(this.partPath);
    this.release();
    await this.removeRecord();
    return path;
  }

  async discard(): Promise<void> {
    this.buffered = []; // nothing of it is kept
    this.bufferedBytes = 0;
    await this.close();
    await rm(this.partPath, { force: true });
    await this.removeRecord();
  }
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

/** A new partial download in dir for an offered file, with a part file of its own: the final
 *  name is chosen only when it completes. */
export async function newPartial(dir: string, record: Omit<PartialRecord, "target" | "version" | "part">): Promise<PartialFile> {
  const name = safeFileName(record.name);
  const target = join(resolve(dir), name);
  if (!insideDir(dir, target)) throw new Error("file name escapes the target directory");
  const part = `${name}.${randomBytes(6).toString("hex")}${PART_SUFFIX}`;
  return new PartialFile(dir, { version: 1, ...record, target, part });
}
