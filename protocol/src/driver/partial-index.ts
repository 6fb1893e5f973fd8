// The resume records of a download directory, in memory (issue 12 item 7): findPartial used to
// read the directory and every *.xft-part.json in it for each offer, so a flood of offers into a
// directory holding many parts cost a scan each. The index is built by one scan per directory,
// the first time one is looked up, and kept up to date by this process's own writes (a record
// created, rewritten, completed, discarded, found stale). Records another process writes into
// the directory later are not seen until a restart: a resume of one would start at 0, never
// write into it (parts are created exclusively).
import { readdir } from "node:fs/promises";
import { join, resolve } from "node:path";
import { META_SUFFIX } from "./files.js";
import type { PartialRecord } from "./partial-file.js";
import { readRegular } from "./receive-dir.js";

class DirIndex {
  /** "sha256|size" -> record file name -> record */
  private readonly byFile = new Map<string, Map<string, PartialRecord>>();
  /** record file name -> its key, to remove it */
  private readonly keyOf = new Map<string, string>();

  put(metaName: string, record: PartialRecord): void {
    this.remove(metaName);
    const key = keyFor(record.sha256, record.size);
    if (!this.byFile.has(key)) this.byFile.set(key, new Map());
    this.byFile.get(key)!.set(metaName, structuredClone(record));
    this.keyOf.set(metaName, key);
  }
  remove(metaName: string): void {
    const key = this.keyOf.get(metaName);
    if (key === undefined) return;
    this.keyOf.delete(metaName);
    const records = this.byFile.get(key)!;
    records.delete(metaName);
    if (records.size === 0) this.byFile.delete(key);
  }
  /** copies: a caller's PartialFile changes its record (sid, peer) before it writes it */
  find(sha256: string, size: number): Array<[string, PartialRecord]> {
    return [...(this.byFile.get(keyFor(sha256, size)) ?? [])].map(([n, r]) => [n, structuredClone(r)]);
  }
  get size(): number {
    return this.keyOf.size;
  }
}

const keyFor = (sha256: string, size: number) => `${sha256}|${size}`;
const indexes = new Map<string, Promise<DirIndex>>();
/** directory scans done, for tests: one per directory, not one per offer */
export const indexStats = { scans: 0 };

async function scan(dir: string): Promise<DirIndex> {
  const names = await readdir(dir);
  indexStats.scans++;
  const index = new DirIndex();
  for (const n of names.filter((n) => n.endsWith(META_SUFFIX))) {
    try {
      const record = JSON.parse(await readRegular(join(dir, n))) as PartialRecord;
      if (record && typeof record.sha256 === "string" && typeof record.size === "number") index.put(n, record);
    } catch {
      // an unreadable record (a link, a FIFO, junk) is not ours to resume
    }
  }
  return index;
}

/** The index of dir, scanned the first time; a directory that cannot be read yet is not cached. */
function indexOf(dir: string): Promise<DirIndex> {
  const key = resolve(dir);
  let index = indexes.get(key);
  if (!index) {
    index = scan(key);
    indexes.set(key, index);
    index.catch(() => indexes.delete(key));
  }
  return index;
}

/** Records in dir of the file with this sha-256 and size, as [record file name, record]. */
export async function recordsFor(dir: string, sha256: string, size: number): Promise<Array<[string, PartialRecord]>> {
  try {
    return (await indexOf(dir)).find(sha256, size);
  } catch {
    return []; // no directory: no partial
  }
}

/** Our own write of a record (metaPath: its absolute path). Only an index already built changes:
 *  one built later reads the file. Chained on the scan, so a lookup after this sees it. */
export function recordWritten(metaPath: string, record: PartialRecord): void {
  const dir = resolve(metaPath, "..");
  void indexes.get(dir)?.then((index) => index.put(metaPath.slice(dir.length + 1), record), () => undefined);
}

/** Our own removal of a record. */
export function recordRemoved(metaPath: string): void {
  const dir = resolve(metaPath, "..");
  void indexes.get(dir)?.then((index) => index.remove(metaPath.slice(dir.length + 1)), () => undefined);
}

/** Records the index of dir holds (for tests). */
export async function indexedRecords(dir: string): Promise<number> {
  return (await indexOf(dir)).size;
}
