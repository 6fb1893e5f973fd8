// Hostile and malformed stanzas from a real account through a real server (Prosody, ejabberd) to a receiver
// running the engine: each gets the right stanza error, the receiver stays up, nothing is
// written outside its directory and no partial file is ever presented as complete.
import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import {
  fileTransfer, IqError, makeData, makeDescription, makeIbbTransport, makeJingle, makeOpen, NS_JINGLE,
  type FileTransfer, type Jingle, type TransferEvent,
} from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { listDir, randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { openTestAccount } from "../helpers/account.js";

const SHA_OF_EMPTY = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

for (const kind of SERVER_KINDS) describe(`bad input to the engine through ${serverName(kind)}`, function () {
  this.timeout(60_000);
  let server: XmppServer;
  let work: string;
  let inbox: string;
  let mallory: Account;
  let bob: Account;
  let alice: Account;
  let aliceSends: FileTransfer;
  let receiver: FileTransfer;
  const events: TransferEvent[] = [];
  const toMallory: Element[] = [];
  let n = 0;

  before(async () => {
    server = await startServer(kind);
    await server.register("mallory", "mallorypass");
    await server.register("bob", "bobpass");
    await server.register("alice", "alicepass");
    work = await tempDir();
    inbox = join(work, "inbox");
    await mkdir(inbox);
    mallory = await openTestAccount({ jid: `mallory@${server.host}`, password: "mallorypass", service: server.service });
    bob = await openTestAccount({ jid: `bob@${server.host}`, password: "bobpass", service: server.service });
    // an honest sender on its own account (one engine per connection: it owns the Jingle handler)
    alice = await openTestAccount({ jid: `alice@${server.host}`, password: "alicepass", service: server.service });
    aliceSends = fileTransfer(alice.port);
    // mallory acknowledges whatever Jingle bob sends back, so sessions stay up
    mallory.port.onIqSet(NS_JINGLE, "jingle", async (_iq, el) => void toMallory.push(el));
    receiver = fileTransfer(bob.port);
    receiver.on("offer", (offer) => void offer.accept(inbox));
    for (const t of ["interrupted", "completed", "failed"] as const) receiver.on(`transfer-${t}` as "transfer-failed", (e: TransferEvent) => events.push(e));
  });
  after(async () => {
    await mallory?.close();
    await alice?.close();
    await bob?.close();
    await server?.stop();
    await removeDir(work);
  });

  const iq = (child: Element) => xml("iq", { type: "set", to: bob.jid }, child);

  async function expectError(child: Element, condition: string, app?: string): Promise<IqError> {
    try {
      await mallory.port.request(iq(child), 10_000);
    } catch (err) {
      assert.ok(err instanceof IqError, String(err));
      assert.equal(err.condition, condition, err.message);
      return err;
    }
    assert.fail(`expected ${condition}${app ? "/" + app : ""}, got a result`);
  }

  /** A session offered by mallory and accepted by bob; returns its ids. */
  /** a distinct made-up sha-256 per session, so no session resumes another's partial file */
  const fakeSha = () => Buffer.alloc(32, n + 1).toString("base64");

  async function offered(size: number, sha = fakeSha(), name = `f${++n}.bin`, blockSize = 4096) {
    const sid = `s${n}-${Date.now()}`;
    const ibb = `i${n}-${Date.now()}`;
    const j: Jingle = {
      action: "session-initiate", sid, initiator: mallory.jid,
      contents: [{
        creator: "initiator", name: "f", senders: "initiator",
        description: makeDescription({ name, size, hashes: [{ algo: "sha-256", value: sha }], range: {}, extensions: [] }),
        transport: makeIbbTransport({ sid: ibb, blockSize, stanza: "iq" }),
      }],
    };
    await mallory.port.request(iq(makeJingle(j)));
    await new Promise((r) => setTimeout(r, 200)); // bob accepts
    await mallory.port.request(iq(makeOpen(ibb, blockSize)));
    return { sid, ibb, name };
  }

  async function assertNothingComplete(name: string) {
    assert.ok(!(await readdir(inbox)).includes(name), `${name} must not be presented as complete`);
  }

  it("malformed jingle: no sid -> bad-request", async () => {
    await expectError(xml("jingle", { xmlns: NS_JINGLE, action: "session-info" }), "bad-request");
  });

  it("unknown jingle action -> bad-request", async () => {
    await expectError(xml("jingle", { xmlns: NS_JINGLE, action: "dance", sid: "x" }), "bad-request");
  });

  it("a Jingle action for an unknown session -> item-not-found", async () => {
    await expectError(makeJingle({ action: "session-accept", sid: "nope", contents: [] }), "item-not-found");
  });

  it("IBB data for an unknown sid -> item-not-found", async () => {
    await expectError(makeData("no-such-stream", 0, Buffer.from("hi")), "item-not-found");
  });

  it("an offer without <size/> -> bad-request (one without <hash/> is taken: hashless.test.ts)", async () => {
    const j = makeJingle({
      action: "session-initiate", sid: "nosize", initiator: mallory.jid,
      contents: [{ creator: "initiator", name: "f", senders: "initiator", description: makeDescription({ name: "x", hashes: [{ algo: "sha-256", value: SHA_OF_EMPTY }], extensions: [] }), transport: makeIbbTransport({ sid: "i", blockSize: 4096, stanza: "iq" }) }],
    });
    await expectError(j, "bad-request");
  });

  it("an offer with a negative size -> bad-request", async () => {
    const j = makeJingle({
      action: "session-initiate", sid: "negsize", initiator: mallory.jid,
      contents: [{ creator: "initiator", name: "f", senders: "initiator", description: makeDescription({ name: "x", size: 3, hashes: [{ algo: "sha-256", value: SHA_OF_EMPTY }], extensions: [] }), transport: makeIbbTransport({ sid: "i", blockSize: 4096, stanza: "iq" }) }],
    });
    j.getChild("content")!.getChild("description")!.getChild("file")!.getChild("size")!.children = ["-5"];
    await expectError(j, "bad-request");
  });

  it("out-of-order seq -> unexpected-request, transfer interrupted, partial not complete", async () => {
    const { ibb, name } = await offered(100);
    await mallory.port.request(iq(makeData(ibb, 0, Buffer.alloc(10))));
    await expectError(makeData(ibb, 2, Buffer.alloc(10)), "unexpected-request");
    await assertNothingComplete(name);
  });

  it("a repeated seq -> unexpected-request", async () => {
    const { ibb, name } = await offered(100);
    await mallory.port.request(iq(makeData(ibb, 0, Buffer.alloc(10))));
    await expectError(makeData(ibb, 0, Buffer.alloc(10)), "unexpected-request");
    await assertNothingComplete(name);
  });

  it("bad base64 -> bad-request", async () => {
    const { ibb, name } = await offered(100);
    await expectError(xml("data", { xmlns: "http://jabber.org/protocol/ibb", sid: ibb, seq: "0" }, "not*base64!"), "bad-request");
    await assertNothingComplete(name);
  });

  it("a block larger than negotiated -> not-acceptable", async () => {
    const { ibb, name } = await offered(100_000, undefined, undefined, 1024);
    await expectError(makeData(ibb, 0, Buffer.alloc(2048)), "not-acceptable");
    await assertNothingComplete(name);
  });

  it("more bytes than the announced size -> not-acceptable, nothing kept", async () => {
    const { ibb, name } = await offered(10);
    await expectError(makeData(ibb, 0, Buffer.alloc(20)), "not-acceptable");
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!(await readdir(inbox)).some((f) => f.startsWith(name)), "no file and no partial");
  });

  it("fewer bytes than announced, then close -> interrupted, kept only as a partial", async () => {
    const { ibb, name } = await offered(100);
    await mallory.port.request(iq(makeData(ibb, 0, Buffer.alloc(40))));
    await mallory.port.request(iq(xml("close", { xmlns: "http://jabber.org/protocol/ibb", sid: ibb })));
    await new Promise((r) => setTimeout(r, 200));
    const files = await readdir(inbox);
    assert.ok(files.some((f) => f.startsWith(`${name}.`) && f.endsWith(".xft-part")), `the partial is kept for a resume: ${files}`);
    await assertNothingComplete(name);
    assert.ok(events.some((e) => e.type === "interrupted" && e.offset === 40));
  });

  it("the right bytes with a wrong hash -> failed, nothing presented", async () => {
    const { ibb, name } = await offered(5, SHA_OF_EMPTY);
    await mallory.port.request(iq(makeData(ibb, 0, Buffer.from("hello"))));
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(!(await readdir(inbox)).some((f) => f.startsWith(name)));
    assert.ok(events.some((e) => e.type === "failed" && /sha-256 mismatch/.test(String(e.reason))));
  });

  for (const evil of ["../escaped.bin", "/tmp/absolute.bin", "del\u007f tab\t.bin", "ctl\u0001\u001f.bin", "..", "sub/dir/../../x.bin"]) {
    it(`a file named ${JSON.stringify(evil)} lands inside the target dir`, async () => {
      const sender = aliceSends;
      const src = join(work, "payload.bin");
      const expected = await randomFile(src, 1000);
      const t = await sender.send(bob.jid, src, { name: evil });
      const done = await t.done;
      assert.equal(done.type, "completed");
      const after = await listDir(inbox);
      const landed = after.filter((f) => !f.includes("xft-part") && !f.startsWith("f"));
      assert.equal(landed.length, 1, `one new file in the inbox: ${after}`);
      assert.ok(!landed[0].includes("/"));
      assert.equal(await sha256(join(inbox, landed[0])), expected);
      await removeDir(join(inbox, landed[0]));
        assert.deepEqual(await listDir(work), ["inbox", "payload.bin"], "nothing written beside the inbox");
    });
  }

  it("a second session-initiate with a sid in use -> conflict (tie-break)", async () => {
    const { sid } = await offered(100);
    const again = makeJingle({
      action: "session-initiate", sid, initiator: mallory.jid,
      contents: [{ creator: "initiator", name: "f", senders: "initiator", description: makeDescription({ name: "x", size: 3, hashes: [{ algo: "sha-256", value: fakeSha() }], extensions: [] }), transport: makeIbbTransport({ sid: "other", blockSize: 4096, stanza: "iq" }) }],
    });
    await expectError(again, "conflict");
  });

  it("a session-accept whose range starts beyond the file -> bad-request to the sender's peer", async () => {
    const src = join(work, "ranged.bin");
    await randomFile(src, 1000);
    const t = await aliceSends.send(mallory.jid, src);
    await new Promise((r) => setTimeout(r, 200));
    const initiate = toMallory.find((j) => j.attrs.sid === t.sid);
    assert.ok(initiate, "mallory got the offer");
    const content = initiate.getChild("content")!;
    const accept = makeJingle({
      action: "session-accept", sid: t.sid, responder: mallory.jid,
      contents: [{
        creator: "initiator", name: String(content.attrs.name), senders: "initiator",
        description: makeDescription({ name: "ranged.bin", size: 1000, hashes: [], range: { offset: 5000 }, extensions: [] }),
        transport: content.getChild("transport")!,
      }],
    });
    try {
      await mallory.port.request(xml("iq", { type: "set", to: alice.jid }, accept), 10_000);
      assert.fail("expected an error");
    } catch (err) {
      assert.ok(err instanceof IqError);
      assert.equal(err.condition, "bad-request");
    }
    t.cancel("test over");
  });

  it("IBB data in message stanzas (stanza='message') is received too", async () => {
    await bob.close(); // a fresh receiver engine is not needed: use carol with one
    bob = await openTestAccount({ jid: `bob@${server.host}`, password: "bobpass", service: server.service });
    receiver = fileTransfer(bob.port);
    receiver.on("offer", (offer) => void offer.accept(inbox));
    const carol = await openTestAccount({ jid: `alice@${server.host}`, password: "alicepass", service: server.service, resource: "msg" });
    try {
      const sender = fileTransfer(carol.port, { stanza: "message", blockSize: 4096 });
      const src = join(work, "by-message.bin");
      const expected = await randomFile(src, 300_000);
      const t = await sender.send(bob.jid, src);
      assert.equal((await t.done).type, "completed");
      assert.equal(await sha256(join(inbox, "by-message.bin")), expected);
    } finally {
      await carol.close();
    }
  });

  it("after all that the receiver still takes a normal file", async () => {
    const sender = aliceSends;
    const src = join(work, "normal.bin");
    const expected = await randomFile(src, 50_000);
    const t = await sender.send(bob.jid, src);
    assert.equal((await t.done).type, "completed");
    assert.equal(await sha256(join(inbox, "normal.bin")), expected);
  });
});
