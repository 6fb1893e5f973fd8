// Every statement the store runs, prepared once per connection. Only bound parameters: no SQL
// text is ever built from input.
import type Database from "better-sqlite3";
import type { Db } from "./db.js";

/** better-sqlite3's statement under a name our declarations can emit. */
export interface Statement<R = unknown> extends Database.Statement<unknown[], R> {}

export type FileState = "uploading" | "stored" | "delivering" | "delivered";

/** A row of `files`, as SQLite returns it. */
export interface FileRow {
  id: string;
  sender: string;
  recipient: string;
  name: string;
  size: number;
  sha256: string;
  media_type: string;
  state: FileState;
  bytes_received: number;
  delivered_offset: number;
  created_at: number;
  updated_at: number;
  expires_at: number;
  delivered_at: number | null;
}

export interface UsageRow {
  files: number;
  reserved_bytes: number;
  stored_bytes: number;
}

/** Keyset page for housekeeping: rows strictly after (key, id), in that order. */
export type Page = [key: number, id: string];

export function prepareQueries(db: Db) {
  const q = <R = FileRow>(sql: string): Statement<R> => db.prepare<unknown[], R>(sql);
  const w = (sql: string): Statement => db.prepare(sql);
  return {
    byId: q("SELECT * FROM files WHERE id = ?"),
    unfinished: q("SELECT * FROM files WHERE sender = ? AND recipient = ? AND sha256 = ? AND size = ? AND state = 'uploading'"),
    insert: w(
      `INSERT INTO files (id, sender, recipient, name, size, sha256, media_type, state, created_at, updated_at, expires_at)
       VALUES (@id, @sender, @recipient, @name, @size, @sha256, @media_type, 'uploading', @created_at, @created_at, @expires_at)`,
    ),
    /** declared sizes still reserved by a sender / for a recipient */
    senderReserved: q<{ bytes: number }>("SELECT coalesce(sum(size), 0) AS bytes FROM files WHERE sender = ? AND state <> 'delivered'"),
    recipientReserved: q<{ bytes: number }>("SELECT coalesce(sum(size), 0) AS bytes FROM files WHERE recipient = ? AND state <> 'delivered'"),
    // admission (admission.ts): counts and costs, each file at max(size, floor)
    senderCost: q<{ files: number; cost: number }>(
      "SELECT count(*) AS files, coalesce(sum(max(size, ?)), 0) AS cost FROM files WHERE sender = ? AND state <> 'delivered'",
    ),
    recipientCost: q<{ cost: number }>("SELECT coalesce(sum(max(size, ?)), 0) AS cost FROM files WHERE recipient = ? AND state <> 'delivered'"),
    storeCost: q<{ cost: number; pending: number }>(
      `SELECT coalesce(sum(max(size, ?)), 0) AS cost,
              coalesce(sum(CASE state WHEN 'uploading' THEN size - bytes_received ELSE 0 END), 0) AS pending
       FROM files WHERE state <> 'delivered'`,
    ),
    newRecipientsSince: q<{ n: number }>(
      "SELECT count(*) AS n FROM (SELECT min(created_at) AS first FROM files WHERE sender = ? GROUP BY recipient) WHERE first > ?",
    ),
    knownRecipient: q<{ one: number }>("SELECT 1 AS one FROM files WHERE sender = ? AND recipient = ? LIMIT 1"),
    senderUsage: q<UsageRow>("SELECT files, reserved_bytes, stored_bytes FROM usage_by_sender WHERE jid = ?"),
    recipientUsage: q<UsageRow>("SELECT files, reserved_bytes, stored_bytes FROM usage_by_recipient WHERE jid = ?"),
    totals: q<UsageRow & { senders: number; recipients: number }>(
      `SELECT count(*) AS files, coalesce(sum(size), 0) AS reserved_bytes,
              coalesce(sum(CASE state WHEN 'uploading' THEN bytes_received ELSE size END), 0) AS stored_bytes,
              count(DISTINCT sender) AS senders, count(DISTINCT recipient) AS recipients
       FROM files WHERE state <> 'delivered'`,
    ),
    /** commits an upload's offset; the WHERE makes a lost race visible as changes = 0 */
    commitOffset: w(
      "UPDATE files SET bytes_received = ?, updated_at = ? WHERE id = ? AND state = 'uploading' AND bytes_received = ?",
    ),
    /** lowers an offset to what the disk really holds (keeps updated_at: this is not activity) */
    correctOffset: w("UPDATE files SET bytes_received = ? WHERE id = ? AND state = 'uploading' AND bytes_received = ?"),
    markStored: w("UPDATE files SET state = 'stored', updated_at = ? WHERE id = ? AND state = 'uploading' AND bytes_received = size"),
    deliveryProgress: w(
      "UPDATE files SET state = 'delivering', delivered_offset = ?, updated_at = ? WHERE id = ? AND state IN ('stored', 'delivering')",
    ),
    markDelivered: w(
      "UPDATE files SET state = 'delivered', delivered_offset = size, delivered_at = ?, updated_at = ? WHERE id = ? AND state IN ('stored', 'delivering')",
    ),
    pendingFor: q(
      "SELECT * FROM files WHERE recipient = ? AND state IN ('stored', 'delivering') AND expires_at > ? ORDER BY created_at, id",
    ),
    sentBy: q("SELECT * FROM files WHERE sender = ? ORDER BY created_at, id"),
    waitingRecipients: q<{ recipient: string }>(
      "SELECT DISTINCT recipient FROM files WHERE state IN ('stored', 'delivering') AND expires_at > ? ORDER BY recipient",
    ),
    deleteUndelivered: w("DELETE FROM files WHERE id = ? AND state <> 'delivered'"),
    deleteDelivered: w("DELETE FROM files WHERE id = ? AND state = 'delivered'"),
    deleteAny: w("DELETE FROM files WHERE id = ?"),

    // housekeeping, in keyset pages
    expired: q("SELECT * FROM files WHERE state <> 'delivered' AND expires_at <= ? AND (expires_at, id) > (?, ?) ORDER BY expires_at, id LIMIT ?"),
    idleUploads: q("SELECT * FROM files WHERE state = 'uploading' AND updated_at < ? AND (updated_at, id) > (?, ?) ORDER BY updated_at, id LIMIT ?"),
    oldReceipts: q("SELECT * FROM files WHERE state = 'delivered' AND delivered_at < ? AND (delivered_at, id) > (?, ?) ORDER BY delivered_at, id LIMIT ?"),
    allAfter: q("SELECT * FROM files WHERE id > ? ORDER BY id LIMIT ?"),
  };
}

export type Queries = ReturnType<typeof prepareQueries>;
