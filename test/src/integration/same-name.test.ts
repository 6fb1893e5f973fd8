// Issue 12 item 1, against real servers: files offered under the same name never share a part
// file, so nothing a stranger sends can alter a verified file, and two friends sending
// "photo.jpg" at once both get through.
//  - mallory (a raw Jingle peer bob's `xft receive --accept-from-anyone` takes files from) offers
//    photo.jpg and keeps her session alive with 1-byte IBB blocks; alice sends the real photo.jpg
//    with `xft send`; bob verifies alice's file; then mallory sends the rest of hers. Alice's file
//    must be byte-identical afterwards and mallory's bytes must land only in a file of their own.
//  - alice and carol send different files both named photo.jpg at the same time: both arrive
//    intact under distinct names.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, stopRuns, type CliRun } from "../helpers/cli.js";
import { listDir, randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { openJinglePeer, type JinglePeer } from "../helpers/jingle-peer.js";
import { befriendUsers } from "../helpers/roster.js";
import { sleep } from "../helpers/wait.js";

const PHOTO_NAMES = ["photo (1).jpg", "photo.jpg"]; // as listDir sorts them

for (const kind of SERVER_KINDS) describe(`files offered under the same name through ${serverName(kind)} (issue 12 item 1)`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  let mallory: Account;
  let raw: JinglePeer;
  const runs: CliRun[] = [];
  const env = (user: string) => accountEnv(`${user}@${server.host}`, `${user}pass`, server.service);
  const track = (run: CliRun) => (runs.push(run), run);

  before(async () => {
    server = await startServer(kind);
    for (const u of ["alice", "bob", "carol", "mallory"]) await server.register(u, `${u}pass`);
    await befriendUsers(env("alice"), env("bob"));
    await befriendUsers(env("carol"), env("bob"));
    ({ account: mallory, peer: raw } = await openJinglePeer(server, "mallory", "raw"));
    work = await tempDir();
  });
  after(async () => {
    await stopRuns(runs);
    await mallory?.close();
    await server?.stop();
    if (work) await removeDir(work);
  });

  const receiver = async (inbox: string, count: number) => {
    const run = track(runXft(["receive", "--dir", inbox, "--count", String(count), "--timeout", "90", "--accept-from-anyone"], env("bob")));
    await run.ready();
    return { run, jid: /receiving as (\S+)/.exec(run.stderr())![1] };
  };
  const completedFrom = (run: CliRun, user: string) => run.waitFor((e) => e.type === "completed" && String(e.peer).startsWith(`${user}@`), 60_000);

  it("a stranger's session on photo.jpg, kept alive with 1-byte blocks, cannot touch alice's verified photo.jpg", async () => {
    const inbox = join(work, "stranger");
    const bob = await receiver(inbox, 2);
    const evil = randomBytes(64 * 1024);
    const evilSha = createHash("sha256").update(evil).digest("base64");
    const offer = await raw.offer(bob.jid, { name: "photo.jpg", size: evil.length, sha256: evilSha });
    await raw.openStream(bob.jid, offer);
    let seq = 0;
    let sent = 0;
    const block = async (data: Buffer) => {
      await raw.sendBlock(bob.jid, offer, seq++, data);
      sent += data.length;
    };
    await block(evil.subarray(0, 1));
    await bob.run.waitFor((e) => e.type === "started" && String(e.peer).startsWith("mallory@"));

    // alice sends while mallory's session on the same name trickles one byte at a time
    await mkdir(join(work, "alice"), { recursive: true });
    const src = join(work, "alice", "photo.jpg");
    const aliceSha = await randomFile(src, 256 * 1024);
    const alice = track(runXft(["send", `bob@${server.host}`, src, "--no-offline-forward", "--confirm-timeout", "50"], env("alice")));
    let trickling = true;
    const trickle = (async () => {
      while (trickling) {
        await block(evil.subarray(sent, sent + 1));
        await sleep(200);
      }
    })();
    const done = await completedFrom(bob.run, "alice");
    trickling = false;
    await trickle;
    assert.equal(await alice.exit, 0, `alice's send: ${alice.stderr()}`);
    assert.ok(PHOTO_NAMES.includes(String(done.path).split("/").pop()!), `alice's file under ${done.path}`);
    assert.equal(await sha256(done.path), aliceSha, "alice's file verified as sent");
    assert.ok(sent > 1 && sent < evil.length, `mallory's session still open with ${sent} bytes in`);

    // then the rest of mallory's bytes: they go to her own file, never into alice's
    for (let at = sent; at < evil.length; at += offer.blockSize) await block(evil.subarray(at, Math.min(at + offer.blockSize, evil.length)));
    const hers = await completedFrom(bob.run, "mallory");
    assert.equal(await bob.run.exit, 0, `the receiver took both files: ${bob.run.stderr()}`);
    assert.notEqual(hers.path, done.path, "mallory's file has a name of its own");
    assert.equal(await sha256(hers.path), evilSha, "mallory's bytes are in her own file");
    assert.equal(await sha256(done.path), aliceSha, "alice's verified file is byte-identical afterwards");
    assert.deepEqual(await listDir(inbox), PHOTO_NAMES, "two files, no part left");
  });

  it("alice and carol send different photo.jpg at the same time: both arrive intact under distinct names", async () => {
    const inbox = join(work, "friends");
    const bob = await receiver(inbox, 2);
    const sources: Record<string, { path: string; sha: string }> = {};
    for (const user of ["alice", "carol"]) {
      await mkdir(join(work, `${user}-2`), { recursive: true });
      const path = join(work, `${user}-2`, "photo.jpg");
      sources[user] = { path, sha: await randomFile(path, 4 * 1024 * 1024) };
    }
    const senders = ["alice", "carol"].map((user) =>
      track(runXft(["send", `bob@${server.host}`, sources[user].path, "--no-offline-forward", "--confirm-timeout", "80"], env(user))));
    const codes = await Promise.all(senders.map((s) => s.exit));
    assert.deepEqual(codes, [0, 0], `both sends: ${senders.map((s) => s.stderr()).join(" | ")}`);
    assert.equal(await bob.run.exit, 0, `the receiver took both: ${bob.run.stderr()}`);

    // the two transfers overlapped (what once made them write one part file), or this proves nothing
    const firstDone = bob.run.events.findIndex((e) => e.type === "completed");
    const startedBefore = new Set(bob.run.events.slice(0, firstDone).filter((e) => e.type === "started").map((e) => String(e.peer).split("@")[0]));
    assert.deepEqual([...startedBefore].sort(), ["alice", "carol"], "both transfers were under way at once");

    const paths = await Promise.all(["alice", "carol"].map(async (user) => {
      const e = await completedFrom(bob.run, user);
      assert.equal(await sha256(e.path), sources[user].sha, `${user}'s file intact under ${e.path}`);
      return String(e.path).split("/").pop();
    }));
    assert.deepEqual([...paths].sort(), PHOTO_NAMES, "distinct names");
    assert.deepEqual(await listDir(inbox), PHOTO_NAMES, "no part left");
  });
});
