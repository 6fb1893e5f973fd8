// The store's schema, one numbered migration per change; never edit a released one, add the
// next. Times are integer milliseconds since the epoch (UTC).
import type Database from "better-sqlite3";

export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "files",
    up(db) {
      db.exec(`
        CREATE TABLE files (
          id               TEXT    NOT NULL PRIMARY KEY,  -- 128 random bits, base64url (22 chars)
          sender           TEXT    NOT NULL,              -- bare JID, normalized
          recipient        TEXT    NOT NULL,              -- bare JID, normalized
          name             TEXT    NOT NULL,              -- sanitized; never used on disk
          size             INTEGER NOT NULL CHECK (size >= 0),
          sha256           TEXT    NOT NULL CHECK (length(sha256) = 44),  -- base64 of 32 bytes
          media_type       TEXT    NOT NULL,
          state            TEXT    NOT NULL CHECK (state IN ('uploading', 'stored', 'delivering', 'delivered')),
          bytes_received   INTEGER NOT NULL DEFAULT 0 CHECK (bytes_received BETWEEN 0 AND size),
          delivered_offset INTEGER NOT NULL DEFAULT 0 CHECK (delivered_offset BETWEEN 0 AND size),
          created_at       INTEGER NOT NULL,
          updated_at       INTEGER NOT NULL,
          expires_at       INTEGER NOT NULL,
          delivered_at     INTEGER,
          CHECK (state = 'uploading' OR bytes_received = size),
          CHECK ((state = 'delivered') = (delivered_at IS NOT NULL))
        ) STRICT;

        -- resume: at most one unfinished upload per sender, recipient and content
        CREATE UNIQUE INDEX files_unfinished ON files (sender, recipient, sha256, size) WHERE state = 'uploading';
        CREATE INDEX files_by_recipient ON files (recipient, state, created_at);
        CREATE INDEX files_by_sender ON files (sender, state, size);
        CREATE INDEX files_recipient_quota ON files (recipient, state, size);
        CREATE INDEX files_to_expire ON files (expires_at, id) WHERE state <> 'delivered';
        CREATE INDEX files_idle_uploads ON files (updated_at, id) WHERE state = 'uploading';
        CREATE INDEX files_receipts ON files (delivered_at, id) WHERE state = 'delivered';

        -- Quota accounting: the declared size of every file not yet delivered counts from
        -- beginUpload on (a sender cannot open many uploads each under quota); stored_bytes is
        -- what the disk holds for it. Views, so always exact: nothing to keep in step.
        CREATE VIEW usage_by_sender AS
          SELECT sender AS jid, count(*) AS files, sum(size) AS reserved_bytes,
                 sum(CASE state WHEN 'uploading' THEN bytes_received ELSE size END) AS stored_bytes
          FROM files WHERE state <> 'delivered' GROUP BY sender;
        CREATE VIEW usage_by_recipient AS
          SELECT recipient AS jid, count(*) AS files, sum(size) AS reserved_bytes,
                 sum(CASE state WHEN 'uploading' THEN bytes_received ELSE size END) AS stored_bytes
          FROM files WHERE state <> 'delivered' GROUP BY recipient;
      `);
    },
  },
  {
    version: 2,
    name: "delivery state",
    up(db) {
      // What delivery (delivery/plan.ts) sent each recipient and what they answered, so that a
      // restart re-sends none of it: one row per recipient, written after each change.
      db.exec(`
        CREATE TABLE delivery_state (
          recipient           TEXT    NOT NULL PRIMARY KEY,  -- bare JID, normalized
          subscribe_sent_at   INTEGER,                       -- our last subscription request
          approved_at         INTEGER,                       -- we saw their presence: approved
          probe_sent_at       INTEGER,
          notice_sent_at      INTEGER,                       -- notice of the current offline period
          retry_attempt       INTEGER CHECK (retry_attempt >= 0),  -- NULL: not retrying
          retry_due_at        INTEGER,                       -- NULL: no retry timer outstanding
          retry_resend_notice INTEGER NOT NULL DEFAULT 0 CHECK (retry_resend_notice IN (0, 1)),
          retry_notice_resent INTEGER NOT NULL DEFAULT 0 CHECK (retry_notice_resent IN (0, 1)),
          budget_day          INTEGER,                       -- UTC day of budget_used
          budget_used         INTEGER NOT NULL DEFAULT 0 CHECK (budget_used >= 0),
          updated_at          INTEGER NOT NULL,
          CHECK (retry_attempt IS NOT NULL OR retry_due_at IS NULL)
        ) STRICT;
      `);
    },
  },
  {
    version: 3,
    name: "delivery state pruning",
    up(db) {
      // housekeeping deletes the rows of recipients idle for --delivery-state-days with nothing
      // waiting (housekeeping/jobs.ts pruneDeliveryStates): found by their last change
      db.exec("CREATE INDEX delivery_state_idle ON delivery_state (updated_at, recipient);");
    },
  },
];
