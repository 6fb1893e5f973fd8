// Opens the store's SQLite database and brings its schema up to date, after Signal-Desktop
// ts/sql/migrations/index.ts (`updateSchema`): migrations are numbered, the schema's number
// lives in PRAGMA user_version, all pending migrations run in one IMMEDIATE transaction (a
// failing one leaves the database as it was), and a database written by newer code is refused
// before anything touches it (DatabaseFromFutureError).
import { chmodSync, closeSync, constants, openSync } from "node:fs";
import Database from "better-sqlite3";
import { MIGRATIONS, type Migration } from "./migrations.js";

export type Db = Database.Database;

/** The database's user_version is above the newest migration this code knows. */
export class DatabaseFromFutureError extends Error {
  constructor(readonly path: string, readonly found: number, readonly supported: number) {
    super(`${path} has schema version ${found}; this code knows up to ${supported}: refusing to open it (run newer code, or restore a backup)`);
    this.name = "DatabaseFromFutureError";
  }
}

export interface OpenDatabaseOptions {
  /** ms a statement waits for another connection's lock before SQLITE_BUSY; default 5000 */
  busyTimeoutMs?: number;
  /** for tests: the migration list to run instead of ours */
  migrations?: readonly Migration[];
}

/** Opens (creating if needed) a file database in WAL mode and migrates it. */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Db {
  // The bytes live in a directory beside the database file, so it must be a real file.
  if (path === "" || path === ":memory:" || path.startsWith("file:")) {
    throw new TypeError(`the store needs a database file path, not ${JSON.stringify(path)}`);
  }
  const { busyTimeoutMs = 5000, migrations = MIGRATIONS } = options;
  ownerOnly(path);
  const db = new Database(path, { timeout: busyTimeoutMs });
  try {
    if (db.pragma("journal_mode = WAL", { simple: true }) !== "wal") throw new Error(`${path}: WAL mode refused`);
    // In WAL, NORMAL never corrupts; a power cut may lose the last commits, which only ever moves
    // an upload's committed offset back (bytes are fdatasync'd before their offset is committed).
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    migrate(db, migrations, path);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/**
 * The database holds who sends what to whom: 0600. SQLite creates its -wal and -shm with the
 * database file's mode, so the file is created 0600 before SQLite opens it; an existing one (and
 * its -wal/-shm), left 0644 by an older version, is narrowed.
 */
function ownerOnly(path: string): void {
  try {
    closeSync(openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600));
  } catch {
    return; // SQLite reports the path's problem in its own words
  }
  for (const p of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(p, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/** Runs the migrations above the database's user_version; returns the versions before and after. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS, path = db.name): { from: number; to: number } {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`);
  });
  const latest = migrations.length;
  const check = (found: number) => {
    if (found > latest) throw new DatabaseFromFutureError(path, found, latest);
  };
  const from = schemaVersion(db);
  check(from);
  if (from === latest) return { from, to: latest };

  db.transaction(() => {
    const current = schemaVersion(db); // read again under the write lock: another process may have migrated
    check(current);
    for (const m of migrations.slice(current)) {
      m.up(db);
      // user_version cannot be a bound parameter; m.version is our own integer.
      db.pragma(`user_version = ${Math.trunc(m.version)}`);
    }
  }).immediate();
  return { from, to: latest };
}
