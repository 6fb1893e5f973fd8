import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, truncateSync, appendFileSync, writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import {
  BadRequestError,
  BeyondSizeError,
  FileTooLargeError,
  HashMismatchError,
  IncompleteUploadError,
  NotFoundError,
  NotUploadingError,
  OffsetMismatchError,
  ReservedNameError,
  QuotaExceededError,
  SenderNotAllowedError,
  StoreError,
} from "./errors.js";
import { createStore, type OfflineStore } from "./store.js";
import type { StoreOptions } from "./config.js";
import { appendAll, caught, digestStream, KiB, manualClock, MiB, randomData, sha256, tempDir } from "./testing.js";
import { fileNameOf, newFileId } from "./validate.js";
import { NS_STANZAS } from "@xft/protocol/errors/stanza-error.js";

const ALICE = "alice@a.example";
const BOB = "bob@b.example";
const EVE = "eve@b.example";

function assertCondition(err: unknown, cls: abstract new (...args: any[]) => StoreError, condition: string, type: string) {
  assert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
  assert.equal(err.condition, condition);
  assert.equal(err.type, type);
  const el = err.toElement();
  assert.equal(el.attrs.type, type);
  assert.ok(el.getChild(condition, NS_STANZAS), el.toString());
}

describe("offline store", () => {
  let tmp: ReturnType<typeof tempDir>;
  let store: OfflineStore;
  const clock = manualClock();
  const open = (extra: Partial<StoreOptions> = {}) => (store = createStore({ path: tmp.db, now: clock.now, ...extra }));

  beforeEach(() => {
    tmp = tempDir();
    open();
  });
  afterEach(async () => {
    await store.close();
    tmp.cleanup();
  });

  async function upload(data: Buffer, over: Partial<{ sender: string; recipient: string; name: string; sha256: string }> = {}) {
    const { id, offset } = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "photo.jpg", size: data.length, sha256: sha256(data), mediaType: "image/jpeg", ...over });
    assert.equal(offset, 0);
    await appendAll(store, id, data);
    return id;
  }

  /** bytes_received as the database has it, read with a separate connection */
  function committedOffset(id: string): number {
    const db = new Database(tmp.db, { readonly: true });
    try {
      return db.prepare("SELECT bytes_received FROM files WHERE id = ?").pluck().get(id) as number;
    } finally {
      db.close();
    }
  }

  it("uploads 5 MiB in random chunks; reads back the exact bytes from 0 and from an offset", async () => {
    const data = randomData(5 * MiB);
    const id = await upload(data);
    const stored = await store.finishUpload(id);
    assert.equal(stored.state, "stored");
    assert.equal(stored.bytesReceived, data.length);
    assert.equal(stored.mediaType, "image/jpeg");

    const whole = await digestStream(store.readStream(id, BOB));
    assert.equal(whole.length, data.length);
    assert.equal(whole.sha256, sha256(data));
    assert.ok(whole.largestChunk <= 256 * KiB, `chunks of at most readChunkSize, saw ${whole.largestChunk}`);
    assert.ok(whole.chunks >= 20);

    const from = 1_234_567;
    const tail = await digestStream(store.readStream(id, BOB, from));
    assert.equal(tail.length, data.length - from);
    assert.equal(tail.sha256, sha256(data.subarray(from)));

    const none = await digestStream(store.readStream(id, `${BOB}/phone`, data.length));
    assert.equal(none.length, 0);
    assert.throws(() => store.readStream(id, BOB, data.length + 1), BadRequestError);
  });

  it("refuses a name like a receiver's partial download (not-acceptable, modify) before reserving anything", async () => {
    const data = randomData(10);
    const err = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "photo.jpg.XFT-PART", size: data.length, sha256: sha256(data) }).then(() => undefined, (e) => e);
    assertCondition(err, ReservedNameError, "not-acceptable", "modify");
    assert.deepEqual(readdirSync(store.filesDir), []);
  });

  it("names the bytes' files by id only, never by what the sender sent", async () => {
    const data = randomData(1000);
    const id = await upload(data, { name: "../../etc/passwd" });
    const stored = await store.finishUpload(id);
    assert.equal(stored.name, "%2E%2E%2F..%2Fetc%2Fpasswd", "kept as the recipient's client will store it: one path component");
    assert.deepEqual(readdirSync(store.filesDir), [fileNameOf(id)]);
    assert.match(readdirSync(store.filesDir)[0], /^[0-9a-f]{32}$/);
    assert.ok(!existsSync(`${tmp.dir}/etc`));
  });

  it("rejects an append that is not at the current end, and bytes beyond the size", async () => {
    const data = randomData(100 * KiB);
    const { id } = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) });
    await store.append(id, 0, data.subarray(0, 1000));
    const ahead = await caught(() => store.append(id, 2000, data.subarray(2000, 3000)));
    assertCondition(ahead, OffsetMismatchError, "unexpected-request", "modify");
    assert.equal(ahead.expectedOffset, 1000);
    const behind = await caught(() => store.append(id, 0, data.subarray(0, 1000)));
    assert.equal(behind.expectedOffset, 1000);
    const beyond = await caught(() => store.append(id, 1000, Buffer.alloc(data.length)));
    assertCondition(beyond, BeyondSizeError, "not-acceptable", "cancel");
    // the refused appends wrote nothing: the upload still completes
    assert.equal(await store.append(id, 1000, data.subarray(1000)), data.length);
    assert.equal((await store.finishUpload(id)).state, "stored");
    assertCondition(await caught(() => store.append(id, data.length, Buffer.alloc(0))), NotUploadingError, "unexpected-request", "cancel");
  });

  it("refuses to finish before all bytes came", async () => {
    const data = randomData(10 * KiB);
    const { id } = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) });
    await store.append(id, 0, data.subarray(0, 4096));
    const err = await caught(() => store.finishUpload(id));
    assertCondition(err, IncompleteUploadError, "unexpected-request", "modify");
    assert.equal(err.offset, 4096);
    assert.deepEqual(store.pendingFor(BOB), []);
  });

  it("reuses an unfinished upload of the same sender, recipient, hash and size", async () => {
    const data = randomData(300 * KiB);
    const request = { sender: `${ALICE}/laptop`, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) };
    const first = await store.beginUpload(request);
    await store.append(first.id, 0, data.subarray(0, 100 * KiB));
    const again = await store.beginUpload({ ...request, sender: "Alice@A.example/phone" });
    assert.deepEqual(again, { id: first.id, offset: 100 * KiB, resumed: true });
    const otherRecipient = await store.beginUpload({ ...request, recipient: EVE });
    assert.notEqual(otherRecipient.id, first.id);
    assert.equal(otherRecipient.offset, 0);
    assert.equal(store.sentBy(ALICE).length, 2);
  });

  it("resumes after the store is closed and reopened mid-upload", async () => {
    const data = randomData(3 * MiB + 123);
    const request = { sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) };
    const { id } = await store.beginUpload(request);
    await appendAll(store, id, data, 0, 64 * KiB, 2 * MiB + 7);
    await store.close(); // without finishing
    assert.equal(committedOffset(id), 2 * MiB + 7, "close commits what was written");

    open();
    const resumed = await store.beginUpload(request);
    assert.deepEqual(resumed, { id, offset: 2 * MiB + 7, resumed: true });
    await appendAll(store, id, data, resumed.offset);
    await store.finishUpload(id);
    assert.equal((await digestStream(store.readStream(id, BOB))).sha256, sha256(data));
  });

  it("hashes the prefix of an upload in progress (a resuming sender's checkpoint), also after a reopen", async () => {
    const data = randomData(700 * KiB);
    const request = { sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) };
    const { id } = await store.beginUpload(request);
    await appendAll(store, id, data, 0, 64 * KiB, 500 * KiB);
    assert.equal(await store.uploadedPrefixSha256(id, 256 * KiB), sha256(data.subarray(0, 256 * KiB)));
    assertCondition(await caught(() => store.uploadedPrefixSha256(id, 500 * KiB + 1)), BadRequestError, "bad-request", "modify");
    await store.close();
    open();
    assert.equal(await store.uploadedPrefixSha256(id, 500 * KiB), sha256(data.subarray(0, 500 * KiB)));
    await appendAll(store, id, data, 500 * KiB);
    await store.finishUpload(id);
    assertCondition(await caught(() => store.uploadedPrefixSha256(id, 1)), NotUploadingError, "unexpected-request", "cancel");
  });

  it("lowers bytes_received to what is on disk when the file was cut behind the database's back", async () => {
    const data = randomData(2 * MiB);
    const request = { sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) };
    const { id } = await store.beginUpload(request);
    await appendAll(store, id, data, 0, 64 * KiB, 1536 * KiB);
    await store.close();
    const file = `${store.filesDir}/${fileNameOf(id)}`;
    truncateSync(file, 1000 * KiB + 17);
    assert.equal(committedOffset(id), 1536 * KiB, "the database still claims more than the disk has");

    open();
    const resumed = await store.beginUpload(request);
    assert.equal(resumed.offset, 1000 * KiB + 17);
    assert.equal(committedOffset(id), 1000 * KiB + 17, "corrected in the database");
    const err = await caught(() => store.append(id, 1536 * KiB, data.subarray(1536 * KiB)));
    assert.equal(err.expectedOffset, 1000 * KiB + 17);
    await appendAll(store, id, data, resumed.offset);
    assert.equal((await store.finishUpload(id)).state, "stored");
    assert.equal((await digestStream(store.readStream(id, BOB))).sha256, sha256(data));
  });

  it("cuts off bytes written beyond bytes_received (never committed) before resuming", async () => {
    const data = randomData(1 * MiB);
    const request = { sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) };
    const { id } = await store.beginUpload(request);
    await appendAll(store, id, data, 0, 64 * KiB, 512 * KiB);
    await store.close();
    const file = `${store.filesDir}/${fileNameOf(id)}`;
    appendFileSync(file, randomData(100 * KiB)); // as a crash between write and commit leaves it
    open();
    const resumed = await store.beginUpload(request);
    assert.equal(resumed.offset, 512 * KiB);
    assert.equal(statSync(file).size, 512 * KiB);
    await appendAll(store, id, data, resumed.offset);
    assert.equal((await store.finishUpload(id)).sha256, sha256(data));
  });

  it("does not store a file whose bytes do not match its sha-256: removes it, a retry starts over", async () => {
    const data = randomData(700 * KiB);
    const declared = sha256(Buffer.concat([data.subarray(1), Buffer.from([data[0] ^ 1])]));
    const request = { sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: declared };
    const { id } = await store.beginUpload(request);
    await appendAll(store, id, data);
    const err = await caught(() => store.finishUpload(id));
    assertCondition(err, HashMismatchError, "not-acceptable", "cancel");
    assert.equal(err.actual, sha256(data));
    assert.deepEqual(store.pendingFor(BOB), []);
    assert.equal(store.get(id, BOB), undefined);
    assert.deepEqual(store.sentBy(ALICE), []);
    assert.deepEqual(readdirSync(store.filesDir), []);
    const retry = await store.beginUpload(request);
    assert.notEqual(retry.id, id);
    assert.equal(retry.offset, 0);
  });

  it("reads a resumed upload back to check it: bytes damaged on disk while the store was closed are caught", async () => {
    // an upload taken from byte 0 is hashed as it is written; one resumed after a reopen had its
    // prefix written by another handle, so finishUpload must read the file, not trust a hash
    const data = randomData(1 * MiB + 5);
    const request = { sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) };
    const { id } = await store.beginUpload(request);
    await appendAll(store, id, data, 0, 64 * KiB, 512 * KiB);
    await store.close();
    const file = `${store.filesDir}/${fileNameOf(id)}`;
    const bytes = readFileSync(file);
    bytes[1000] ^= 1;
    writeFileSync(file, bytes);

    open();
    const resumed = await store.beginUpload(request);
    assert.equal(resumed.offset, 512 * KiB);
    await appendAll(store, id, data, resumed.offset);
    const err = await caught(() => store.finishUpload(id));
    assertCondition(err, HashMismatchError, "not-acceptable", "cancel");
    assert.deepEqual(store.pendingFor(BOB), []);
  });

  it("shows a file only to its recipient; anyone else learns what a missing id tells", async () => {
    const data = randomData(50 * KiB);
    const id = await upload(data);
    assert.equal(store.get(id, BOB), undefined, "not before it is stored");
    await store.finishUpload(id);

    assert.equal(store.get(id, `${BOB}/tablet`)?.id, id);
    assert.equal(store.get(id, "BOB@b.example")?.id, id);
    for (const requester of [EVE, ALICE, "b.example", "not a jid@", ""]) {
      assert.equal(store.get(id, requester), undefined, requester);
    }
    const missing = newFileId();
    assert.equal(store.get(missing, BOB), undefined);
    assert.equal(store.get("../../etc/passwd", BOB), undefined);

    const forEve = await caught(() => store.readStream(id, EVE));
    const forMissing = await caught(() => store.readStream(missing, BOB));
    assertCondition(forEve, NotFoundError, "item-not-found", "cancel");
    assert.equal(forEve.constructor, forMissing.constructor);
    assert.equal(forEve.message, forMissing.message);
    assert.equal(forEve.toElement().toString(), forMissing.toElement().toString());
    assert.deepEqual(store.pendingFor(EVE), []);
    assert.deepEqual(store.pendingFor(BOB).map((f) => f.id), [id]);
  });

  it("refuses a file above maxFileSize", async () => {
    await store.close();
    open({ limits: { maxFileSize: 1000 } });
    const err = await caught(() => store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: 1001, sha256: sha256(Buffer.alloc(1)) }));
    assertCondition(err, FileTooLargeError, "not-acceptable", "modify");
    assert.equal(err.maxFileSize, 1000);
    assert.ok(await store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: 1000, sha256: sha256(Buffer.alloc(1)) }));
  });

  it("enforces per-sender and per-recipient quotas on declared sizes; delivery frees them", async () => {
    await store.close();
    open({ limits: { senderQuotaBytes: 100 * KiB, recipientQuotaBytes: 150 * KiB, fileCostFloorBytes: 0 } });
    const a = randomData(60 * KiB);
    const b = randomData(60 * KiB);
    const idA = await upload(a);
    await store.finishUpload(idA);
    // reserved at begin: nothing appended yet, and still counted
    await store.beginUpload({ sender: EVE, recipient: BOB, name: "e", size: 60 * KiB, sha256: sha256(b) });
    const sender = await caught(() => store.beginUpload({ sender: ALICE, recipient: EVE, name: "b", size: b.length, sha256: sha256(b) }));
    assertCondition(sender, QuotaExceededError, "resource-constraint", "wait");
    assert.equal(sender.scope, "sender");
    assert.equal(sender.usedBytes, 60 * KiB);
    const recipient = await caught(() => store.beginUpload({ sender: "carol@c.example", recipient: BOB, name: "c", size: 31 * KiB, sha256: sha256(b) }));
    assertCondition(recipient, QuotaExceededError, "resource-constraint", "wait");
    assert.equal(recipient.scope, "recipient");
    assert.deepEqual(store.usage(BOB).asRecipient, { files: 2, reservedBytes: 120 * KiB, storedBytes: 60 * KiB });
    assert.deepEqual(store.usage(ALICE).asSender, { files: 1, reservedBytes: 60 * KiB, storedBytes: 60 * KiB });

    await store.markDelivered(idA);
    assert.deepEqual(store.usage(ALICE).asSender, { files: 0, reservedBytes: 0, storedBytes: 0 });
    assert.ok(await store.beginUpload({ sender: ALICE, recipient: EVE, name: "b", size: b.length, sha256: sha256(b) }));
  });

  it("accepts senders of allowed domains only", async () => {
    await store.close();
    open({ limits: { allowedSenderDomains: ["A.example"] } });
    const err = await caught(() => store.beginUpload({ sender: EVE, recipient: BOB, name: "f", size: 1, sha256: sha256(Buffer.alloc(1)) }));
    assertCondition(err, SenderNotAllowedError, "forbidden", "auth");
    assert.deepEqual(store.sentBy(EVE), []);
    assert.ok(await store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: 1, sha256: sha256(Buffer.alloc(1)) }));
  });

  it("refuses malformed requests with bad-request", async () => {
    const ok = { sender: ALICE, recipient: BOB, name: "f", size: 1, sha256: sha256(Buffer.alloc(1)) };
    for (const bad of [
      { ...ok, sha256: "nope" },
      { ...ok, sha256: sha256(Buffer.alloc(1)).replace("=", "") },
      { ...ok, size: -1 },
      { ...ok, size: 1.5 },
      { ...ok, sender: "@a.example" },
      { ...ok, recipient: "bo b@b.example" },
      { ...ok, recipient: "" },
    ]) {
      assertCondition(await caught(() => store.beginUpload(bad)), BadRequestError, "bad-request", "modify");
    }
    assert.deepEqual(store.sentBy(ALICE), []);
  });

  it("lists pending files per recipient and records delivery progress", async () => {
    const one = randomData(10 * KiB);
    const two = randomData(20 * KiB);
    const id1 = await upload(one);
    await store.finishUpload(id1);
    clock.t += 1000;
    const id2 = await upload(two, { recipient: `${BOB}/x` });
    assert.deepEqual(store.pendingFor(BOB).map((f) => f.id), [id1], "an upload in progress is not pending");
    await store.finishUpload(id2);
    const idEve = await upload(one, { recipient: EVE });
    await store.finishUpload(idEve);
    assert.deepEqual(store.pendingFor(BOB).map((f) => f.id), [id1, id2]);

    store.recordDeliveryProgress(id2, 5000);
    const f2 = store.get(id2, BOB)!;
    assert.equal(f2.state, "delivering");
    assert.equal(f2.deliveredOffset, 5000);
    assert.deepEqual(store.pendingFor(BOB).map((f) => [f.id, f.deliveredOffset]), [[id1, 0], [id2, 5000]]);
    assert.throws(() => store.recordDeliveryProgress(id2, two.length + 1), BadRequestError);
    assert.throws(() => store.recordDeliveryProgress(newFileId(), 0), NotFoundError);
  });

  it("markDelivered frees the bytes and keeps a receipt row for the sender", async () => {
    const data = randomData(300 * KiB);
    const id = await upload(data);
    await store.finishUpload(id);
    const file = `${store.filesDir}/${fileNameOf(id)}`;
    assert.equal(readFileSync(file).length, data.length);
    clock.t += 5000;
    const receipt = await store.markDelivered(id);
    assert.deepEqual(receipt, { id, sender: ALICE, recipient: BOB, name: "photo.jpg", size: data.length, sha256: sha256(data), deliveredAt: new Date(clock.t) });
    assert.ok(!existsSync(file), "bytes removed");
    assert.deepEqual(readdirSync(store.filesDir), []);
    assert.deepEqual(store.pendingFor(BOB), []);
    assert.throws(() => store.readStream(id, BOB), NotFoundError);
    const [row] = store.sentBy(ALICE);
    assert.equal(row.state, "delivered");
    assert.equal(row.deliveredOffset, data.length);
    assert.deepEqual(await store.markDelivered(id), receipt, "idempotent");
    await assert.rejects(store.markDelivered(newFileId()), NotFoundError);
  });

  it("serializes concurrent appends to one upload: one wins, the other learns the new offset", async () => {
    const data = randomData(64 * KiB);
    const request = { sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) };
    const [a, b] = await Promise.all([store.beginUpload(request), store.beginUpload(request)]);
    assert.equal(a.id, b.id, "one upload for both");
    const results = await Promise.allSettled([store.append(a.id, 0, data.subarray(0, 32 * KiB)), store.append(a.id, 0, data.subarray(0, 16 * KiB))]);
    assert.equal(results[0].status, "fulfilled");
    assert.equal(results[1].status, "rejected");
    assert.equal((results[1] as PromiseRejectedResult).reason.expectedOffset, 32 * KiB);
    await store.append(a.id, 32 * KiB, data.subarray(32 * KiB));
    assert.equal((await store.finishUpload(a.id)).sha256, sha256(data));
  });

  it("commits an idle upload's offset after idleCloseMs, not at every append", async () => {
    await store.close();
    open({ syncEveryBytes: 1024 * KiB, idleCloseMs: 50 });
    const data = randomData(256 * KiB);
    const { id } = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) });
    await store.append(id, 0, data.subarray(0, 100 * KiB));
    assert.equal(committedOffset(id), 0, "below syncEveryBytes: not yet committed");
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(committedOffset(id), 100 * KiB, "committed once idle");
    assert.equal(await store.append(id, 100 * KiB, data.subarray(100 * KiB)), data.length, "and it reopens on the next append");
  });

  it("commits every syncEveryBytes while the upload goes on", async () => {
    await store.close();
    open({ syncEveryBytes: 64 * KiB, idleCloseMs: 3600_000 });
    const data = randomData(256 * KiB);
    const { id } = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "f", size: data.length, sha256: sha256(data) });
    const seen: number[] = [];
    for (let at = 0; at < 200 * KiB; ) {
      at = await store.append(id, at, data.subarray(at, at + 20 * KiB));
      seen.push(committedOffset(id));
    }
    assert.deepEqual([...new Set(seen)], [0, 80 * KiB, 160 * KiB], "fdatasync + commit each time 64 KiB or more were unsynced");
  });

  it("stores an empty file", async () => {
    const { id, offset } = await store.beginUpload({ sender: ALICE, recipient: BOB, name: "empty", size: 0, sha256: sha256(Buffer.alloc(0)) });
    assert.equal(offset, 0);
    assert.equal((await store.finishUpload(id)).state, "stored");
    assert.equal((await digestStream(store.readStream(id, BOB))).length, 0);
  });
});
