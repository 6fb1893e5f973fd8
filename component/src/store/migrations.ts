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
];
