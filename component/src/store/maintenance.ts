// What housekeeping may do to a store, one row at a time, under that row's lock. The policy
// (what is due, given `now`) lives in housekeeping/jobs.ts; this keeps the invariants: bytes are
// removed before the row that accounts for them (Prosody mod_http_file_share's expiry), so a
// failed unlink leaves the row for the next run and never an untracked file.
import type { ByteFiles } from "./bytes.js";
import type { FileRow, Page, Queries } from "./queries.js";
import type { OpenUploads } from "./uploads.js";
import { idOfFileName } from "./validate.js";

export type DueKind = "expired" | "idle-uploads" | "old-receipts";

export type CheckResult =
  | { kind: "ok" }
  | { kind: "corrected"; row: FileRow; from: number; to: number }
  | { kind: "lost"; row: FileRow; bytesOnDisk: number };

export interface StoreMaintenance {
  /**
   * Rows due for `kind` at `bound` (ms): expired = expires_at <= bound; idle-uploads =
   * uploads with updated_at < bound; old-receipts = delivered_at < bound. A keyset page after
   * `after`, with the page to ask next (undefined at the end).
   */
  due(kind: DueKind, bound: number, after: Page | undefined, limit: number): { rows: FileRow[]; next: Page | undefined };
  /** Every row, by id, one page at a time. */
  rows(afterId: string, limit: number): FileRow[];
  /**
   * Under the row's lock, if stillDue(the row as it is now; an open upload's updated_at is its
   * last append): removes the bytes, then the row. Resolves to the removed row, or undefined if
   * there was nothing (more) to remove. Rejects if the bytes could not be removed: the row stays.
   */
  remove(id: string, stillDue: (row: FileRow) => boolean): Promise<FileRow | undefined>;
  /**
   * Compares a row with its bytes on disk (skipping uploads open in this process): an upload
   * whose file is shorter than bytes_received is lowered to it; a stored file whose bytes are
   * short or missing has lost them, and its row is removed.
   */
  check(id: string): Promise<CheckResult>;
  /** Removes files of ours that no row (or only a delivered row) accounts for; returns their names. */
  removeOrphans(): Promise<string[]>;
  totals(): { files: number; reservedBytes: number; storedBytes: number; senders: number; recipients: number };
  /** Calls listener with each row remove() or check() deleted (delivery stops its retries for
   *  that recipient at once when nothing more waits); returns what unsubscribes it. */
  onRemoved(listener: (row: FileRow) => void): () => void;
}

const START: Page = [Number.MIN_SAFE_INTEGER, ""];

export function createMaintenance({ q, files, uploads }: { q: Queries; files: ByteFiles; uploads: OpenUploads }): StoreMaintenance {
  const { lock } = uploads;
  const pages = {
    expired: [q.expired, (r: FileRow) => r.expires_at],
    "idle-uploads": [q.idleUploads, (r: FileRow) => r.updated_at],
    "old-receipts": [q.oldReceipts, (r: FileRow) => r.delivered_at ?? 0],
  } as const;

  const listeners = new Set<(row: FileRow) => void>();
  const removeRow = (row: FileRow) => {
    const removed = (row.state === "delivered" ? q.deleteDelivered : q.deleteUndelivered).run(row.id).changes === 1;
    if (removed) for (const listener of listeners) listener(row);
    return removed;
  };

  return {
    due(kind, bound, after = START, limit) {
      const [statement, keyOf] = pages[kind];
      const rows = statement.all(bound, after[0], after[1], limit);
      const last = rows.at(-1);
      return { rows, next: rows.length === limit && last ? [keyOf(last), last.id] : undefined };
    },

    rows(afterId, limit) {
      return q.allAfter.all(afterId, limit);
    },

    remove(id, stillDue) {
      return lock.run(id, async () => {
        const row = q.byId.get(id);
        if (!row) return undefined;
        const open = uploads.get(id);
        const current = open ? { ...row, updated_at: Math.max(row.updated_at, open.lastAppendAt) } : row;
        if (!stillDue(current)) return undefined;
        if (open) await uploads.detach(open, false);
        await files.remove(id);
        // The state may have moved on during the unlink (delivered meanwhile): then the row stays.
        return removeRow(row) ? row : undefined;
      });
    },

    check(id) {
      return lock.run(id, async (): Promise<CheckResult> => {
        const row = q.byId.get(id);
        if (!row || row.state === "delivered" || uploads.get(id)) return { kind: "ok" };
        const onDisk = await files.sizeOf(id);
        if (row.state === "uploading") {
          if (onDisk >= row.bytes_received) return { kind: "ok" };
          q.correctOffset.run(onDisk, id, row.bytes_received);
          return { kind: "corrected", row, from: row.bytes_received, to: onDisk };
        }
        if (onDisk >= row.size) return { kind: "ok" };
        await files.remove(id);
        return removeRow(row) ? { kind: "lost", row, bytesOnDisk: onDisk } : { kind: "ok" };
      });
    },

    async removeOrphans() {
      const removed: string[] = [];
      for (const name of await files.list()) {
        const id = idOfFileName(name);
        if (!id) continue; // not a name we make: not ours to delete
        const gone = await lock.run(id, async () => {
          const row = q.byId.get(id);
          if (row && row.state !== "delivered") return false;
          await files.remove(id);
          return true;
        });
        if (gone) removed.push(name);
      }
      return removed;
    },

    onRemoved(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },

    totals() {
      const t = q.totals.get()!;
      return { files: t.files, reservedBytes: t.reserved_bytes, storedBytes: t.stored_bytes, senders: t.senders, recipients: t.recipients };
    },
  };
}
