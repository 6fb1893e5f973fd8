// Offline forwarding, the upload half (issue 4), against a real server of each kind: a sender
// whose receiver is offline hands the file to the offline store component, which keeps it,
// resumably, and only then is the send "stored-offline". The sender is the real `xft` CLI where
// the CLI is what is tested, the plugin in this process where its byte counts are.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileTransfer, makeRecipient, parseDelivered, type DeliveredReceipt, type FileTransfer, type TransferEvent } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { autoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES } from "@xft/client-plugin/prefs/preferences.js";
import { discoverComponent } from "@xft/client-plugin/xep0030/discover-component.js";
import type { RunningComponent } from "@xft/component/main.js";
import { createStore, type OfflineStore, type StoredFile } from "@xft/component/store/index.js";
import { fileNameOf } from "@xft/component/store/validate.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, execXft, runXft } from "../helpers/cli.js";
import { componentEnv, runComponentBin, runComponentHere, type ComponentRun } from "../helpers/component.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";
import { until } from "../helpers/wait.js";
import { WINDOW_BYTES } from "../helpers/cuts.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;
/** the stored bytes are the source's, byte for byte */
async function assertStoredBytes(store: OfflineStore, file: StoredFile, src: string): Promise<void> {
  const onDisk = join(store.filesDir, fileNameOf(file.id));
  assert.equal(await sha256(onDisk), file.sha256);
  assert.ok((await readFile(onDisk)).equals(await readFile(src)), "the stored bytes differ from the source");
}

