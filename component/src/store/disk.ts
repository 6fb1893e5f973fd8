// The free-space floor (minFreeDiskBytes), checked while writing: statfs once per 4 MiB written
// or per second, not per 32 KiB block, with the bytes written since subtracted from its answer.
import { LowDiskSpaceError, StorageFailedError } from "./errors.js";

const REFRESH_BYTES = 4 * 1024 * 1024;
const REFRESH_MS = 1000;

export class DiskGuard {
  private freeBytes = 0;
  private writtenSince = 0;
  private checkedAt = -Infinity;

  constructor(private readonly probe: () => Promise<number>, private readonly minFreeBytes: number) {}

  /** free bytes now (a fresh probe) */
  async free(): Promise<number> {
    try {
      this.freeBytes = await this.probe();
    } catch (err) {
      throw new StorageFailedError("cannot read the free disk space", err);
    }
    this.writtenSince = 0;
    this.checkedAt = performance.now();
    return this.freeBytes;
  }

  /** Throws LowDiskSpaceError if writing n more bytes would go below the floor. */
  async beforeWrite(n: number): Promise<void> {
    if (this.minFreeBytes <= 0) return;
    if (this.writtenSince >= REFRESH_BYTES || performance.now() - this.checkedAt > REFRESH_MS) await this.free();
    if (this.freeBytes - this.writtenSince - n < this.minFreeBytes) throw new LowDiskSpaceError(this.minFreeBytes);
    this.writtenSince += n;
  }
}
