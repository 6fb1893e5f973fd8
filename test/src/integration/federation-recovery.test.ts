// Automatic recovery across federation (issue 5): alice@a.test (Prosody) sends bob@b.test
// (ejabberd) a file over s2s while the fault proxy cuts alice's link to a.test, then bob's link to
// b.test. Nobody retries by hand: alice's auto-retransfer and bob's auto-receive finish it. As in
// recovery.test.ts, the sha-256 is checked and the bytes sent more than once are bounded.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { befriend } from "../helpers/roster.js";
import { autoTransferPlugin, type AutoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES, type Preferences } from "@xft/client-plugin/prefs/preferences.js";
import type { Federation } from "../harness/federation.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import type { XmppServer } from "../harness/servers.js";
import { useFederation } from "../helpers/federation-suite.js";
import { cutInTurn, WINDOW_BYTES } from "../helpers/cuts.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;

interface Peer {
  account: Account;
  plugin: AutoTransferPlugin;
  proxy: FaultProxy;
}

describe("federation: automatic recovery a.test -> b.test with cut links", function () {
  this.timeout(120_000);
  let fed: Federation;
  let work: string;
  const peers: Peer[] = [];
  useFederation((started) => void (fed = started));

  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") {
      console.log(`--- a.test log tail ---\n${(await fed.a.log()).slice(-3000)}\n--- b.test log tail ---\n${(await fed.b.log()).slice(-3000)}`);
    }
    for (const p of peers.splice(0)) {
      await p.account.close();
      await p.proxy.close();
    }
    await removeDir(work);
  });

  /** a user logged in on `server` through a fault proxy of their own */
  async function peer(user: string, server: XmppServer, prefs: Partial<Preferences>, dir?: string): Promise<Peer> {
    const proxy = await startFaultProxy({ host: new URL(server.service).hostname, port: server.c2sPort });
    const account = await openTestAccount({
      jid: `${user}@${server.host}`, password: `${user}pass`, service: proxy.service,
      reconnect: { backoff: { baseMs: 50, maxMs: 400 } },
    });
    const preferences = { ...DEFAULT_PREFERENCES, confirmTimeout: 15, ...prefs };
    const plugin = autoTransferPlugin(account.port, { preferences, network: account.network, downloadDir: dir, stallTimeout: 4 });
    await account.sendPresence();
    const p = { account, plugin, proxy };
    peers.push(p);
    return p;
  }

  async function pair(size: number) {
    const src = join(work, "file.bin");
    const expected = await randomFile(src, size);
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const alice = await peer("alice", fed.a, { offlineForward: false });
    const bob = await peer("bob", fed.b, { autoReceive: true }, inbox);
    // contacts, as users who send each other files are: bob's device answers alice's XEP-0353
    // propose only when she may see his presence (issue 12 item 10)
    await befriend(alice.account, bob.account);
    // the first offer of a new file is the application's to accept: here, at once; every
    // continuation after a cut is the plugin's own (auto-receive)
    bob.plugin.events.on("offer", (o) => void (o.continues ? o.decline("the plugin should have taken it") : o.accept(inbox)));
    return { src, expected, alice, bob, received: join(inbox, "file.bin") };
  }

  it("alice's link to a.test cut mid-transfer: finishes by itself across s2s, sha-256 equal, at most one window re-sent", async () => {
    const size = 6 * MiB;
    const { src, expected, alice, bob, received } = await pair(size);
    const r = await alice.plugin.sendFile("bob@b.test", src);
    await until("the first bytes", () => alice.plugin.ft.stats.bytesSent > MiB, 30_000);
    alice.proxy.cutAfter(256 * 1024, "up");
    const final = await r.done;
    assert.equal(final.outcome, "completed", final.reason);
    assert.equal(await sha256(received), expected);
    assert.ok(alice.proxy.connections() >= 1 && alice.account.xmpp.status === "online");
    const resent = alice.plugin.ft.stats.bytesSent - size;
    assert.ok(resent <= WINDOW_BYTES, `re-sent ${resent} bytes, more than one window`);
    // Prosody 0.12 cannot resume a stream cut mid-stanza going up (README, Compatibility): a new
    // session and one re-offer, which bob's plugin took at the byte he held
    assert.equal(final.reOffers, 1, "one re-offer after the cut");
    assert.equal(bob.plugin.ft.stats.bytesReceived, size, "bob wrote each byte exactly once");
  });

  it("bob's link to b.test cut mid-transfer: finishes by itself, sha-256 equal, at most one window re-sent", async () => {
    const size = 6 * MiB;
    const { src, expected, alice, bob, received } = await pair(size);
    const r = await alice.plugin.sendFile("bob@b.test", src);
    await until("the first bytes", () => bob.plugin.ft.stats.bytesReceived > MiB, 30_000);
    bob.proxy.cutAfter(256 * 1024, "down");
    const final = await r.done;
    assert.equal(final.outcome, "completed", final.reason);
    assert.equal(await sha256(received), expected);
    const resent = alice.plugin.ft.stats.bytesSent - size;
    assert.ok(resent <= WINDOW_BYTES, `re-sent ${resent} bytes, more than one window`);
  });

  it("cuts on both sides in turn (six): still one file, byte-exact, re-sent bytes bounded per cut", async () => {
    const size = 12 * MiB;
    const { src, expected, alice, bob, received } = await pair(size);
    const r = await alice.plugin.sendFile("bob@b.test", src);
    const cuts = await cutInTurn({ done: r.done, received: () => bob.plugin.ft.stats.bytesReceived, proxies: [alice.proxy, bob.proxy], count: 6, gap: 512 * 1024 });
    const final = await r.done;
    assert.equal(cuts, 6, "the file outlived six cuts");
    assert.equal(final.outcome, "completed", final.reason);
    assert.equal(await sha256(received), expected);
    const resent = alice.plugin.ft.stats.bytesSent - size;
    assert.ok(resent <= cuts * WINDOW_BYTES, `re-sent ${resent} bytes over ${cuts} cuts`);
  });
});