for (const kind of SERVER_KINDS) describe(`offline forward: upload to the store component through ${serverName(kind)}`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  let here: RunningComponent | undefined;
  let bin: ComponentRun | undefined;
  const accounts: Account[] = [];
  const proxies: FaultProxy[] = [];
  const domain = () => `files.${server.host}`;
  const alice = () => `alice@${server.host}`;
  const bob = () => `bob@${server.host}`; // registered, never online in these tests
  const componentArgs = (...extra: string[]) => [
    "--jid", domain(), "--secret", server.components[domain()], "--service", server.componentService, "--db", join(work, "store.sqlite"), ...extra,
  ];

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
    // contacts: `xft receive` takes new files, and store deliveries, only from contacts
    await befriendUsers(accountEnv(alice(), "alicepass", server.service), accountEnv(bob(), "bobpass", server.service));
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    for (const a of accounts.splice(0)) await a.close();
    for (const p of proxies.splice(0)) await p.close();
    await here?.stop();
    here = undefined;
    if (bin) assert.notEqual(await bin.stop(), null);
    bin = undefined;
    await removeDir(work);
  });
  after(async () => {
    await server?.stop();
  });

  async function startHere(...extra: string[]): Promise<RunningComponent> {
    here = (await runComponentHere(componentArgs(...extra))).running;
    return here;
  }

  const send = (src: string, service = server.service) =>
    runXft(["send", bob(), src, "--offline-forward", "--confirm-timeout", "2"], accountEnv(alice(), "alicepass", service));

  it("bob offline: `xft send --offline-forward` finds the store by disco, exits 0 with stored-offline once the store holds the file, sha-256 checked, byte-exact", async () => {
    const component = await startHere();
    const stored = new Promise<StoredFile>((resolve) => component.uploads.once("stored", resolve));
    const src = join(work, "report.bin");
    const expected = await randomFile(src, 3 * MiB + 17);
    const run = send(src);
    assert.equal(await run.exit, 0, `${JSON.stringify(run.events.slice(-4))}\n${run.stderr()}`);
    assert.ok(run.events.some((e) => e.type === "stored-offline"), JSON.stringify(run.events.map((e) => e.type)));
    assert.ok(run.events.some((e) => e.type === "started" && e.peer === domain()), "the upload went to the discovered store");
    const file = await stored;
    assert.deepEqual(
      { sender: file.sender, recipient: file.recipient, name: file.name, size: file.size, sha256: file.sha256, state: file.state },
      { sender: alice(), recipient: bob(), name: "report.bin", size: 3 * MiB + 17, sha256: expected, state: "stored" },
    );
    assert.deepEqual(component.store.pendingFor(bob()).map((f) => f.id), [file.id]);
    await assertStoredBytes(component.store, file, src);
  });

  it("the whole offline path: stored while bob is offline, delivered when `xft receive --auto-receive` logs him in, receipt to alice", async () => {
    const component = await startHere();
    const src = join(work, "holiday.bin");
    const expected = await randomFile(src, 5 * MiB + 3);
    const sent = send(src);
    assert.equal(await sent.exit, 0, sent.stderr());
    assert.ok(sent.events.some((e) => e.type === "stored-offline"));
    // alice stays online to hear the receipt
    const aliceAccount = await openTestAccount({ jid: alice(), password: "alicepass", service: server.service });
    accounts.push(aliceAccount);
    const receipt = new Promise<DeliveredReceipt>((resolve) => aliceAccount.port.onMessage((m) => {
      const r = parseDelivered(m);
      if (r) resolve(r);
    }));
    await aliceAccount.sendPresence();
    const inbox = join(work, "bob-inbox");
    const received = runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "60", "--auto-receive"], accountEnv(bob(), "bobpass", server.service));
    assert.equal(await received.exit, 0, `${JSON.stringify(received.events.slice(-4))}\n${received.stderr()}`);
    assert.equal(await sha256(join(inbox, "holiday.bin")), expected);
    const r = await receipt;
    assert.deepEqual({ recipient: r.recipient, name: r.name, size: r.size }, { recipient: bob(), name: "holiday.bin", size: 5 * MiB + 3 });
    await until("delivered in the store", () => component.store.pendingFor(bob()).length === 0, 10_000);
  });

  it("bob goes away mid-transfer: alice forwards to the store, and the delivery continues the part bob kept from alice", async () => {
    // bob's killed device may still look online (its server keeps the session for resumption):
    // after 5 s without an answer the store turns to his new login
    const component = await startHere("--delivery-confirm-timeout", "5");
    const src = join(work, "movie.bin");
    const size = 12 * MiB;
    const expected = await randomFile(src, size);
    const inbox = join(work, "bob-inbox");
    const receive = () => runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "90", "--auto-receive", "--stall-timeout", "3"], accountEnv(bob(), "bobpass", server.service));
    const first = receive();
    await first.ready();
    const sent = runXft(["send", bob(), src, "--confirm-timeout", "3", "--stall-timeout", "3"], accountEnv(alice(), "alicepass", server.service));
    await first.waitFor((e) => e.type === "progress" && e.offset > 4 * MiB);
    first.child.kill("SIGKILL"); // bob's device is gone; his partial file stays
    await first.exit;
    assert.equal(await sent.exit, 0, `${JSON.stringify(sent.events.slice(-4))}\n${sent.stderr()}`);
    assert.ok(sent.events.some((e) => e.type === "stored-offline"), JSON.stringify(sent.events.map((e) => e.type)));
    // the summary's bytes by peer: the whole file once to the store, the rest to bob
    const summary = sent.events.find((e) => e.type === "summary")!;
    assert.equal(summary.sentTo[domain()], size, JSON.stringify(summary));
    assert.equal(summary.sent, summary.sentTo[bob()] + size, JSON.stringify(summary));
    const [file] = component.store.pendingFor(bob());
    const second = receive();
    const firstEvent = await second.waitFor((e) => e.type === "resumed" || e.type === "started");
    assert.equal(firstEvent.type, "resumed", "the store's delivery continued bob's partial file");
    assert.ok(firstEvent.offset >= 3 * MiB, `resumed at ${firstEvent.offset}`);
    assert.equal(await second.exit, 0, second.stderr());
    const missing = size - firstEvent.offset;
    const toBob = component.ft.stats.sentTo.get(bob()) ?? 0;
    assert.ok(toBob >= missing && toBob - missing <= WINDOW_BYTES, `the store sent ${toBob} bytes to bob, who was missing ${missing}`);
    // `xft receive` logs off right after the last byte: its session-terminate comes just before
    // its unavailable presence, and the store must still count the file as delivered
    await until("the store marked the file delivered", () => component.store.get(file.id, bob())?.state === "delivered", 10_000);
    assert.equal(await sha256(join(inbox, "movie.bin")), expected);
  });

  for (const sm of [false, true]) {
    const how = sm
      ? "with stream resumption (XEP-0198) on the sender: ends stored-offline byte-exact; a re-offer, if the stream did not resume, continues at the store's exact offset"
      : "with every reconnect a new session (XEP-0198 off on the sender): re-offered, and continues at the store's exact offset";
    it(`an upload cut mid-way (TCP reset between sender and server), ${how}; re-sends <= one window`, async () => {
      const component = await startHere();
      const interrupted: TransferEvent[] = [];
      component.ft.on("transfer-interrupted", (e) => interrupted.push(e));
      const proxy = await startFaultProxy({ host: "127.0.0.1", port: server.c2sPort });
      proxies.push(proxy);
      const account = await openTestAccount({
        jid: alice(), password: "alicepass", service: proxy.service, streamManagement: sm, reconnect: { backoff: { baseMs: 50, maxMs: 400 } },
      });
      accounts.push(account);
      const plugin = autoTransferPlugin(account.port, {
        preferences: { ...DEFAULT_PREFERENCES, offlineForward: true, confirmTimeout: 2 }, network: account.network, stallTimeout: 4,
        findComponent: () => discoverComponent(account.port, server.host),
      });
      const resumed: TransferEvent[] = [];
      plugin.ft.on("transfer-resumed", (e) => e.peer === domain() && resumed.push(e));
      const size = 6 * MiB;
      const src = join(work, "big.bin");
      const expected = await randomFile(src, size);
      const r = await plugin.sendFile(bob(), src);
      await until("2 MiB in the store", () => component.ft.stats.bytesReceived > 2 * MiB);
      proxy.cutAfter(64 * 1024, "up");
      const final = await r.done;
      assert.equal(final.outcome, "stored-offline", final.reason);
      if (!sm || resumed.length > 0) {
        assert.equal(interrupted.length, 1, `the store's side of the cut: ${JSON.stringify(interrupted)}`);
        assert.equal(resumed.length, 1, "one re-offer, accepted with <range/>");
        assert.ok(resumed[0].offset > 2 * MiB && resumed[0].offset < size, `resumed at ${resumed[0].offset}`);
        assert.equal(resumed[0].offset, interrupted[0].offset, "the re-offer continues at the very byte the store held");
      }
      const resent = plugin.ft.stats.bytesSent - size;
      assert.ok(resent >= 0 && resent <= WINDOW_BYTES, `re-sent ${resent} bytes, more than one window`);
      assert.equal(component.ft.stats.bytesReceived, size, "the store got every byte once");
      const [file] = component.store.pendingFor(bob());
      assert.equal(file?.sha256, expected);
      await assertStoredBytes(component.store, file, src);
    });
  }

  it("kill -9 of the component mid-upload, then a restart: the sender's automatic retransfer finishes the upload from the bytes the store kept", async () => {
    bin = runComponentBin([], componentEnv(server, join(work, "store.sqlite")));
    await bin.waitForLog(/online as /);
    // large enough to be mid-way when the kill lands (a local upload runs at tens of MiB/s)
    const size = 48 * MiB;
    const src = join(work, "big.bin");
    const expected = await randomFile(src, size);
    const run = send(src);
    // acknowledged past 2 MiB: the store has committed (fdatasync'd) at least its first 1 MiB
    const before = await run.waitFor((e) => e.type === "progress" && e.peer === domain() && e.offset > 2 * MiB, 60_000);
    bin.child.kill("SIGKILL");
    assert.equal(await bin.exit, null, "killed, not exited");
    bin = runComponentBin([], componentEnv(server, join(work, "store.sqlite")));
    await bin.waitForLog(/online as /);
    assert.equal(await run.exit, 0, `${JSON.stringify(run.events.slice(-5))}\n${run.stderr()}`);
    assert.ok(run.events.some((e) => e.type === "stored-offline"));
    const resumed = run.events.filter((e) => e.type === "resumed" && e.peer === domain());
    assert.equal(resumed.length, 1, JSON.stringify(run.events.filter((e) => e.type !== "progress")));
    assert.ok(resumed[0].offset >= MiB && resumed[0].offset < size, `resumed at ${resumed[0].offset} (acked ${before.offset} before the kill): the store kept what it had committed`);
    await bin.waitForLog(new RegExp(`stored \\S+: ${size} bytes from alice@`));
    assert.equal(await bin.stop(), 0);
    bin = undefined;
    const store = createStore({ path: join(work, "store.sqlite") });
    try {
      const [file] = store.pendingFor(bob());
      assert.equal(file?.sha256, expected);
      await assertStoredBytes(store, file, src);
    } finally {
      await store.close();
    }
  });

  it("a file above the store's max-file-size: the CLI prints one line that says why, exits 1, and nothing is stored", async () => {
    const component = await startHere("--max-file-size", "1MiB");
    const src = join(work, "huge.bin");
    await randomFile(src, 2 * MiB);
    const out = await execXft(["send", bob(), src, "--offline-forward", "--confirm-timeout", "2"], accountEnv(alice(), "alicepass", server.service), 60_000);
    assert.equal(out.code, 1, out.stdout + out.stderr);
    const why = out.stdout.split("\n").filter((l) => /refused/.test(l));
    assert.equal(why.length, 1, out.stdout);
    assert.match(why[0], /^failed .*the offline store files\.\S+ refused the file: not-acceptable: file of 2097152 bytes is larger than the 1048576 bytes allowed/);
    assert.doesNotMatch(out.stdout, /^prompt/m, "a refusal is final: no retry prompt");
    assert.equal(out.stderr, "");
    assert.deepEqual(component.store.sentBy(alice()), []);
  });

  it("over the sender's quota: refused with resource-constraint, one line, exit 1", async () => {
    await startHere("--sender-quota", "1MiB");
    const src = join(work, "two.bin");
    await randomFile(src, 1 * MiB + 1);
    const out = await execXft(["send", bob(), src, "--confirm-timeout", "2"], accountEnv(alice(), "alicepass", server.service), 60_000);
    assert.equal(out.code, 1, out.stdout + out.stderr);
    const why = out.stdout.split("\n").filter((l) => /refused/.test(l));
    assert.equal(why.length, 1, out.stdout);
    assert.match(why[0], /refused the file: resource-constraint: sender quota of 1048576 bytes exceeded/);
  });

  describe("offers the store cannot take", () => {
    let ft: FileTransfer;
    let src: string;
    beforeEach(async () => {
      await startHere();
      const account = await openTestAccount({ jid: alice(), password: "alicepass", service: server.service, reconnect: false });
      accounts.push(account);
      ft = fileTransfer(account.port);
      src = join(work, "small.bin");
      await randomFile(src, 100_000);
    });

    const failureOf = async (extensions: ReturnType<typeof makeRecipient>[]) => {
      const t = await ft.send(domain(), src, { extensions });
      const final = await t.done;
      assert.equal(final.type, "failed", JSON.stringify(final));
      return final.reason ?? "";
    };

    it("no <recipient/>, a full JID, or not a JID: bad-request with the reason; the component stays up and takes the next good offer", async () => {
      assert.match(await failureOf([]), /^bad-request: this service only stores files for a <recipient\/>/);
      assert.match(await failureOf([makeRecipient(`${bob()}/phone`)]), /^bad-request: <recipient\/> needs a bare JID/);
      assert.match(await failureOf([makeRecipient("no-at-sign")]), /^bad-request: <recipient\/> needs a bare JID/);
      assert.equal(here!.store.sentBy(alice()).length, 0, "nothing reserved for a refused offer");
      const t = await ft.send(domain(), src, { extensions: [makeRecipient(bob())] });
      assert.equal((await t.done).type, "completed");
      assert.equal(here!.store.pendingFor(bob()).length, 1);
    });
  });
});
