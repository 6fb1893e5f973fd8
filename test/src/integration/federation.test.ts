// Across servers: alice@a.test on Prosody and bob@b.test on ejabberd, federated over s2s with
// dialback (test/src/harness/federation.ts). A file goes each way with the `xft` CLI, and bob's
// preferences live on his own server.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Federation } from "../harness/federation.js";
import { accountEnv, execXft, runXft } from "../helpers/cli.js";
import { useFederation } from "../helpers/federation-suite.js";
import { listDir, randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";

describe("federation: Prosody a.test <-> ejabberd b.test", function () {
  this.timeout(120_000);
  let fed: Federation;
  let work: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  useFederation(async (started) => {
    fed = started;
    alice = accountEnv("alice@a.test", "alicepass", fed.a.service);
    bob = accountEnv("bob@b.test", "bobpass", fed.b.service);
    await befriendUsers(alice, bob); // `xft receive` takes new files from contacts only
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    await removeDir(work);
  });

  async function transfer(from: Record<string, string>, to: Record<string, string>, size: number) {
    const src = join(work, "across.bin");
    const expected = await randomFile(src, size);
    const inbox = join(work, "inbox");
    const receiver = runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "100"], to);
    await receiver.ready();
    const sender = runXft(["send", to.XFT_JID, src], from);
    const [sendCode, recvCode] = await Promise.all([sender.exit, receiver.exit]);
    const why = async () => `sender: ${sender.stderr()} ${JSON.stringify(sender.events.slice(-3))}; ` +
      `receiver: ${receiver.stderr()}\n--- a.test log tail ---\n${(await fed.a.log()).slice(-3000)}` +
      `\n--- b.test log tail ---\n${(await fed.b.log()).slice(-3000)}`;
    assert.equal(sendCode, 0, `sender failed: ${sendCode === 0 ? "" : await why()}`);
    assert.equal(recvCode, 0, `receiver failed: ${recvCode === 0 ? "" : await why()}`);
    assert.deepEqual(await listDir(inbox), ["across.bin"]);
    assert.equal(await sha256(join(inbox, "across.bin")), expected);
    assert.equal(sender.events.find((e) => e.type === "completed")?.sha256, expected);
  }

  it("alice@a.test sends bob@b.test 3 MiB with xft: sha-256 equal", async () => {
    await transfer(alice, bob, 3 * 1024 * 1024 + 7);
    // really across servers: Prosody opened s2s to ejabberd, authenticated by dialback
    assert.match(await fed.a.log(), /Outgoing s2s connection a\.test->b\.test complete/);
    assert.match(await fed.b.log(), /Accepted inbound s2s dialback authentication a\.test -> b\.test/);
  });

  it("and back: bob@b.test sends alice@a.test a file", async () => {
    await transfer(bob, alice, 200_001);
  });

  it("bob's preferences are stored on b.test (ejabberd's private storage)", async () => {
    const set = await execXft(["prefs", "set", "auto-receive=true", "component=files.b.test"], bob);
    assert.equal(set.code, 0, set.stderr);
    const get = await execXft(["prefs", "get", "--json"], { ...bob, XFT_JID: "bob@b.test/other-device" });
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(JSON.parse(get.stdout), {
      "auto-retransfer": true, "auto-receive": true, "offline-forward": true, "confirm-timeout": 60, component: "files.b.test",
    });
  });
});
