// Automatic retransfer and reception (issue 3) through a real Prosody, with real TCP faults from
// the fault proxy between each client and the server. No test calls resume() or accept() by
// hand unless it says so: the plugin recovers by itself. Each checks the sha-256 and counts the
// bytes sent more than once (engine stats: bytes handed to the link minus the file size).
import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { RECEIVED_LEDGER, WRITE_BEHIND } from "@xft/protocol";
import { autoTransferPlugin, type AutoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES, type Preferences } from "@xft/client-plugin/prefs/preferences.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { startEjabberd } from "../harness/ejabberd.js";
import { startProsody } from "../harness/prosody.js";
import { SERVER_KINDS, serverName, type ServerKind, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft } from "../helpers/cli.js";
import { cutInTurn, WINDOW_BYTES } from "../helpers/cuts.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";
import { sleep, until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;

interface Peer {
  account: Account;
  plugin: AutoTransferPlugin;
  proxy: FaultProxy;
}

/** XFT_TRACE=1 prints each peer's connection and transfer events: the story of a failing test */
const TRACE = Boolean(process.env.XFT_TRACE);
const t0 = Date.now();
function trace(who: string, account: Account, plugin: AutoTransferPlugin, proxy?: FaultProxy): void {
  if (!TRACE) return;
  const log = (what: string, e?: unknown) => console.log(`${String(Date.now() - t0).padStart(6)} ${who} ${what}`, e === undefined ? "" : JSON.stringify(e));
  const xmpp = account.xmpp as unknown as { on(e: string, f: (...a: unknown[]) => void): void };
  for (const s of ["online", "disconnect", "offline"]) xmpp.on(s, () => log(s));
  const sm = account.xmpp.streamManagement;
  sm?.on("resumed", (i) => log("sm-resumed", { ...i, unacked: sm.unacked.length, inbound: sm.inbound }));
  sm?.on("fail", (lost, why) => log("sm-fail", { lost: lost.length, why }));
  sm?.on("invalid-ack", (i) => log("sm-invalid-ack", i));
  sm?.on("timeout", (i) => log("sm-timeout", i));
  const tick = setInterval(() => log("stats", { ...plugin.ft.stats, proxy: proxy?.bytes, conns: proxy?.connections(), unacked: sm?.unacked.length, status: account.xmpp.status }), 1000);
  tick.unref();
  for (const t of ["started", "resumed", "interrupted", "completed", "failed", "declined"] as const) {
    plugin.ft.on(`transfer-${t}`, (e: import("@xft/protocol").TransferEvent) => log(`transfer-${t}`, { sid: e.sid, peer: e.peer, offset: e.offset, reason: e.reason }));
  }
  plugin.ft.on("offer", (o) => log("offer", { from: o.from, continues: o.continues }));
  plugin.events.on("prompt", (p) => log("prompt", p));
}
function traceRetransfer(r: import("@xft/protocol").Retransfer): void {
  if (!TRACE) return;
  for (const e of ["interrupted", "resumed", "prompt", "forwarding", "settled"] as const) {
    r.on(e, (x: unknown) => console.log(`${String(Date.now() - t0).padStart(6)} retransfer ${e}`, JSON.stringify(x)));
  }
  r.on("session", (t) => console.log(`${String(Date.now() - t0).padStart(6)} retransfer session ${t.sid}`));
}

// Prosody with and without XEP-0198 (every reconnect a new session), ejabberd with it.
const SETUPS: { kind: ServerKind; smacks: boolean }[] = [
  { kind: "prosody", smacks: true },
  { kind: "prosody", smacks: false },
  { kind: "ejabberd", smacks: true },
].filter((s) => SERVER_KINDS.includes(s.kind as ServerKind)) as { kind: ServerKind; smacks: boolean }[];

for (const { kind, smacks } of SETUPS) {
  const label = smacks ? "stream resumption (XEP-0198 on)" : "new sessions (XEP-0198 off)";
  describe(`automatic recovery through ${serverName(kind)}: ${label}`, function () {
    this.timeout(120_000);
    let server: XmppServer;
    let work: string;
    const peers: Peer[] = [];

    before(async () => {
      server = kind === "prosody" ? Object.assign(await startProsody({ smacks }), { kind }) : Object.assign(await startEjabberd(), { kind });
      await server.register("alice", "alicepass");
      await server.register("bob", "bobpass");
      // contacts: `xft receive` (the killed-receiver test) takes new files from contacts only
      await befriendUsers(accountEnv(`alice@${server.host}`, "alicepass", server.service), accountEnv(`bob@${server.host}`, "bobpass", server.service));
    });
    after(async () => {
      if (TRACE) console.log((await server.log()).split("\n").filter((l) => /smacks|c2s|alice/i.test(l)).slice(-150).join("\n"));
      await server?.stop();
    });
    beforeEach(async () => {
      work = await tempDir();
    });
    afterEach(async () => {
      for (const p of peers.splice(0)) {
        await p.account.close();
        await p.proxy.close();
      }
      await removeDir(work);
    });

    async function peer(user: string, prefs: Partial<Preferences> = {}, dir?: string, more: { resource?: string; pullDelay?: number } = {}): Promise<Peer> {
      const proxy = await startFaultProxy({ host: "127.0.0.1", port: server.c2sPort });
      const account = await openTestAccount({
        jid: `${user}@${server.host}`, password: `${user}pass`, service: proxy.service, resource: more.resource,
        reconnect: { backoff: { baseMs: 50, maxMs: 400 } },
      });
      const preferences = { ...DEFAULT_PREFERENCES, confirmTimeout: 15, ...prefs };
      const plugin = autoTransferPlugin(account.port, { preferences, network: account.network, downloadDir: dir, stallTimeout: 4, pullDelay: more.pullDelay });
      await account.sendPresence();
      trace(user, account, plugin, proxy);
      const p = { account, plugin, proxy };
      peers.push(p);
      return p;
    }

    async function pair(size: number, receiverPrefs: Partial<Preferences> = { autoReceive: true }, senderPrefs: Partial<Preferences> = {}) {
      const src = join(work, "file.bin");
      const expected = await randomFile(src, size);
      const inbox = join(work, "inbox");
      await mkdir(inbox);
      const alice = await peer("alice", senderPrefs);
      const bob = await peer("bob", receiverPrefs, inbox);
      // a new file (not a continuation) is the application's to accept: here, at once
      bob.plugin.events.on("offer", (o) => void o.accept(inbox));
      const received = join(inbox, "file.bin");
      return { src, expected, inbox, alice, bob, received };
    }

    /** cuts a peer's connection once `bytes` more went through its proxy in `direction` */
    function cutAfter(p: Peer, bytes: number, direction: "up" | "down") {
      p.proxy.cutAfter(bytes, direction);
    }

    it("a cut on the sender's side: finishes by itself, sha-256 equal", async () => {
      const { src, expected, alice, bob, received } = await pair(6 * MiB);
      const r = await alice.plugin.sendFile(`bob@${server.host}`, src);
      traceRetransfer(r);
      await until("the first bytes", () => alice.plugin.ft.stats.bytesSent > MiB);
      cutAfter(alice, 256 * 1024, "up");
      const final = await r.done;
      assert.equal(final.outcome, "completed", final.reason);
      assert.equal(await sha256(received), expected);
      const resent = alice.plugin.ft.stats.bytesSent - 6 * MiB;
      assert.ok(resent <= WINDOW_BYTES, `re-sent ${resent} bytes, more than one window`);
      if (!smacks) assert.ok(final.reOffers >= 1, "a new session needs a re-offer");
      // Cut mid-stanza going up, Prosody 0.12 cannot resume the stream (it feeds the new connection
      // into the old one's parser, stuck inside the cut stanza): our stream management notices the
      // silent resumed stream and binds a new session, so one re-offer is the right answer there.
      // ejabberd resumes it: the transfer just goes on.
      else if (kind === "prosody") assert.equal(final.reOffers, 1, "one re-offer on the new session");
      else assert.equal(final.reOffers, 0, "a resumed stream needs no re-offer");
      // what the sender re-sent was lost in the cut: the receiver wrote each byte exactly once
      assert.equal(bob.plugin.ft.stats.bytesReceived, 6 * MiB, "the receiver got each byte exactly once");
    });

    it("a cut on the receiver's side: finishes by itself", async () => {
      const { src, expected, alice, bob, received } = await pair(6 * MiB);
      const r = await alice.plugin.sendFile(`bob@${server.host}`, src);
      await until("the first bytes", () => bob.plugin.ft.stats.bytesReceived > MiB);
      cutAfter(bob, 256 * 1024, "down");
      const final = await r.done;
      assert.equal(final.outcome, "completed", final.reason);
      assert.equal(await sha256(received), expected);
      assert.ok(alice.plugin.ft.stats.bytesSent - 6 * MiB <= WINDOW_BYTES);
    });

    it("ten cuts in one transfer, on both sides in turn", async () => {
      const size = 12 * MiB;
      const { src, expected, alice, bob, received } = await pair(size);
      const r = await alice.plugin.sendFile(`bob@${server.host}`, src);
      traceRetransfer(r);
      const cuts = await cutInTurn({ done: r.done, received: () => bob.plugin.ft.stats.bytesReceived, proxies: [alice.proxy, bob.proxy], count: 10, gap: 300 * 1024 });
      const final = await r.done;
      assert.equal(cuts, 10, "the file outlived ten cuts");
      assert.equal(final.outcome, "completed", final.reason);
      assert.equal(await sha256(received), expected);
      const resent = alice.plugin.ft.stats.bytesSent - size;
      assert.ok(resent <= cuts * WINDOW_BYTES, `re-sent ${resent} bytes over ${cuts} cuts`);
    });

    it("an outage longer than confirm-timeout: the sender decides to forward offline", async () => {
      const { src, alice, bob } = await pair(6 * MiB, { autoReceive: true }, { confirmTimeout: 2, offlineForward: true });
      const r = await alice.plugin.sendFile(`bob@${server.host}`, src);
      const forwarding = new Promise((resolve) => r.once("forwarding", resolve));
      const prompt = new Promise<{ reason: string }>((resolve) => alice.plugin.events.once("prompt", resolve));
      await until("the first bytes", () => bob.plugin.ft.stats.bytesReceived > MiB);
      // bob's network goes away for good: no reconnect gets through
      bob.account.network!.stop();
      bob.proxy.refuseFor(120_000);
      bob.proxy.cutAll();
      await forwarding;
      // no component is configured or discoverable here: the forward fails, the user is asked
      const p = await prompt;
      assert.match(p.reason, /offline/);
      assert.equal(r.phase, "prompting");
      r.cancel("test over");
    });

    it("options off: auto-retransfer off prompts at once, and a manual resume continues from the receiver's byte", async () => {
      const { src, expected, alice, bob, received } = await pair(6 * MiB, { autoReceive: true }, { autoRetransfer: false });
      const r = await alice.plugin.sendFile(`bob@${server.host}`, src);
      const prompt = new Promise<{ offset: number }>((resolve) => alice.plugin.events.once("prompt", resolve));
      await until("the first bytes", () => bob.plugin.ft.stats.bytesReceived > 2 * MiB);
      // a stalled link is an interruption whatever the stream does: black-hole the sender
      alice.proxy.blackhole(true);
      const p = await prompt;
      assert.equal(r.phase, "prompting");
      assert.equal(r.listenerCount("resumed"), 0);
      alice.proxy.blackhole(false);
      await sleep(200);
      const resumedAt = new Promise<number>((resolve) => r.once("resumed", (e) => resolve(e.offset)));
      r.resume(); // the user's click
      const final = await r.done;
      assert.equal(final.outcome, "completed", final.reason);
      assert.ok((await resumedAt) > 0, "resumed past byte 0");
      assert.ok(p.offset > 0);
      assert.equal(await sha256(received), expected);
      void bob;
    });

    it("auto-receive off: the receiver is prompted for a continuation instead of taking it", async () => {
      const { src, alice, bob } = await pair(6 * MiB, { autoReceive: false }, { confirmTimeout: 3, offlineForward: false });
      const prompted = new Promise<{ kind: string }>((resolve) => bob.plugin.events.on("prompt", resolve));
      // the application declines continuations (as `xft receive` does without auto-receive)
      bob.plugin.events.removeAllListeners("offer");
      bob.plugin.events.on("offer", (o) => (o.continues ? o.decline("auto-receive is off") : void o.accept(join(work, "inbox"))));
      const r = await alice.plugin.sendFile(`bob@${server.host}`, src);
      traceRetransfer(r);
      await until("the first bytes", () => bob.plugin.ft.stats.bytesReceived > MiB);
      const interrupted = new Promise((resolve) => r.once("interrupted", resolve));
      alice.proxy.blackhole(true);
      await interrupted; // the stall timeout ended the sender's session
      alice.proxy.blackhole(false);
      const p = await prompted;
      assert.equal(p.kind, "continuation-offered");
      const final = await r.done;
      assert.equal(final.outcome, "failed");
      assert.match(final.reason, /declined/);
    });

    it("a receiver process killed mid-transfer and started again: continues from its partial file on disk", async () => {
      const size = 24 * MiB;
      const src = join(work, "killed.bin");
      const expected = await randomFile(src, size);
      const inbox = join(work, "inbox");
      const bobEnv = accountEnv(`bob@${server.host}`, "bobpass", server.service);
      const receive = () => runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "100", "--auto-receive", "--stall-timeout", "4"], bobEnv);
      const first = receive();
      await first.ready();
      const alice = await peer("alice");
      const r = await alice.plugin.sendFile(`bob@${server.host}`, src);
      await first.waitFor((e) => e.type === "progress" && e.offset > 4 * MiB);
      first.child.kill("SIGKILL"); // no goodbye: the partial file stays as the write-behind left it
      await first.exit;
      const second = receive();
      await second.ready();
      const resumed = await second.waitFor((e) => e.type === "resumed" || e.type === "started");
      assert.equal(resumed.type, "resumed", "the new process continued the partial file");
      assert.ok(resumed.offset > 0);
      const final = await r.done;
      assert.equal(final.outcome, "completed", final.reason);
      assert.equal(await second.exit, 0, second.stderr());
      assert.equal(await sha256(join(inbox, "killed.bin")), expected);
      const resent = alice.plugin.ft.stats.bytesSent - size;
      // the killed process lost what was in flight plus what its write-behind had not flushed
      assert.ok(resent <= WINDOW_BYTES + WRITE_BEHIND, `re-sent ${resent} bytes`);
      assert.ok(final.reOffers >= 1);
    });

    it("the sender's device going offline: the receiver learns it from its unavailable presence, not a stall", async () => {
      const { src, alice, bob } = await pair(24 * MiB);
      await alice.plugin.sendFile(`bob@${server.host}`, src);
      // the time bob noticed, taken at his event: alice's close() may still be waiting for the
      // server's </stream> then, which is not what this measures
      const interrupted = new Promise<{ reason?: string; at: number }>((resolve) => bob.plugin.ft.once("transfer-interrupted", (e) => resolve({ ...e, at: Date.now() })));
      await until("the first bytes", () => bob.plugin.ft.stats.bytesReceived > MiB);
      const t0 = Date.now();
      alice.account.network!.stop();
      await alice.account.close(); // a clean logout: the server sends bob alice's unavailable presence
      const e = await interrupted;
      assert.equal(e.reason, "peer went offline");
      assert.ok(e.at - t0 < 2000, `noticed after ${e.at - t0} ms (stall timeout: 4 s)`);
    });

    it("a continuation after the last byte arrived (the sender never heard <received/>): answered at the end, nothing sent again, no second copy", async () => {
      const { src, expected, alice, bob, inbox, received } = await pair(3 * MiB);
      const first = await alice.plugin.ft.send(bob.account.jid, src);
      const done = await first.done;
      assert.equal(done.type, "completed");
      const sentBefore = alice.plugin.ft.stats.bytesSent;
      // as if the link had been cut before the confirmation reached alice: she continues it
      const resumed = new Promise<number>((resolve) => bob.plugin.ft.once("transfer-resumed", (e) => resolve(e.offset)));
      const again = await alice.plugin.sendFile(`bob@${server.host}`, src, { continues: first.sid });
      const final = await again.done;
      assert.equal(final.outcome, "completed", final.reason);
      assert.equal(await resumed, 3 * MiB, "accepted at the last byte");
      assert.equal(alice.plugin.ft.stats.bytesSent, sentBefore, "not a byte sent again");
      assert.deepEqual((await readdir(inbox)).filter((n) => n !== RECEIVED_LEDGER), ["file.bin"], "no second copy");
      assert.equal(await sha256(received), expected);
    });

    // Only a new session makes the receiver pull (a resumed stream just goes on).
    if (!smacks) {
      it("sender re-offers and receiver pulls at the same moment: one session survives, the file is byte-exact", async () => {
        const size = 8 * MiB;
        const src = join(work, "both.bin");
        const expected = await randomFile(src, size);
        const inbox = join(work, "inbox");
        await mkdir(inbox);
        const alice = await peer("alice", { autoReceive: true }, undefined, { resource: "a" });
        const bob = await peer("bob", { autoReceive: true }, inbox, { resource: "b", pullDelay: 0 });
        bob.plugin.events.on("offer", (o) => void o.accept(inbox));
        const r = await alice.plugin.sendFile(`bob@${server.host}/b`, src);
        await until("the first bytes", () => bob.plugin.ft.stats.bytesReceived > 2 * MiB);
        alice.proxy.cutAll();
        bob.proxy.cutAll();
        const final = await r.done;
        assert.equal(final.outcome, "completed", final.reason);
        assert.equal(await sha256(join(inbox, "both.bin")), expected);
        assert.equal(bob.plugin.ft.stats.bytesReceived, size, "the receiver got each byte exactly once");
        assert.ok(alice.plugin.ft.stats.bytesSent - size <= 2 * WINDOW_BYTES, `re-sent ${alice.plugin.ft.stats.bytesSent - size}`);
      });
    }
  });
}
