// Files this receiver completed lately, per download directory, so that a continuation of a file
// it already has is answered at its last byte instead of being received again as "f (1).bin".
// That happens when the link is cut after the last byte arrived and before the sender heard the
// receiver's <received/>: the sender re-offers, and without this the receiver, holding no partial
// file any more, would start at 0.
import { lstat, rename, rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { insideDir, readRegular, sha256File, writeRegular } from "./files.js";
import type { ReceiveSink } from "./sink.js";

/** the ledger, hidden beside the received files */
export const RECEIVED_LEDGER = ".xft-received.json";
/** entries kept: the newest; a continuation comes minutes after the cut, not months */
const KEEP = 100;

export interface ReceivedEntry {
  sha256: string;
  size: number;
  /** bare JID of the sender */
  peer: string;
  /** the file's name in the directory (never a path: the ledger cannot point outside) */
  name: string;
  at: string;
}

const writes = new Map<string, Promise<void>>();

async function readLedger(dir: string): Promise<ReceivedEntry[]> {
  try {
    // never through a link or from a FIFO someone planted in a shared directory
    const entries = JSON.parse(await readRegular(join(dir, RECEIVED_LEDGER)));
    return Array.isArray(entries) ? entries : [];
  } catch {
    return []; // none yet, or unreadable: nothing is known to be received
  }
}

/** Notes a completed file (one writer per directory at a time; written whole, then renamed). */
export function recordReceived(dir: string, entry: Omit<ReceivedEntry, "at" | "name"> & { path: string }): Promise<void> {
  const run = (writes.get(dir) ?? Promise.resolve()).then(async () => {
    const entries = (await readLedger(dir)).filter((e) => !(e.sha256 === entry.sha256 && e.size === entry.size && e.peer === entry.peer));
    entries.push({ sha256: entry.sha256, size: entry.size, peer: entry.peer, name: basename(entry.path), at: new Date().toISOString() });
    // the temporary name is guessable (our pid): whatever holds it (a planted link) is removed, not
    // followed, and the file is created anew (O_EXCL|O_NOFOLLOW, 0600)
    const tmp = join(dir, `${RECEIVED_LEDGER}.${process.pid}.tmp`);
    await rm(tmp, { force: true });
    await writeRegular(tmp, JSON.stringify(entries.slice(-KEEP), null, 1), true);
    await rename(tmp, join(dir, RECEIVED_LEDGER));
  });
  writes.set(dir, run.catch(() => undefined));
  return run;
}

/** The completed copy of this file from one of these senders, if the ledger has it and it is unchanged. */
export async function findReceived(dir: string, match: { sha256: string; size: number; peerBare: readonly string[] }): Promise<ReceivedFile | undefined> {
  for (const e of (await readLedger(dir)).reverse()) {
    if (e.sha256 !== match.sha256 || e.size !== match.size || !match.peerBare.includes(e.peer)) continue;
    const path = join(dir, basename(String(e.name)));
    if (!insideDir(dir, path)) continue;
    const st = await lstat(path).catch(() => undefined); // a link in its place is not the file received
    // read once, whole: a file the user changed since is not the one offered
    if (st?.isFile() && st.size === e.size && (await sha256File(path)) === e.sha256) return new ReceivedFile(path, e.size);
  }
  return undefined;
}

/** A file already here, whole: held at its last byte; verified, never written, never deleted. */
export class ReceivedFile implements ReceiveSink {
  constructor(readonly partPath: string, private readonly size: number) {}
  async offset(): Promise<number> {
    return this.size;
  }
  async prepare(offset: number): Promise<void> {
    if (offset !== this.size) throw new Error("a received file is only continued at its end");
  }
  async write(): Promise<void> {
    throw new Error("the file is already complete");
  }
  prefixSha256(length: number): Promise<string> {
    return sha256File(this.partPath, length);
  }
  async close(): Promise<void> {}
  async discard(): Promise<void> {} // the user's file stays, whatever the session thinks of it
  async complete(expectedSha256: string): Promise<{ ok: boolean; detail: string; path?: string }> {
    const actual = await sha256File(this.partPath);
    if (actual !== expectedSha256) return { ok: false, detail: `sha-256 mismatch: the file here changed since it was received` };
    return { ok: true, detail: "sha-256 verified (received before)", path: this.partPath };
  }
}
