import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import type { StoreOptions } from "../store/config.js";
import { createStore, type OfflineStore } from "../store/store.js";
import { appendAll, DAY, HOUR, KiB, manualClock, randomData, sha256, T0, tempDir } from "../store/testing.js";
import { fileNameOf } from "../store/validate.js";
import { createStore as reopenStore } from "../store/store.js";
import { expireUndelivered, pruneDeliveryStates, pruneReceipts, recomputeAccounting, removeAbandonedUploads, runHousekeeping } from "./jobs.js";

const ALICE = "alice@a.example";
const BOB = "bob@b.example";
const at = (ms: number) => new Date(ms);

describe("housekeeping jobs", () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: OfflineStore;
  let clock: ReturnType<typeof manualClock>;
  const open = (extra: Partial<StoreOptions> = {}) => (store = createStore({ path: tmp.db, now: clock.now, ...extra }));
  const pathOf = (id: string) => `${store.filesDir}/${fileNameOf(id)}`;
  const ids = () => store.sentBy(ALICE).map((f) => f.id).sort();

  beforeEach(() => {
    tmp = tempDir();
    clock = manualClock();
    open();
  });
  afterEach(async () => {
    await store.close();
    tmp.cleanup();
  });

  /** begins (at the clock's time) and appends `upTo` of `size` random bytes; finishes when upTo = size */
  async function file(size = 10 * KiB, upTo = size, recipient = BOB) {
    const data = randomData(size);
    const { id } = await store.beginUpload({ sender: ALICE, recipient, name: "f", size, sha256: sha256(data) });
    await appendAll(store, id, data, 0, 4 * KiB, upTo);
    if (upTo === size) await store.finishUpload(id);
    return id;
  }

  it("expires undelivered files at expires_at (7 days by default): bytes and row", async () => {
    const stored = await file();
    const partial = await file(10 * KiB, 3 * KiB);
    const delivered = await file();
    await store.markDelivered(delivered);
    clock.t = T0 + 7 * DAY; // the clock of the store does not matter to the job: `now` does

    const early = await expireUndelivered(store, at(T0 + 7 * DAY - 1));
    assert.deepEqual(early.removed, []);
    assert.ok(existsSync(pathOf(stored)));

    const due = await expireUndelivered(store, at(T0 + 7 * DAY));
    assert.deepEqual(due.removed.map((f) => f.id).sort(), [stored, partial].sort());
    assert.deepEqual(due.failed, []);
    assert.ok(!existsSync(pathOf(stored)) && !existsSync(pathOf(partial)));
    assert.deepEqual(ids(), [delivered], "the delivered receipt is not expired");
    assert.deepEqual(readdirSync(store.filesDir), []);
  });

  it("uses the store's expireAfterMs", async () => {
    await store.close();
    open({ expireAfterMs: DAY });
    const id = await file();
    assert.equal(store.get(id, BOB)?.expiresAt.getTime(), T0 + DAY);
    assert.deepEqual((await expireUndelivered(store, at(T0 + DAY))).removed.map((f) => f.id), [id]);
  });

  it("pendingFor hides a file past expiry even before the job removes it", async () => {
    const id = await file();
    clock.t = T0 + 7 * DAY;
    assert.deepEqual(store.pendingFor(BOB), []);
    assert.equal(store.get(id, BOB), undefined);
  });

  it("works in batches and removes every due file", async () => {
    const made: string[] = [];
    for (let i = 0; i < 7; i++) {
      clock.t = T0 + i * 1000;
      made.push(await file(1 * KiB));
    }
    const result = await expireUndelivered(store, at(T0 + 8 * DAY), { batchSize: 3 });
    assert.equal(result.batches, 3);
    assert.deepEqual(result.removed.map((f) => f.id), made, "oldest expiry first");
    assert.deepEqual(ids(), []);
  });

  it("keeps the row of a file whose bytes could not be removed, and removes it on a later run", async () => {
    const stuck = await file();
    const other = await file();
    rmSync(pathOf(stuck));
    mkdirSync(pathOf(stuck)); // a non-empty directory in its place: unlink fails
    writeFileSync(`${pathOf(stuck)}/x`, "x");

    const first = await expireUndelivered(store, at(T0 + 8 * DAY));
    assert.deepEqual(first.removed.map((f) => f.id), [other]);
    assert.deepEqual(first.failed.map((f) => f.id), [stuck]);
    assert.deepEqual(ids(), [stuck], "the row stays while its data is there");

    rmSync(pathOf(stuck), { recursive: true });
    const second = await expireUndelivered(store, at(T0 + 8 * DAY));
    assert.deepEqual(second.removed.map((f) => f.id), [stuck]);
    assert.deepEqual(ids(), []);
  });

  it("removes uploads abandoned for abandonAfterMs (24 h by default), counting from the last append", async () => {
    const data = randomData(20 * KiB);
    const { id } = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) });
    await store.append(id, 0, data.subarray(0, 4 * KiB));
    const finished = await file(); // stored files are never "abandoned"

    assert.deepEqual((await removeAbandonedUploads(store, at(T0 + 23 * HOUR))).removed, []);
    clock.t = T0 + 23 * HOUR;
    await store.append(id, 4 * KiB, data.subarray(4 * KiB, 8 * KiB));
    assert.deepEqual((await removeAbandonedUploads(store, at(T0 + 25 * HOUR))).removed, [], "an append at 23 h keeps it");

    const gone = await removeAbandonedUploads(store, at(T0 + 47 * HOUR + 1));
    assert.deepEqual(gone.removed.map((f) => [f.id, f.state]), [[id, "uploading"]]);
    assert.ok(!existsSync(pathOf(id)));
    assert.deepEqual(ids(), [finished]);
    await assert.rejects(store.append(id, 8 * KiB, data.subarray(8 * KiB)), /no such file/);
  });

  it("counts an append not yet committed to the database as activity", async () => {
    await store.close();
    open({ syncEveryBytes: 1024 * KiB, idleCloseMs: 3600_000 }); // appends stay uncommitted
    const data = randomData(100 * KiB);
    const { id } = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) });
    clock.t = T0 + 23 * HOUR;
    await store.append(id, 0, data.subarray(0, 4 * KiB));
    assert.equal(store.sentBy(ALICE)[0].updatedAt.getTime(), T0, "the database has not seen the append yet");
    assert.deepEqual((await removeAbandonedUploads(store, at(T0 + 25 * HOUR))).removed, []);
    assert.equal(await store.append(id, 4 * KiB, data.subarray(4 * KiB)), data.length, "still open for appends");
  });

  it("delivered files keep no bytes; receipts go after receiptRetentionMs", async () => {
    const id = await file(50 * KiB);
    clock.t = T0 + HOUR;
    await store.markDelivered(id);
    assert.ok(!existsSync(pathOf(id)));
    assert.deepEqual(store.maintenance.totals(), { files: 0, reservedBytes: 0, storedBytes: 0, senders: 0, recipients: 0 });

    const kept = await pruneReceipts(store, at(T0 + HOUR + 30 * DAY));
    assert.deepEqual(kept.removed, []);
    assert.equal(store.sentBy(ALICE)[0].state, "delivered");
    const pruned = await pruneReceipts(store, at(T0 + HOUR + 30 * DAY + 1));
    assert.deepEqual(pruned.removed.map((f) => [f.id, f.state]), [[id, "delivered"]]);
    assert.deepEqual(ids(), []);
  });

  it("recomputes the accounting against the disk", async () => {
    const kept = await file(8 * KiB);
    const lost = await file(8 * KiB);
    const shrunk = await file(64 * KiB, 40 * KiB);
    const delivered = await file(8 * KiB);
    await store.close(); // nothing open in this process
    open();
    await store.markDelivered(delivered);
    writeFileSync(pathOf(delivered), "left behind by a failed unlink");
    truncateSync(pathOf(lost), 100);
    truncateSync(pathOf(shrunk), 10 * KiB);
    const stray = fileNameOf("AAAAAAAAAAAAAAAAAAAAAA");
    writeFileSync(`${store.filesDir}/${stray}`, "no row");
    writeFileSync(`${store.filesDir}/notes.txt`, "not ours");

    const report = await recomputeAccounting(store, at(T0), { batchSize: 2 });
    assert.deepEqual(report.corrected, [{ id: shrunk, from: 40 * KiB, to: 10 * KiB }]);
    assert.deepEqual(report.lost.map((f) => f.id), [lost]);
    assert.deepEqual(report.orphans.sort(), [fileNameOf(delivered), stray].sort());
    assert.deepEqual(report.failed, []);
    assert.equal(report.batches, 2);
    assert.deepEqual(report.totals, { files: 2, reservedBytes: 8 * KiB + 64 * KiB, storedBytes: 8 * KiB + 10 * KiB, senders: 1, recipients: 1 });
    assert.deepEqual(readdirSync(store.filesDir).sort(), [fileNameOf(kept), fileNameOf(shrunk), "notes.txt"].sort());
    assert.deepEqual(ids(), [kept, shrunk, delivered].sort());
    assert.deepEqual(store.usage(BOB).asRecipient, { files: 2, reservedBytes: 72 * KiB, storedBytes: 18 * KiB });
  });

  it("runHousekeeping runs them all", async () => {
    const expired = await file();
    clock.t = T0 + 6 * DAY;
    const abandoned = await file(10 * KiB, 1 * KiB);
    const fresh = await file();
    const report = await runHousekeeping(store, at(T0 + 7 * DAY + 1));
    assert.deepEqual(report.expired.removed.map((f) => f.id), [expired]);
    assert.deepEqual(report.abandoned.removed.map((f) => f.id), [abandoned]);
    assert.deepEqual(report.receipts.removed, []);
    assert.equal(report.accounting.totals.files, 1);
    assert.deepEqual(ids(), [fresh]);
  });

  it("prunes the delivery state of recipients with nothing waiting and no change for 30 days; keeps the others; a restart sees the same", async () => {
    const saved = { subscribeSentAt: T0, noticeSentAt: T0, budget: { day: 0, used: 2 } };
    const idle = ["gone@b.example", "receipt-only@b.example"];
    for (const r of idle) store.deliveryStates.save(r, saved, T0);
    store.deliveryStates.save("recent@b.example", saved, T0 + 20 * DAY); // changed 10 days before `now`
    store.deliveryStates.save(BOB, saved, T0); // idle, but a file waits for him
    await file(1 * KiB, 1 * KiB, BOB);
    await store.markDelivered(await file(1 * KiB, 1 * KiB, "receipt-only@b.example")); // delivered: nothing waits
    await file(4 * KiB, 1 * KiB, "uploading@b.example"); // an upload in progress waits too
    store.deliveryStates.save("uploading@b.example", saved, T0);

    const early = await pruneDeliveryStates(store, at(T0 + 30 * DAY));
    assert.deepEqual(early.removed, [], "exactly 30 days: not yet");
    const r = await pruneDeliveryStates(store, at(T0 + 30 * DAY + 1));
    assert.deepEqual(r.removed.sort(), idle);
    assert.deepEqual(Object.keys(store.deliveryStates.all()).sort(), [BOB, "recent@b.example", "uploading@b.example"]);
    await store.close();
    store = reopenStore({ path: tmp.db, now: clock.now }); // the same SQLite file, as after a restart
    assert.deepEqual(Object.keys(store.deliveryStates.all()).sort(), [BOB, "recent@b.example", "uploading@b.example"]);
    assert.deepEqual(store.deliveryStates.all()[BOB], saved, "what is kept is kept whole");
  });

  it("prunes delivery states in batches, with --delivery-state-days as the bound", async () => {
    for (let i = 0; i < 5; i++) store.deliveryStates.save(`r${i}@b.example`, { subscribeSentAt: T0 }, T0);
    const r = await pruneDeliveryStates(store, at(T0 + 2 * DAY + 1), { deliveryStateRetentionMs: 2 * DAY, batchSize: 2 });
    assert.equal(r.removed.length, 5);
    assert.equal(r.batches, 3);
    assert.deepEqual(store.deliveryStates.all(), {});
    const report = await runHousekeeping(store, at(T0 + 40 * DAY));
    assert.deepEqual(report.deliveryStates, { removed: [], batches: 0 });
  });

  it("refuses out-of-bounds options", async () => {
    await assert.rejects(removeAbandonedUploads(store, at(T0), { abandonAfterMs: 5 }), RangeError);
    await assert.rejects(expireUndelivered(store, at(T0), { batchSize: 0 }), RangeError);
    await assert.rejects(pruneDeliveryStates(store, at(T0), { deliveryStateRetentionMs: DAY - 1 }), RangeError, "under a day would reset the day's budget");
  });
});
