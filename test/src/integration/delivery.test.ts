// Offline delivery (issue 4, delivery half) through real servers: a file in the store for bob is
// offered to him when he logs in with the plugin, resumed where a cut delivery stopped, given to
// one resource only, and the sender gets a receipt. Files enter the store through its own API
// (a real SQLite file and real bytes), as the upload half will put them there.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Element } from "ltx/lib/ltx.js";
import { parseDelivered, parseWaiting, WRITE_BEHIND, type DeliveredReceipt, type TransferEvent } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { autoTransferPlugin, type AutoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES } from "@xft/client-plugin/prefs/preferences.js";
import { discoverComponent } from "@xft/client-plugin/xep0030/discover-component.js";
import { createContacts } from "@xft/client-plugin/roster/roster.js";
import { loadConfig } from "@xft/component/config/options.js";
import { runComponent, type RunningComponent } from "@xft/component/main.js";
import { createStore } from "@xft/component/store/index.js";
import { componentEnv, runComponentBin, type ComponentRun } from "../helpers/component.js";
import { storeFile } from "../helpers/stored.js";
import { startFaultProxy } from "../harness/fault-proxy.js";
import { startEjabberd } from "../harness/ejabberd.js";
import { startProsody } from "../harness/prosody.js";
import { SERVER_KINDS, serverName, type ServerKind, type XmppServer } from "../harness/servers.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { WINDOW_BYTES } from "../helpers/cuts.js";
import { befriendUsers } from "../helpers/roster.js";
import { accountEnv } from "../helpers/cli.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function componentConfig(server: XmppServer, db: string) {
  const loaded = loadConfig([], componentEnv(server, db), () => "");
  if (loaded.kind !== "config") throw new Error(`bad config: ${JSON.stringify(loaded)}`);
  return loaded.config;
}

/** As deployed: both servers store messages for offline users by default (the store's notice). */
async function startWithOfflineMessages(kind: ServerKind): Promise<XmppServer> {
  const server = kind === "prosody" ? await startProsody({ extraModules: ["offline"] }) : await startEjabberd({ extraModules: ["mod_offline"] });
  return Object.assign(server, { kind });
}

interface Bob {
  account: Account;
  plugin: AutoTransferPlugin;
  completed: (TransferEvent & { path?: string })[];
  started: TransferEvent[];
}

