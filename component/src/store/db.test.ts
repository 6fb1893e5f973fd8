import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { DatabaseFromFutureError, migrate, openDatabase, schemaVersion } from "./db.js";
import { MIGRATIONS, type Migration } from "./migrations.js";
import { createStore } from "./store.js";
import { tempDir } from "./testing.js";

describe("store database", () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir()));
  afterEach(() => tmp.cleanup());

  it("migrates an empty database to the latest version, in WAL with foreign keys, STRICT tables", () => {
    const db = openDatabase(tmp.db);
    try {
      assert.equal(schemaVersion(db), MIGRATIONS.length);
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name").pluck().all();
      assert.deepEqual(tables, ["delivery_state", "files", "usage_by_recipient", "usage_by_sender"]);
      const insert = db.prepare(
        "INSERT INTO files (id, sender, recipient, name, size, sha256, media_type, state, created_at, updated_at, expires_at) VALUES (?, 'a@x', 'b@x', 'n', ?, ?, 't/t', 'uploading', 0, 0, 0)",
      );
      // STRICT: a text size is refused, not stored as text ("12" would be converted losslessly)
      assert.throws(() => insert.run("id1", "twelve", "A".repeat(43) + "="), /cannot store TEXT value in INTEGER column/);
      // CHECKs hold: bytes_received within size, state from the list
      assert.throws(() => db.prepare("INSERT INTO files (id, sender, recipient, name, size, sha256, media_type, state, bytes_received, created_at, updated_at, expires_at) VALUES ('i', 'a', 'b', 'n', 1, ?, 't', 'uploading', 2, 0, 0, 0)").run("A".repeat(43) + "="), /CHECK/);
      assert.throws(() => db.prepare("INSERT INTO files (id, sender, recipient, name, size, sha256, media_type, state, created_at, updated_at, expires_at) VALUES ('i', 'a', 'b', 'n', 1, ?, 't', 'lost', 0, 0, 0)").run("A".repeat(43) + "="), /CHECK/);
    } finally {
      db.close();
    }
  });

  it("reopening an up-to-date database runs no migration", () => {
    openDatabase(tmp.db).close();
    const db = new Database(tmp.db);
    try {
      assert.deepEqual(migrate(db), { from: MIGRATIONS.length, to: MIGRATIONS.length });
    } finally {
      db.close();
    }
  });

  it("runs only the migrations above user_version, in order", () => {
    const ran: number[] = [];
    const list = (n: number): Migration[] =>
      Array.from({ length: n }, (_, i) => ({ version: i + 1, name: `m${i + 1}`, up: (db) => void (db.exec(`CREATE TABLE t${i + 1} (x INTEGER) STRICT`), ran.push(i + 1)) }));
    openDatabase(tmp.db, { migrations: list(2) }).close();
    assert.deepEqual(ran, [1, 2]);
    const db = openDatabase(tmp.db, { migrations: list(4) });
    try {
      assert.deepEqual(ran, [1, 2, 3, 4]);
      assert.equal(schemaVersion(db), 4);
    } finally {
      db.close();
    }
  });

  it("a failing migration leaves the database as it was (one transaction)", () => {
    const migrations: Migration[] = [
      { version: 1, name: "ok", up: (db) => db.exec("CREATE TABLE a (x INTEGER) STRICT") },
      { version: 2, name: "broken", up: () => { throw new Error("boom"); } },
    ];
    assert.throws(() => openDatabase(tmp.db, { migrations }), /boom/);
    const db = new Database(tmp.db);
    try {
      assert.equal(schemaVersion(db), 0);
      assert.equal(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'a'").pluck().get(), 0);
    } finally {
      db.close();
    }
  });

  it("refuses a database newer than the code, without touching it", () => {
    const raw = new Database(tmp.db);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    const err = (() => {
      try {
        openDatabase(tmp.db);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(err instanceof DatabaseFromFutureError, String(err));
    assert.equal(err.found, MIGRATIONS.length + 1);
    assert.equal(err.supported, MIGRATIONS.length);
    assert.match(err.message, /refusing/);
    assert.throws(() => createStore({ path: tmp.db }), DatabaseFromFutureError);
    const after = new Database(tmp.db);
    try {
      assert.equal(schemaVersion(after), MIGRATIONS.length + 1);
      assert.equal(after.prepare("SELECT count(*) FROM sqlite_schema").pluck().get(), 0);
    } finally {
      after.close();
    }
  });

  it("refuses a migration list with a gap", () => {
    assert.throws(() => openDatabase(tmp.db, { migrations: [{ version: 2, name: "x", up: () => undefined }] }), /numbered 2, expected 1/);
  });

  it("refuses an in-memory database (the bytes live beside the file)", () => {
    assert.throws(() => openDatabase(":memory:"), TypeError);
    assert.throws(() => openDatabase(""), TypeError);
    assert.throws(() => createStore({ path: ":memory:" }), TypeError);
  });
});
