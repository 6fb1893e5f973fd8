// Housekeeping jobs: each a function of the store and `now`, nothing else (no clock inside), so
// tests run them at any instant. Each works in keyset batches, yields to the event loop between
// batches, and returns what it removed; a row whose bytes could not be removed stays (and is
// reported in `failed`) for the next run: only rows whose data really went are deleted
// (Prosody mod_http_file_share's expiry job).
import { toStoredFile, type StoredFile } from "../store/model.js";
import type { DueKind } from "../store/maintenance.js";
import type { FileRow, Page } from "../store/queries.js";
import type { OfflineStore } from "../store/store.js";
import { DAY_MS as DAY, HOUR_MS as HOUR } from "../time.js";


export interface HousekeepingOptions {
  /** an upload with no append for this long is removed; default 24 h */
  abandonAfterMs?: number;
  /** a delivered file's receipt row is kept this long; default 30 days */
  receiptRetentionMs?: number;
  /** a recipient's delivery state (store/delivery-state.ts) with nothing waiting for them and no
   *  change for this long is deleted; default 30 days */
  deliveryStateRetentionMs?: number;
  /** rows per batch; default 100 */
  batchSize?: number;
}

export const HOUSEKEEPING_DEFAULTS = { abandonAfterMs: 24 * HOUR, receiptRetentionMs: 30 * DAY, deliveryStateRetentionMs: 30 * DAY, batchSize: 100 };

export function resolveHousekeepingOptions(options: HousekeepingOptions = {}): Required<HousekeepingOptions> {
  const out = { ...HOUSEKEEPING_DEFAULTS, ...options };
  const check = (name: keyof HousekeepingOptions, min: number) => {
    const v = out[name];
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`housekeeping option ${name} must be an integer >= ${min}, got ${v}`);
  };
  check("abandonAfterMs", 1000); // upload/reservations.ts runs it at --reservation-idle-seconds
  check("receiptRetentionMs", 0);
  // not under a day: the row holds the day's stanza budget (delivery/budget.ts)
  check("deliveryStateRetentionMs", DAY);
  check("batchSize", 1);
  return out;
}

export interface JobResult {
  removed: StoredFile[];
  failed: { id: string; error: unknown }[];
  batches: number;
}

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function sweep(store: OfflineStore, kind: DueKind, bound: number, stillDue: (row: FileRow) => boolean, batchSize: number): Promise<JobResult> {
  const result: JobResult = { removed: [], failed: [], batches: 0 };
  let after: Page | undefined;
  do {
    const page = store.maintenance.due(kind, bound, after, batchSize);
    if (page.rows.length === 0) break;
    result.batches++;
    for (const row of page.rows) {
      try {
        const removed = await store.maintenance.remove(row.id, stillDue);
        if (removed) result.removed.push(toStoredFile(removed));
      } catch (error) {
        result.failed.push({ id: row.id, error });
      }
    }
    after = page.next;
    await nextTick();
  } while (after);
  return result;
}

/** Removes files not delivered by their expires_at (uploads included), bytes and row. */
export async function expireUndelivered(store: OfflineStore, now: Date, options?: HousekeepingOptions): Promise<JobResult> {
  const { batchSize } = resolveHousekeepingOptions(options);
  const t = now.getTime();
  return sweep(store, "expired", t, (row) => row.state !== "delivered" && row.expires_at <= t, batchSize);
}

/** Removes uploads with no append for abandonAfterMs, bytes and row. */
export async function removeAbandonedUploads(store: OfflineStore, now: Date, options?: HousekeepingOptions): Promise<JobResult> {
  const { batchSize, abandonAfterMs } = resolveHousekeepingOptions(options);
  const cutoff = now.getTime() - abandonAfterMs;
  return sweep(store, "idle-uploads", cutoff, (row) => row.state === "uploading" && row.updated_at < cutoff, batchSize);
}

