// The engine through a real server (Prosody, ejabberd), driven in-process: resume from a partial file, pull, a
// hash mismatch, a restarted receiver. Both ends are real accounts on a real server.
import assert from "node:assert/strict";
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ENGINE_FEATURES, fileTransfer, makeInfoQuery, NS_CAPS, NS_DISCO_INFO, parseInfo, type FileTransfer, type IqError, type TransferEvent } from "@xft/protocol";
import { createElement as xml } from "ltx/lib/ltx.js";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { listDir, randomFile, removeDir, seedPartial, sha256, tempDir } from "../helpers/files.js";
import { openTestAccount } from "../helpers/account.js";

function collect(ft: FileTransfer) {
  const events: TransferEvent[] = [];
  for (const t of ["started", "resumed", "interrupted", "completed", "failed", "declined"] as const) {
    ft.on(`transfer-${t}`, (e: TransferEvent) => events.push(e));
  }
  return events;
}

for (const kind of SERVER_KINDS) describe(`engine through ${serverName(kind)}`, function () {
  this.timeout(90_000);
  let server: XmppServer;
  let work: string;
  const accounts: Account[] = [];

  async function login(user: string, resource?: string) {
    const a = await openTestAccount({ jid: `${user}@${server.host}`, password: `${user}pass`, service: server.service, resource });
    accounts.push(a);
    return a;
  }

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    await Promise.all(accounts.splice(0).map((a) => a.close()));
    await removeDir(work);
  });

  it("a client answers disco#info with the engine's features (xep-draft: Determining Support)", async () => {
    const a = await login("alice");
    const b = await login("bob");
    const result = await a.port.request(xml("iq", { type: "get", to: b.jid }, makeInfoQuery()));
    const info = parseInfo(result.getChild("query", NS_DISCO_INFO)!);
    assert.deepEqual(info.features, [...ENGINE_FEATURES, NS_CAPS], "the engine's features and XEP-0115 caps");
    assert.ok(info.features.includes("urn:xmpp:jingle-ft-recovery:0"));
    assert.deepEqual(info.identities.map((i) => [i.category, i.type]), [["client", "pc"]]);
    const node = await a.port.request(xml("iq", { type: "get", to: b.jid }, makeInfoQuery("x"))).then(() => "answered", (e: IqError) => e.condition);
    assert.equal(node, "item-not-found");
  });

  it("resumes from a partial file on disk: the sender sends only the rest", async () => {
    const src = join(work, "big.bin");
    const size = 3 * 1024 * 1024 + 123;
    const expected = await randomFile(src, size);
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    // a receiver that was restarted after getting the first `have` bytes
    const have = 1_234_567;
    const a = await login("alice");
    const b = await login("bob");
    await seedPartial(src, inbox, { name: "big.bin", have, peer: a.jid, size, sha256: expected });
    const sender = fileTransfer(a.port);
    const receiver = fileTransfer(b.port);
    const sent = collect(sender);
    receiver.on("offer", (offer) => void offer.accept(inbox));
    let bytesOnWire = 0;
    sender.on("transfer-progress", (e) => (bytesOnWire = e.offset));
    const transfer = await sender.send(b.jid, src);
    const done = await transfer.done;
    assert.equal(done.type, "completed");
    const resumed = sent.find((e) => e.type === "resumed");
    assert.equal(resumed?.offset, have, "the sender resumed at the receiver's byte");
    assert.ok(!sent.some((e) => e.type === "started"), "not restarted from 0");
    assert.equal(bytesOnWire, size);
    assert.equal(await sha256(join(inbox, "big.bin")), expected);
    assert.deepEqual(await listDir(inbox), ["big.bin"]);
  });

  it("a receiver pulls the remainder of a file it was offered (XEP-0234 request with range)", async () => {
    const src = join(work, "pulled.bin");
    const size = 2 * 1024 * 1024;
    const expected = await randomFile(src, size);
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const a = await login("alice");
    const b = await login("bob");
    const sender = fileTransfer(a.port);
    const receiver = fileTransfer(b.port);
    // bob declines the push; alice still hosts the file for bob
    receiver.on("offer", (offer) => offer.decline("later"));
    const offered = await sender.send(b.jid, src);
    assert.equal((await offered.done).type, "declined");
    // bob has the first half from somewhere (an earlier interrupted transfer)
    await seedPartial(src, inbox, { name: "pulled.bin", have: size / 2, peer: a.jid, size, sha256: expected });
    const got = collect(receiver);
    const pull = await receiver.request(a.jid, { sha256: expected, size, name: "pulled.bin" }, inbox);
    const done = await pull.done;
    assert.equal(done.type, "completed", JSON.stringify(got));
    assert.equal(got.find((e) => e.type === "resumed")?.offset, size / 2);
    assert.equal(await sha256(join(inbox, "pulled.bin")), expected);
  });

  it("refuses to serve a pull for a file that was never offered to the requester", async () => {
    const a = await login("alice");
    const b = await login("bob");
    fileTransfer(a.port);
    const receiver = fileTransfer(b.port);
    const pull = await receiver.request(a.jid, { sha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", size: 10, name: "secret" }, work);
    const done = await pull.done;
    assert.notEqual(done.type, "completed");
    assert.deepEqual((await listDir(work)).filter((n) => !n.endsWith(".xft-part") && !n.endsWith(".json")), []);
  });

  it("a hash mismatch is never presented as complete", async () => {
    const src = join(work, "liar.bin");
    await randomFile(src, 100_000);
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const a = await login("alice");
    const b = await login("bob");
    const sender = fileTransfer(a.port);
    const receiver = fileTransfer(b.port);
    const receiverFailed = new Promise<TransferEvent>((resolve) => receiver.on("transfer-failed", resolve));
    receiver.on("offer", (offer) => void offer.accept(inbox));
    const st = await stat(src);
    const wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    const t = await sender.send(b.jid, src, { local: { path: src, name: "liar.bin", size: st.size, date: st.mtime.toISOString(), sha256: wrong, checkpoints: [] } });
    const done = await t.done;
    assert.equal(done.type, "failed");
    const failed = await receiverFailed;
    assert.match(String(failed.reason), /sha-256 mismatch/);
    assert.match(String(done.reason), /media-error: sha-256 mismatch/, "the sender is told why");
    assert.deepEqual(await listDir(inbox), [], "neither the file nor a partial remains");
  });

  it("a receiver restarted mid-transfer resumes from its partial file on the next offer", async () => {
    const src = join(work, "restart.bin");
    const size = 8 * 1024 * 1024;
    const expected = await randomFile(src, size);
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const a = await login("alice");
    const b1 = await login("bob", "first");
    const sender = fileTransfer(a.port, { window: 2, blockSize: 4096, requestTimeout: 10 });
    const receiver1 = fileTransfer(b1.port);
    receiver1.on("offer", (offer) => void offer.accept(inbox));
    const firstTry = await sender.send(b1.jid, src);
    // the receiver's process "dies" once some bytes are on disk
    await new Promise<void>((resolve) => receiver1.on("transfer-progress", (e) => e.offset > 200_000 && resolve()));
    (b1.xmpp as any).socket?.destroy();
    const first = await firstTry.done;
    assert.equal(first.type, "interrupted", `sender sees ${first.type}: ${first.reason}`);
    const part = (await listDir(inbox)).find((f) => /^restart\.bin\.[0-9a-f]+\.xft-part$/.test(f)); // each session has its own part file
    assert.ok(part, "a partial is kept");
    const kept = (await stat(join(inbox, part))).size;
    assert.ok(kept > 0 && kept < size, `partial of ${kept} bytes kept`);
    const b2 = await login("bob", "second");
    const receiver2 = fileTransfer(b2.port);
    receiver2.on("offer", (offer) => void offer.accept(inbox));
    const got = collect(sender);
    const second = await sender.send(b2.jid, src);
    assert.equal((await second.done).type, "completed");
    assert.equal(got.find((e) => e.type === "resumed")?.offset, kept);
    assert.equal(await sha256(join(inbox, "restart.bin")), expected);
    assert.ok((await readFile(join(inbox, "restart.bin"))).length === size);
  });
});
