// Stale partial files (issue 12 item 7): a part nobody resumed within a set time is removed with
// its resume record, so that offers which never finish do not fill a download directory for
// ever. Which ones are stale is a pure decision (stalePartials); the sweep only lists, decides
// and unlinks, at start and then hourly.
import { lstat, readdir, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { isPartInUse, META_SUFFIX, PART_SUFFIX } from "./files.js";
import { recordRemoved } from "./partial-index.js";

export const DEFAULT_PARTIAL_DAYS = 7;
export const SWEEP_INTERVAL_MS = 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface DirEntry {
  name: string;
  /** a regular file (lstat: a link is never one) */
  isFile: boolean;
  mtimeMs: number;
}

/** The part a name belongs to: "a.bin.<token>.xft-part" for itself and its ".json" record. */
function partOf(name: string): string | undefined {
  if (name.endsWith(META_SUFFIX)) return name.slice(0, -".json".length);
  if (name.endsWith(PART_SUFFIX)) return name;
  return undefined;
}

/**
 * The names in a directory to remove: parts and records untouched for more than maxAgeMs. A
 * part and its record go together, judged by the newer of the two (a resumed transfer writes
 * the part long after its record); one alone is judged by itself. Never a part in use, never
 * anything but a regular file (a link or FIFO named like a part is not ours to touch).
 */
export function stalePartials(entries: readonly DirEntry[], now: number, maxAgeMs: number, inUse: (part: string) => boolean = () => false): string[] {
  const newest = new Map<string, number>();
  const members = new Map<string, string[]>();
  for (const e of entries) {
    const part = partOf(e.name);
    if (!part || !e.isFile) continue;
    newest.set(part, Math.max(newest.get(part) ?? -Infinity, e.mtimeMs));
    members.set(part, [...(members.get(part) ?? []), e.name]);
  }
  const stale: string[] = [];
  for (const [part, mtime] of newest) if (now - mtime > maxAgeMs && !inUse(part)) stale.push(...members.get(part)!);
  return stale.sort();
}

/** Removes dir's parts and records older than `days`; the names removed. */
export async function removeStalePartials(dir: string, days: number, now = Date.now()): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return []; // no directory yet: nothing to clean
  }
  const entries: DirEntry[] = [];
  for (const name of names) {
    if (!partOf(name)) continue;
    const st = await lstat(join(dir, name)).catch(() => undefined);
    if (st) entries.push({ name, isFile: st.isFile(), mtimeMs: st.mtimeMs });
  }
  const stale = stalePartials(entries, now, days * DAY_MS, (part) => isPartInUse(join(resolve(dir), part)));
  const removed: string[] = [];
  for (const name of stale) {
    await unlink(join(dir, name)).then(() => removed.push(name), () => undefined);
    if (name.endsWith(META_SUFFIX)) recordRemoved(join(resolve(dir), name));
  }
  return removed;
}

/** Sweeps dir now and then every intervalMs (unref'd: it never keeps the process alive) until stop(). */
export function sweepStalePartials(dir: string, days: number, opts: { intervalMs?: number; onRemoved?: (names: string[]) => void } = {}): { stop(): void; swept: Promise<void> } {
  const sweep = () => removeStalePartials(dir, days).then((names) => void (names.length && opts.onRemoved?.(names)), () => undefined);
  const swept = sweep();
  const timer = setInterval(sweep, opts.intervalMs ?? SWEEP_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer), swept };
}
