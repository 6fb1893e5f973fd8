// File primitives for the bytes of stored files: one file per upload in a directory beside the
// database, named by the id's hex (never by anything a user sent). See store.ts for why files
// and not SQLite blobs. Nothing here holds more than one chunk in memory.
import { createHash } from "node:crypto";
import { constants, createReadStream, writeSync } from "node:fs";
import { open, readdir, stat, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { fileNameOf } from "./validate.js";

export class ByteFiles {
  constructor(readonly dir: string) {}

  static beside(dbPath: string): ByteFiles {
    return new ByteFiles(`${path.resolve(dbPath)}-files`);
  }

  pathOf(id: string): string {
    return path.join(this.dir, fileNameOf(id));
  }

  /** Opens (creating) an upload's file for writing at offsets; not O_APPEND, which ignores positions. */
  openForWrite(id: string): Promise<FileHandle> {
    return open(this.pathOf(id), constants.O_RDWR | constants.O_CREAT, 0o600);
  }

  /** Bytes on disk for id, 0 if there is no file. */
  async sizeOf(id: string): Promise<number> {
    try {
      return (await stat(this.pathOf(id))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
      throw err;
    }
  }

  /** Removes id's bytes; true once they are gone (also when they already were). Throws otherwise. */
  async remove(id: string): Promise<true> {
    try {
      await unlink(this.pathOf(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    return true;
  }

  /** Makes the directory's entries durable (a new file's name survives a power cut). Best effort. */
  async syncDir(): Promise<void> {
    let fh: FileHandle | undefined;
    try {
      fh = await open(this.dir, constants.O_RDONLY);
      await fh.sync();
    } catch {
      // not possible on every platform (Windows); the offset reconciliation covers a lost entry
    } finally {
      await fh?.close();
    }
  }

  /** The names in the directory (ours are 32 hex digits). */
  list(): Promise<string[]> {
    return readdir(this.dir);
  }

  /** Base64 SHA-256 of the first `size` bytes, read into one buffer of chunkSize bytes used again
   *  and again: a fresh Buffer per chunk (read()) piles up as garbage faster than the GC frees it,
   *  which added ~25 MiB to the component's RSS while it checked a 128 MiB upload. */
  async sha256(id: string, size: number, chunkSize: number): Promise<string> {
    const hash = createHash("sha256");
    if (size <= 0) return hash.digest("base64");
    const fh = await open(this.pathOf(id), constants.O_RDONLY);
    try {
      const buf = Buffer.allocUnsafe(Math.min(chunkSize, size));
      for (let at = 0; at < size; ) {
        const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, size - at), at);
        if (bytesRead === 0) throw Object.assign(new Error(`file ends at byte ${at}, expected ${size}`), { code: "ESHORT" });
        hash.update(buf.subarray(0, bytesRead)); // copied into the hash's state at once
        at += bytesRead;
      }
    } finally {
      await fh.close();
    }
    return hash.digest("base64");
  }

  /** Chunks of [from, end), each a fresh Buffer of at most chunkSize bytes. Fails if the file is shorter. */
  async *read(id: string, from: number, end: number, chunkSize: number): AsyncGenerator<Buffer> {
    if (from >= end) return;
    let got = from;
    const stream = createReadStream(this.pathOf(id), { start: from, end: end - 1, highWaterMark: chunkSize });
    try {
      for await (const chunk of stream) {
        got += (chunk as Buffer).length;
        yield chunk as Buffer;
      }
    } finally {
      stream.destroy();
    }
    if (got !== end) throw Object.assign(new Error(`file ends at byte ${got}, expected ${end}`), { code: "ESHORT" });
  }
}

/**
 * Writes all of data at position (a write may be short). Synchronously, on purpose: a block is
 * at most 64 KiB into the page cache (tens of µs), and durability comes from the fdatasync in
 * uploads.ts, which stays asynchronous. Each async write cost a thread-pool hand-off and a
 * promise; with 100 uploads at once on 2 vCPUs that was a quarter of the component's CPU in a
 * profile of `npm run bench -- component` (README "Benchmark").
 */
export function writeAt(fh: FileHandle, data: Uint8Array, position: number): void {
  let done = 0;
  while (done < data.length) {
    const bytesWritten = writeSync(fh.fd, data, done, data.length - done, position + done);
    if (bytesWritten <= 0) throw new Error("write made no progress");
    done += bytesWritten;
  }
}