for (const kind of SERVER_KINDS) describe(`offline delivery through ${serverName(kind)}`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  let component: RunningComponent | undefined;
  const lines: string[] = [];
  const accounts: Account[] = [];
  const alice = () => `alice@${server.host}`;
  const bobJid = () => `bob@${server.host}`;

  before(async () => {
    server = await startWithOfflineMessages(kind);
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
    // contacts: auto-receive takes a store's delivery only of a file a contact left
    await befriendUsers(accountEnv(alice(), "alicepass", server.service), accountEnv(bobJid(), "bobpass", server.service));
  });
  beforeEach(async () => {
    work = await tempDir();
    lines.length = 0;
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(lines.join("\n"));
    await Promise.all(accounts.splice(0).map((a) => a.close()));
    await component?.stop();
    component = undefined;
    await removeDir(work);
  });
  after(async () => {
    await server?.stop();
  });

  /** service: where it reaches the server, default its component port (a test may put a proxy there) */
  async function startComponent(service = server.componentService): Promise<RunningComponent> {
    const c = runComponent({ ...componentConfig(server, join(work, "store.sqlite")), service }, (l) => lines.push(`${Date.now() % 100000} ${l}`));
    await new Promise<void>((resolve) => c.xmpp.once("online", () => resolve()));
    return c;
  }

  async function login(user: string, resource?: string): Promise<Account> {
    const a = await openTestAccount({ jid: `${user}@${server.host}`, password: `${user}pass`, service: server.service, resource, reconnect: false });
    accounts.push(a);
    return a;
  }

  async function bobWithPlugin(downloadDir: string, resource?: string): Promise<Bob> {
    const account = await login("bob", resource);
    const plugin = autoTransferPlugin(account.port, {
      downloadDir, preferences: { ...DEFAULT_PREFERENCES, autoReceive: true }, contacts: createContacts(account.port),
      findComponent: () => discoverComponent(account.port, server.host, { timeoutMs: 5000 }),
    });
    const bob: Bob = { account, plugin, completed: [], started: [] };
    plugin.ft.on("transfer-completed", (e) => bob.completed.push(e));
    plugin.ft.on("transfer-started", (e) => bob.started.push(e));
    plugin.ft.on("transfer-resumed", (e) => bob.started.push(e));
    await account.sendPresence();
    return bob;
  }

  async function aliceWatchingReceipts(): Promise<DeliveredReceipt[]> {
    const a = await login("alice");
    const receipts: DeliveredReceipt[] = [];
    a.port.onMessage((m: Element) => {
      lines.push(`alice got ${m.toString().slice(0, 300)}`);
      const r = parseDelivered(m);
      if (r) receipts.push(r);
    });
    await a.sendPresence();
    return receipts;
  }

  it("files stored for offline bob: one notice, subscription approved by his plugin, each file offered when he logs in, received byte-exact, marked delivered, alice gets a receipt per file", async () => {
    component = await startComponent();
    const receipts = await aliceWatchingReceipts();
    const src = join(work, "report.bin");
    await randomFile(src, 3 * MiB + 123);
    const small = join(work, "notes.txt");
    await randomFile(small, 1000);
    const files = [await storeFile(component.store, src, alice(), bobJid(), "report.bin"), await storeFile(component.store, small, alice(), bobJid(), "notes.txt")];
    for (const f of files) component.delivery.stored(f); // what the upload half emits
    await sleep(1500); // the notice waits 1 s for files stored together

    const dir = join(work, "bob");
    await mkdir(dir);
    // bob's server held the subscription request and the notice while he was offline
    const account = await login("bob");
    const notices: Element[] = [];
    account.port.onMessage((m) => void (parseWaiting(m) && notices.push(m)));
    const plugin = autoTransferPlugin(account.port, {
      downloadDir: dir, preferences: { ...DEFAULT_PREFERENCES, autoReceive: true }, contacts: createContacts(account.port),
      findComponent: () => discoverComponent(account.port, server.host, { timeoutMs: 5000 }),
    });
    const approved: string[] = [];
    plugin.events.on("store-subscribed", (e) => approved.push(e.store));
    const completed: (TransferEvent & { path?: string })[] = [];
    plugin.ft.on("transfer-completed", (e) => completed.push(e));
    await account.sendPresence();

    await until("bob's copies", () => completed.length === 2);
    assert.deepEqual(approved, [`files.${server.host}`]);
    assert.deepEqual(completed.map((c) => c.name), ["report.bin", "notes.txt"], "one at a time, oldest first");
    for (const [i, f] of files.entries()) assert.equal(await sha256(completed[i].path!), f.sha256);
    // (receipts of earlier tests, kept by her server while she was offline, may come first)
    const mine = () => receipts.filter((r) => files.some((f) => f.sha256 === r.sha256));
    await until("alice's receipts", () => mine().length === 2);
    assert.deepEqual(mine()[0], { recipient: bobJid(), name: "report.bin", size: files[0].size, sha256: files[0].sha256 });
    assert.deepEqual(mine()[1], { recipient: bobJid(), name: "notes.txt", size: 1000, sha256: files[1].sha256 });
    for (const f of files) assert.equal(component.store.get(f.id, bobJid())!.state, "delivered");
    assert.deepEqual(component.store.pendingFor(bobJid()), []);
    assert.equal(notices.length, 1, "one notice for both files");
    assert.deepEqual(parseWaiting(notices[0]), [
      { sender: alice(), name: "report.bin", size: files[0].size },
      { sender: alice(), name: "notes.txt", size: 1000 },
    ]);
    assert.match(notices[0].getChildText("body") ?? "", /2 files wait for you/);
  });

  it("two resources online: the file is offered to one of them only, once", async () => {
    component = await startComponent();
    const dirA = join(work, "bob-a");
    const dirB = join(work, "bob-b");
    await mkdir(dirA);
    await mkdir(dirB);
    const a = await bobWithPlugin(dirA, "a");
    const b = await bobWithPlugin(dirB, "b");
    const src = join(work, "two.bin");
    await randomFile(src, 1 * MiB);
    const file = await storeFile(component.store, src, alice(), bobJid(), "two.bin");
    component.delivery.stored(file);
    await until("one copy", () => a.completed.length + b.completed.length === 1);
    await sleep(1500);
    assert.equal(a.completed.length + b.completed.length, 1, "exactly one delivery");
    assert.equal(a.started.length + b.started.length, 1, "exactly one offer accepted");
    assert.equal(await sha256((a.completed[0] ?? b.completed[0]).path!), file.sha256);
    assert.equal(component.store.get(file.id, bobJid())!.state, "delivered");
  });
  it("bob logs off right after the last byte (his session-terminate and unavailable presence reach the store in one read): delivered, and alice gets the receipt", async () => {
    // the store's link to the server goes through a proxy that holds what bob sends from his last
    // byte until he is gone, then hands it over at once: the order `xft receive` causes by exiting
    const proxy = await startFaultProxy({ host: "127.0.0.1", port: server.componentPort });
    try {
      component = await startComponent(proxy.service);
      const receipts = await aliceWatchingReceipts();
      const dir = join(work, "bob");
      await mkdir(dir);
      const src = join(work, "last.bin");
      await randomFile(src, 2 * MiB);
      const bob = await bobWithPlugin(dir);
      bob.plugin.ft.on("transfer-progress", (e) => e.offset === e.size && proxy.blackhole(true)); // written, not yet verified
      const file = await storeFile(component.store, src, alice(), bobJid(), "last.bin");
      component.delivery.stored(file);
      await until("bob's copy", () => bob.completed.length === 1);
      await bob.account.close(); // his <received/>, session-terminate, then unavailable presence
      await sleep(500); // routed by the server into the held link
      proxy.blackhole(false);
      await until("the store marked it delivered", () => component!.store.get(file.id, bobJid())!.state === "delivered", 10_000);
      await until("alice's receipt", () => receipts.some((r) => r.sha256 === file.sha256), 10_000);
    } finally {
      await component?.stop();
      component = undefined;
      await proxy.close();
    }
  });

  it("bob goes offline mid-delivery: stopped, progress recorded; at his next login it resumes at the bytes he holds, byte-exact, re-sending at most what was in flight", async () => {
    component = await startComponent();
    const receipts = await aliceWatchingReceipts();
    const dir = join(work, "bob");
    await mkdir(dir);
    const src = join(work, "big.bin");
    await randomFile(src, 48 * MiB);
    const first = await bobWithPlugin(dir);
    const file = await storeFile(component.store, src, alice(), bobJid(), "big.bin");
    component.delivery.stored(file);
    await until("bob has some of it", () => first.plugin.ft.stats.bytesReceived >= 4 * MiB);
    await first.account.close(); // his server tells the component he is gone
    const sentBeforeCut = component.ft.stats.bytesSent;
    await until("the component stopped", () => lines.some((l) => /delivery: big\.bin .* stopped /.test(l)));
    assert.equal(first.completed.length, 0, "cut before the end");
    const row = component.store.get(file.id, bobJid())!;
    assert.equal(row.state, "delivering");
    assert.ok(row.deliveredOffset > 0, `progress recorded: ${row.deliveredOffset}`);

    const second = await bobWithPlugin(dir);
    await until("bob's copy", () => second.completed.length === 1);
    const held = second.started[0].offset;
    assert.ok(held > 0 && held < file.size, `resumed at ${held}`);
    assert.equal(await sha256(second.completed[0].path!), file.sha256);
    const resent = component.ft.stats.bytesSent - file.size;
    assert.ok(resent <= sentBeforeCut - held + 0, `re-sent ${resent} > in flight ${sentBeforeCut - held}`);
    assert.ok(sentBeforeCut - held <= WINDOW_BYTES + WRITE_BEHIND, `in flight at the cut: ${sentBeforeCut - held}`);
    await until("alice's receipt", () => receipts.some((r) => r.sha256 === file.sha256));
    assert.equal(receipts.filter((r) => r.sha256 === file.sha256).length, 1);
    assert.equal(component.store.get(file.id, bobJid())!.state, "delivered");
  });

  it("kill -9 of the component during a delivery: restarted, it probes bob and the delivery completes at the bytes he holds", async () => {
    const db = join(work, "store.sqlite");
    const src = join(work, "crash.bin");
    await randomFile(src, 48 * MiB);
    const seeded = createStore({ path: db });
    const file = await storeFile(seeded, src, alice(), bobJid(), "crash.bin");
    await seeded.close();
    const env = componentEnv(server, db);
    const dir = join(work, "bob");
    await mkdir(dir);
    const bob = await bobWithPlugin(dir);
    let bin: ComponentRun = runComponentBin([], env);
    try {
      await until("bob has some of it", () => bob.plugin.ft.stats.bytesReceived >= 4 * MiB);
      bin.child.kill("SIGKILL");
      await bin.exit;
      assert.equal(bob.completed.length, 0, "killed before the end");
      const receivedAtKill = bob.plugin.ft.stats.bytesReceived;
      bin = runComponentBin([], env);
      await until("bob's copy", () => bob.completed.length === 1, 90_000);
      assert.equal(await sha256(bob.completed[0].path!), file.sha256);
      const resumedAt = bob.started.at(-1)!.offset;
      assert.ok(resumedAt > 0, `resumed at ${resumedAt}, not from 0`);
      assert.ok(bob.plugin.ft.stats.bytesReceived - file.size <= receivedAtKill - resumedAt + WINDOW_BYTES);
      await bin.waitForLog(/delivery: crash\.bin .* delivered/);
    } finally {
      lines.push(bin.stderr());
      await bin.stop();
    }
    const after = createStore({ path: db });
    try {
      assert.equal(after.get(file.id, bobJid())!.state, "delivered");
    } finally {
      await after.close();
    }
  });
});
