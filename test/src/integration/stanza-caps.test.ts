// Issue 12, item 13: ten 1 MB stanzas of empty elements from a hostile account, through a real
// server, to the real `xft-component` and to a receiving `xft receive`. Each is refused by the
// stream parser's per-stanza caps (policy-violation for an IQ) without being held, the
// connection stays up, the RSS stays bounded, and an honest transfer works afterwards.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createElement as xml, Element } from "ltx/lib/ltx.js";
import { IqError } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft } from "../helpers/cli.js";
import { componentEnv, runComponentBin, type ComponentRun } from "../helpers/component.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;
const vmRssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;

/** an IQ set of ~1 MB: 250 000 empty elements */
function junkIq(to: string): Element {
  const q = xml("q", { xmlns: "urn:example:junk" });
  for (let i = 0; i < 250_000; i++) q.cnode(new Element("a"));
  return xml("iq", { type: "set", to }, q);
}

async function sendTen(mallory: Account, to: string): Promise<string[]> {
  const conditions: string[] = [];
  for (let i = 0; i < 10; i++) {
    try {
      await mallory.port.request(junkIq(to), 30_000);
      conditions.push("result");
    } catch (err) {
      conditions.push(err instanceof IqError ? err.condition : String(err));
    }
  }
  return conditions;
}

for (const kind of SERVER_KINDS) describe(`stanza caps: 1 MB stanzas of empty elements through ${serverName(kind)}`, function () {
  this.timeout(180_000);
  let server: XmppServer;
  let work: string;
  let mallory: Account;
  let component: ComponentRun | undefined;

  before(async () => {
    server = await startServer(kind);
    for (const u of ["mallory", "alice", "bob"]) await server.register(u, `${u}pass`);
    work = await tempDir();
    mallory = await openTestAccount({ jid: `mallory@${server.host}`, password: "mallorypass", service: server.service });
  });
  after(async () => {
    await mallory?.close();
    await component?.stop();
    await server?.stop();
    await removeDir(work);
  });

  it("xft-component: each refused with policy-violation, RSS below 120 MiB, still takes an honest upload", async () => {
    component = runComponentBin([], componentEnv(server, join(work, "store.sqlite")));
    await component.waitForLog(/online as /);
    const before = vmRssMiB(component.child.pid!);
    const conditions = await sendTen(mallory, `files.${server.host}`);
    const after = vmRssMiB(component.child.pid!);
    console.log(`      component VmRSS ${before.toFixed(1)} -> ${after.toFixed(1)} MiB`);
    assert.deepEqual(conditions, Array(10).fill("policy-violation"));
    assert.ok(after < 120, `VmRSS ${after.toFixed(1)} MiB`);
    assert.doesNotMatch(component.stderr(), /reconnecting/, "the component kept its connection");
    // bob is offline: alice's file goes to the store
    const src = join(work, "honest.bin");
    const expected = await randomFile(src, MiB + 5);
    const sent = runXft(["send", `bob@${server.host}`, src, "--offline-forward", "--confirm-timeout", "2"], accountEnv(`alice@${server.host}`, "alicepass", server.service));
    assert.equal(await sent.exit, 0, `${JSON.stringify(sent.events.slice(-3))}\n${sent.stderr()}`);
    assert.ok(sent.events.some((e) => e.type === "stored-offline"), JSON.stringify(sent.events.slice(-3)));
    assert.ok(expected);
  });

  it("xft receive: each refused, RSS bounded, stays connected and receives an honest file", async () => {
    await component?.stop();
    component = undefined;
    const inbox = join(work, "inbox");
    const receiver = runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "120", "--accept-from-anyone"], accountEnv(`bob@${server.host}`, "bobpass", server.service));
    try {
      await receiver.ready();
      const before = vmRssMiB(receiver.child.pid!);
      // messages: to the bare JID they reach bob's online device (an IQ would be the server's to answer);
      // refused messages get no reply, so a ping after them shows they were all read
      for (let i = 0; i < 10; i++) await mallory.port.send(xml("message", { to: `bob@${server.host}`, type: "chat" }, junkIq("x").getChild("q")!));
      await mallory.port.request(xml("iq", { type: "get", to: server.host }, xml("ping", { xmlns: "urn:xmpp:ping" })), 30_000);
      await new Promise((r) => setTimeout(r, 3000)); // the server relays ~10 MB to bob: let it arrive
      const after = vmRssMiB(receiver.child.pid!);
      console.log(`      xft receive VmRSS ${before.toFixed(1)} -> ${after.toFixed(1)} MiB`);
      assert.ok(after < 120, `VmRSS ${after.toFixed(1)} MiB`);
      assert.doesNotMatch(receiver.stderr(), /connection lost/);
      const src = join(work, "honest2.bin");
      const expected = await randomFile(src, MiB + 7);
      const sent = runXft(["send", `bob@${server.host}`, src, "--no-offline-forward"], accountEnv(`alice@${server.host}`, "alicepass", server.service));
      assert.equal(await sent.exit, 0, sent.stderr());
      assert.equal(await receiver.exit, 0, receiver.stderr());
      assert.equal(await sha256(join(inbox, "honest2.bin")), expected);
    } finally {
      receiver.child.kill("SIGTERM");
      await receiver.exit;
    }
  });
});
