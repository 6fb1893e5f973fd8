// Issue 12 item 8 with the real `xft receive` through real servers: new files only from the
// user's roster contacts by default (--from narrows, --accept-from-anyone opens); a stranger's
// offer is answered with a Jingle <decline/> and a `declined` event; nothing a sender does (a
// declined offer, a bad hash, a cut) ends the run, and only verified files it chose to take
// count toward --count. mallory is a stranger with a raw Jingle client (helpers/jingle-peer.ts),
// and so is carol, a contact, where the test is about failures.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileTransfer } from "@xft/protocol";
import { SERVER_KINDS, serverName } from "../harness/servers.js";
import { runXft, type CliRun } from "../helpers/cli.js";
import { listDir, randomFile, sha256 } from "../helpers/files.js";
import { jinglePeer, SHA_OF_EMPTY } from "../helpers/jingle-peer.js";
import { receiveSuite } from "../helpers/receive-suite.js";
import { openTestAccount } from "../helpers/account.js";

for (const kind of SERVER_KINDS) describe(`xft receive: who may send, and no sender can end it, through ${serverName(kind)} (issue 12 item 8)`, function () {
  this.timeout(120_000);
  const suite = receiveSuite(kind, ["alice", "bob", "carol"], [["alice", "bob"], ["carol", "bob"]]);
  const { env, bare, receiver, runs } = suite;

  /** `xft send` of a new random file from user to bob */
  async function send(user: string, name: string, size = 100_000) {
    const src = join(suite.work, name);
    const expected = await randomFile(src, size);
    const run = runXft(["send", bare("bob"), src, "--no-offline-forward", "--confirm-timeout", "15"], env(user));
    runs.push(run);
    return { run, expected };
  }

  async function takesAlicesFile(recv: CliRun, name = "photo.jpg") {
    const alice = await send("alice", name);
    assert.equal(await alice.run.exit, 0, alice.run.stderr());
    assert.equal(await recv.exit, 0, `${recv.stderr()} ${JSON.stringify(recv.events.slice(-4))}`);
    assert.equal(await sha256(join(suite.inbox, name)), alice.expected);
  }

  it("a stranger's offer is answered with a Jingle <decline/> and a declined event (peer, reason); the receiver goes on and takes alice's file", async () => {
    const { run, jid } = await receiver();
    const offer = await suite.raw.offer(jid, { name: "junk.bin", size: 100 });
    const declined = await run.waitFor((e) => e.type === "declined" && e.peer === suite.mallory.jid, 10_000);
    assert.match(String(declined.reason), /contacts only/);
    assert.equal(declined.name, "junk.bin");
    assert.equal(await suite.raw.terminated(offer), "decline", "mallory got session-terminate <decline/>");
    assert.equal(run.child.exitCode, null, "still running");
    await takesAlicesFile(run);
    assert.deepEqual(await listDir(suite.inbox), ["photo.jpg"], "nothing of mallory's");
  });

  it("a stranger's complete, well-formed file never counts toward --count: the receiver waits for alice's", async () => {
    const { run, jid } = await receiver("--auto-receive");
    // a real engine on another of mallory's devices: the file would pass its sha-256
    const device = await openTestAccount({ jid: bare("mallory"), password: "mallorypass", service: suite.server.service, resource: "engine", reconnect: false });
    try {
      const src = join(suite.work, "count-me.bin");
      await randomFile(src, 20_000);
      const t = await fileTransfer(device.port).send(jid, src);
      const done = await t.done;
      assert.equal(done.type, "declined", JSON.stringify(done));
    } finally {
      await device.close();
    }
    assert.equal(run.child.exitCode, null, "--count 1 not reached by mallory's file");
    await takesAlicesFile(run);
    assert.deepEqual(await listDir(suite.inbox), ["photo.jpg"]);
  });

  it("a contact's failed transfers (a bad hash, a cut mid-file) are failed events and do not end the run", async () => {
    // carol is a contact, here with a raw client that sends what the test wants
    const device = await openTestAccount({ jid: bare("carol"), password: "carolpass", service: suite.server.service, resource: "raw", reconnect: false });
    try {
      const carol = jinglePeer(device);
      const { run, jid } = await receiver();
      const badHash = await carol.offer(jid, { name: "bad-hash.bin", size: 5, sha256: SHA_OF_EMPTY });
      await carol.sendData(jid, badHash, Buffer.from("hello"));
      await run.waitFor((e) => e.type === "failed" && e.peer === device.jid && /sha-256 mismatch/.test(String(e.reason)), 10_000);
      const cut = await carol.offer(jid, { name: "cut.bin", size: 100 });
      await carol.sendData(jid, cut, Buffer.alloc(40));
      await carol.terminate(jid, cut, "failed-application");
      await run.waitFor((e) => e.type === "failed" && e.peer === device.jid && /failed-application/.test(String(e.reason)), 10_000);
      assert.equal(run.child.exitCode, null, "still running after two failures");
      await takesAlicesFile(run);
    } finally {
      await device.close();
    }
  });

  it("--from narrows: carol, a contact not named, is declined; alice, named, is taken", async () => {
    const { run } = await receiver("--from", bare("alice"));
    const carol = await send("carol", "from-carol.bin");
    const declined = await run.waitFor((e) => e.type === "declined" && String(e.peer).startsWith(bare("carol")), 20_000);
    assert.match(String(declined.reason), /chosen senders only/);
    assert.equal(await carol.run.exit, 1, "carol's send failed: declined");
    assert.equal(run.child.exitCode, null);
    await takesAlicesFile(run);
    assert.deepEqual(await listDir(suite.inbox), ["photo.jpg"]);
  });

  it("--accept-from-anyone opens it: a stranger's `xft send` is taken, byte-exact", async () => {
    const { run } = await receiver("--accept-from-anyone");
    const m = await send("mallory", "hello.bin");
    assert.equal(await m.run.exit, 0, m.run.stderr());
    assert.equal(await run.exit, 0, run.stderr());
    assert.equal(await sha256(join(suite.inbox, "hello.bin")), m.expected);
  });
});
