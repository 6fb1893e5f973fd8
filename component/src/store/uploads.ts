// Uploads in progress: an open file handle per active upload, the bytes written to it, and the
// offset committed to the database. The order that makes a crash safe:
//
//   write(2) the chunk at its offset  ->  fdatasync  ->  UPDATE bytes_received (one statement)
//
// so the committed offset never exceeds the bytes really on disk, even after kill -9 or a power
// cut. fdatasync runs once `syncEveryBytes` are unsynced (and on finish, idle close, store
// close), not per append: at 4 KiB IBB blocks a sync per append ran at 11 MiB/s against 52 MiB/s
// every 1 MiB, at 32 KiB 85 against 322 (bench-storage.ts). Between syncs `written` runs ahead of `committed`; a crash
// loses at most that tail, and the next attach truncates the file back to the committed offset,
// where the sender resumes. Every method expects its caller to hold the upload's lock.
import { createHash, type Hash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { writeAt, type ByteFiles } from "./bytes.js";
import { NotFoundError, StorageFailedError } from "./errors.js";
import { KeyedLock } from "./lock.js";
import type { FileRow, Queries } from "./queries.js";

export interface OpenUpload {
  readonly id: string;
  readonly size: number;
  readonly fh: FileHandle;
  /** bytes written to the file (in the page cache at least) */
  written: number;
  /** bytes_received in the database: fdatasync'd */
  committed: number;
  /** sha-256 of bytes [0, written) as they were written, when this handle saw all of them (an
   *  upload attached at 0): finishUpload then needs no second pass over the file. After a
   *  restart or an idle close the prefix was written by another handle, and it reads the file. */
  hash?: Hash;
  /** ms, clock of the last append; committed as updated_at */
  lastAppendAt: number;
  /** performance.now() of the last operation, for the idle timer */
  activeAt: number;
  timer?: NodeJS.Timeout;
}

export interface UploadsOptions {
  syncEveryBytes: number;
  idleCloseMs: number;
  onError: (err: unknown) => void;
}

export class OpenUploads {
  readonly lock = new KeyedLock();
  private readonly open = new Map<string, OpenUpload>();

  constructor(
    private readonly q: Queries,
    private readonly files: ByteFiles,
    private readonly options: UploadsOptions,
  ) {}

  get(id: string): OpenUpload | undefined {
    return this.open.get(id);
  }

  /**
   * The open upload for row, opening its file if needed. Opening reconciles the file with the
   * row: a file shorter than bytes_received (lost behind our back) lowers bytes_received to
   * what is there; a longer one (bytes written but never committed) is cut back to it.
   */
  async attach(row: FileRow): Promise<OpenUpload> {
    const existing = this.open.get(row.id);
    if (existing) return existing;
    let fh: FileHandle;
    try {
      fh = await this.files.openForWrite(row.id);
    } catch (err) {
      throw new StorageFailedError("cannot open the upload's file", err);
    }
    try {
      const onDisk = (await fh.stat()).size;
      let offset = row.bytes_received;
      if (onDisk < offset) {
        this.q.correctOffset.run(onDisk, row.id, offset);
        offset = onDisk;
      } else if (onDisk > offset) {
        await fh.truncate(offset);
      }
      const upload: OpenUpload = {
        id: row.id, size: row.size, fh, written: offset, committed: offset, lastAppendAt: row.updated_at, activeAt: performance.now(),
        hash: offset === 0 ? createHash("sha256") : undefined,
      };
      this.open.set(row.id, upload);
      return upload;
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw new StorageFailedError("cannot open the upload's file", err);
    }
  }

  async write(upload: OpenUpload, chunk: Uint8Array, nowMs: number): Promise<void> {
    try {
      writeAt(upload.fh, chunk, upload.written);
    } catch (err) {
      // Whatever part of the chunk landed lies beyond `written`: the next attach cuts it off.
      await this.detach(upload, true).catch(() => undefined);
      throw new StorageFailedError("cannot write the upload's file", err);
    }
    upload.written += chunk.length;
    upload.hash?.update(chunk);
    upload.lastAppendAt = nowMs;
    if (upload.written - upload.committed >= this.options.syncEveryBytes) await this.commit(upload);
  }

  /** fdatasync, then commit `written` as bytes_received. */
  async commit(upload: OpenUpload): Promise<void> {
    if (upload.written === upload.committed) return;
    const target = upload.written;
    try {
      await upload.fh.datasync();
    } catch (err) {
      throw new StorageFailedError("cannot sync the upload's file", err);
    }
    if (this.q.commitOffset.run(target, upload.lastAppendAt, upload.id, upload.committed).changes !== 1) {
      // the row is gone or no longer an upload: only a removal under the lock does that
      throw new NotFoundError();
    }
    upload.committed = target;
  }

  /** Closes the upload's file, first committing what was written if flush. */
  async detach(upload: OpenUpload, flush: boolean): Promise<void> {
    clearTimeout(upload.timer);
    if (this.open.get(upload.id) === upload) this.open.delete(upload.id);
    try {
      if (flush) await this.commit(upload);
    } finally {
      await upload.fh.close().catch(() => undefined);
    }
  }

  /** Notes activity: the upload is flushed and closed once idle for idleCloseMs. */
  touch(upload: OpenUpload): void {
    upload.activeAt = performance.now();
    if (!upload.timer) this.armIdle(upload, this.options.idleCloseMs);
  }

  // One timer per upload, not one per append: when it fires early it waits out the remainder.
  private armIdle(upload: OpenUpload, delay: number): void {
    const idleFor = () => performance.now() - upload.activeAt;
    upload.timer = setTimeout(() => {
      if (idleFor() < this.options.idleCloseMs) return this.armIdle(upload, this.options.idleCloseMs - idleFor());
      this.lock
        .run(upload.id, async () => {
          if (this.open.get(upload.id) !== upload) return; // closed meanwhile
          if (idleFor() < this.options.idleCloseMs) return this.armIdle(upload, this.options.idleCloseMs - idleFor()); // used while we queued
          await this.detach(upload, true);
        })
        .catch(this.options.onError);
    }, Math.max(1, Math.ceil(delay)));
    upload.timer.unref();
  }

  /** Flushes and closes every open upload (store close). */
  async closeAll(): Promise<void> {
    for (const upload of this.open.values()) clearTimeout(upload.timer);
    await this.lock.drain();
    const errors: unknown[] = [];
    for (const upload of [...this.open.values()]) {
      await this.lock.run(upload.id, () => this.detach(upload, true)).catch((err) => errors.push(err));
    }
    if (errors.length > 0) throw new AggregateError(errors, "some uploads could not be flushed");
  }
}
