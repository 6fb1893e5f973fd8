// Two people on one real server (Prosody, ejabberd) send each other files with one command each (the `xft` CLI).
import assert from "node:assert/strict";
import { stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft } from "../helpers/cli.js";
import { listDir, randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";

for (const kind of SERVER_KINDS) describe(`xft send / receive through ${serverName(kind)}`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
    alice = accountEnv(`alice@${server.host}`, "alicepass", server.service);
    bob = accountEnv(`bob@${server.host}`, "bobpass", server.service);
    await befriendUsers(alice, bob); // `xft receive` takes new files from contacts only
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    await removeDir(work);
  });

  async function transfer(size: number, extra: string[] = []) {
    const src = join(work, "source.bin");
    const expected = await randomFile(src, size);
    const inbox = join(work, "inbox");
    const receiver = runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "100", ...extra], bob);
    await receiver.ready();
    const sender = runXft(["send", `bob@${server.host}`, src, ...extra], alice);
    const [sendCode, recvCode] = await Promise.all([sender.exit, receiver.exit]);
    assert.equal(sendCode, 0, `sender failed: ${sender.stderr()} ${JSON.stringify(sender.events.slice(-3))}`);
    assert.equal(recvCode, 0, `receiver failed: ${receiver.stderr()} ${JSON.stringify(receiver.events.slice(-3))}`);
    const files = await listDir(inbox);
    assert.deepEqual(files, ["source.bin"], "exactly the file, no partial left");
    assert.equal(await sha256(join(inbox, "source.bin")), expected);
    assert.equal((await stat(join(inbox, "source.bin"))).size, size);
    return { sender, receiver, expected };
  }

  it("sends 0 bytes", async () => {
    const { sender, receiver, expected } = await transfer(0);
    const done = sender.events.find((e) => e.type === "completed");
    assert.equal(done?.sha256, expected);
    assert.ok(receiver.events.some((e) => e.type === "completed" && e.size === 0));
  });

  it("sends 1 byte", async () => {
    await transfer(1);
  });

  it("sends 10 MiB byte-exact, with started and completed events carrying offsets", async () => {
    const { sender, receiver } = await transfer(10 * 1024 * 1024);
    const started = sender.events.find((e) => e.type === "started");
    assert.equal(started?.offset, 0);
    assert.equal(started?.size, 10 * 1024 * 1024);
    const completed = receiver.events.find((e) => e.type === "completed");
    assert.equal(completed?.offset, 10 * 1024 * 1024);
  });

  it("wraps the IBB seq past 65535 (65,600 blocks of 16 bytes)", async () => {
    await transfer(65_600 * 16, ["--block-size", "16", "--window", "64"]);
  });

  it("exits 2 with one line on usage errors", async () => {
    const run = runXft(["send", "bob@localhost"], alice);
    assert.equal(await run.exit, 2);
    assert.match(run.stderr(), /^xft: usage: xft send TO_JID FILE\n$/);
    const missing = runXft(["send", "bob@localhost", join(work, "nope")], alice);
    assert.equal(await missing.exit, 2);
    assert.match(missing.stderr(), /no such file/);
  });

  it("fails (exit 1, failed event) when nobody is there to receive", async () => {
    const src = join(work, "f.bin");
    await writeFile(src, "hello");
    // nobody confirms within 2 s, and without offline forwarding that is the end of this run
    const sender = runXft(["send", `bob@${server.host}`, src, "--confirm-timeout", "2", "--no-offline-forward"], alice);
    assert.equal(await sender.exit, 1);
    const failed = sender.events.find((e) => e.type === "failed" || e.type === "prompt");
    assert.ok(failed, "a failed or prompt event");
    assert.match(String(failed.reason), /bob@\S+ did not confirm within 2 s/);
  });
});