/** Removes delivered files' receipt rows older than receiptRetentionMs. */
export async function pruneReceipts(store: OfflineStore, now: Date, options?: HousekeepingOptions): Promise<JobResult> {
  const { batchSize, receiptRetentionMs } = resolveHousekeepingOptions(options);
  const cutoff = now.getTime() - receiptRetentionMs;
  return sweep(store, "old-receipts", cutoff, (row) => row.state === "delivered" && (row.delivered_at ?? Infinity) < cutoff, batchSize);
}

export interface PruneResult {
  /** recipients whose delivery state was deleted */
  removed: string[];
  batches: number;
}

/** Deletes the delivery state of recipients with no file waiting and no change for
 *  deliveryStateRetentionMs: what was sent for files that are gone is not kept for ever. */
export async function pruneDeliveryStates(store: OfflineStore, now: Date, options?: HousekeepingOptions): Promise<PruneResult> {
  const { batchSize, deliveryStateRetentionMs } = resolveHousekeepingOptions(options);
  const cutoff = now.getTime() - deliveryStateRetentionMs;
  const result: PruneResult = { removed: [], batches: 0 };
  for (;;) {
    const removed = store.deliveryStates.prune(cutoff, batchSize);
    if (removed.length === 0) break;
    result.batches++;
    result.removed.push(...removed);
    if (removed.length < batchSize) break;
    await nextTick();
  }
  return result;
}

export interface AccountingReport {
  /** uploads whose bytes_received was above the bytes on disk, lowered to them */
  corrected: { id: string; from: number; to: number }[];
  /** stored files whose bytes had gone (short or missing file): rows removed */
  lost: StoredFile[];
  /** files in the bytes directory that no row accounted for (or only a delivered one): removed */
  orphans: string[];
  failed: { id: string; error: unknown }[];
  /** usage after the run (files not yet delivered) */
  totals: { files: number; reservedBytes: number; storedBytes: number; senders: number; recipients: number };
  batches: number;
}

/**
 * Recomputes the accounting from the disk: quotas are views over the rows, so what can drift is
 * the rows against the bytes. Lowers offsets of uploads whose file shrank, removes stored rows
 * whose bytes went, removes files no row accounts for, and reports the totals.
 */
export async function recomputeAccounting(store: OfflineStore, now: Date, options?: HousekeepingOptions): Promise<AccountingReport> {
  void now; // the disk is compared as it is; `now` keeps the jobs' one signature
  const { batchSize } = resolveHousekeepingOptions(options);
  const report: AccountingReport = { corrected: [], lost: [], orphans: [], failed: [], totals: store.maintenance.totals(), batches: 0 };
  let afterId = "";
  for (;;) {
    const rows = store.maintenance.rows(afterId, batchSize);
    if (rows.length === 0) break;
    report.batches++;
    for (const row of rows) {
      try {
        const r = await store.maintenance.check(row.id);
        if (r.kind === "corrected") report.corrected.push({ id: r.row.id, from: r.from, to: r.to });
        if (r.kind === "lost") report.lost.push(toStoredFile(r.row));
      } catch (error) {
        report.failed.push({ id: row.id, error });
      }
    }
    afterId = rows[rows.length - 1].id;
    await nextTick();
  }
  report.orphans = await store.maintenance.removeOrphans();
  report.totals = store.maintenance.totals();
  return report;
}

export interface HousekeepingReport {
  expired: JobResult;
  abandoned: JobResult;
  receipts: JobResult;
  accounting: AccountingReport;
  deliveryStates: PruneResult;
}

/** All the jobs, in an order where each one's removals are seen by the next. */
export async function runHousekeeping(store: OfflineStore, now: Date, options?: HousekeepingOptions): Promise<HousekeepingReport> {
  const expired = await expireUndelivered(store, now, options);
  const abandoned = await removeAbandonedUploads(store, now, options);
  const receipts = await pruneReceipts(store, now, options);
  const accounting = await recomputeAccounting(store, now, options);
  // last: the files the jobs above removed no longer hold their recipients' state
  const deliveryStates = await pruneDeliveryStates(store, now, options);
  return { expired, abandoned, receipts, accounting, deliveryStates };
}
