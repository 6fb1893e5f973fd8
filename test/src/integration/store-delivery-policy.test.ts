// Issue 12 item 5 through real servers: with auto-receive on, the user's own store delivers a
// file a stranger left for him. The plugin must not take it by itself: it is an `offer` the
// application answers. A file a contact left is taken as before (auto-accepted), so the test
// tells the two apart.
import assert from "node:assert/strict";
import { mkdir, readdir } from "node:fs/promises";
import { join } from "node:path";
import { parseSender, type IncomingOffer, type TransferEvent } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { autoTransferPlugin, type AutoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES } from "@xft/client-plugin/prefs/preferences.js";
import { createContacts } from "@xft/client-plugin/roster/roster.js";
import type { RunningComponent } from "@xft/component/main.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv } from "../helpers/cli.js";
import { runComponentHere } from "../helpers/component.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";
import { storeFile } from "../helpers/stored.js";
import { sleep, until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

for (const kind of SERVER_KINDS) describe(`store deliveries and the offer prompt through ${serverName(kind)} (issue 12 item 5)`, function () {
  this.timeout(90_000);
  let server: XmppServer;
  let work: string;
  let component: RunningComponent | undefined;
  let account: Account | undefined;
  const alice = () => `alice@${server.host}`;
  const bob = () => `bob@${server.host}`;
  const mallory = () => `mallory@${server.host}`;

  before(async () => {
    server = await startServer(kind);
    for (const u of ["alice", "bob", "mallory"]) await server.register(u, `${u}pass`);
    await befriendUsers(accountEnv(alice(), "alicepass", server.service), accountEnv(bob(), "bobpass", server.service));
  });
  beforeEach(async () => {
    work = await tempDir();
    const d = `files.${server.host}`;
    component = (await runComponentHere(["--jid", d, "--secret", server.components[d], "--service", server.componentService, "--db", join(work, "store.sqlite")])).running;
  });
  afterEach(async () => {
    await account?.close();
    account = undefined;
    await component?.stop();
    component = undefined;
    await removeDir(work);
  });
  after(async () => {
    await server?.stop();
  });

  /** bob online with auto-receive on, his roster, and an application listening for offers */
  async function bobOnline(inbox: string) {
    account = await openTestAccount({ jid: bob(), password: "bobpass", service: server.service, reconnect: false });
    const plugin: AutoTransferPlugin = autoTransferPlugin(account.port, {
      downloadDir: inbox, preferences: { ...DEFAULT_PREFERENCES, autoReceive: true, component: `files.${server.host}` },
      contacts: createContacts(account.port),
    });
    const seen = { offers: [] as IncomingOffer[], auto: [] as IncomingOffer[], completed: [] as (TransferEvent & { path?: string })[] };
    plugin.events.on("offer", (o) => void seen.offers.push(o));
    plugin.events.on("auto-accepted", (o) => void seen.auto.push(o));
    plugin.ft.on("transfer-completed", (e) => void seen.completed.push(e));
    await account.sendPresence();
    return seen;
  }

  async function leaveAtStore(sender: string, name: string) {
    const src = join(work, name);
    await randomFile(src, 200_000);
    const file = await storeFile(component!.store, src, sender, bob(), name);
    component!.delivery.stored(file);
    return file;
  }

  it("a file a stranger left at bob's own store is an offer event: not auto-accepted, nothing written until the application says", async () => {
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const seen = await bobOnline(inbox);
    await leaveAtStore(mallory(), "invoice.pdf.exe");
    await until("the offer reached the application", () => seen.offers.length === 1, 30_000);
    assert.equal(parseSender(seen.offers[0].file), mallory(), "the store's offer names mallory as the sender");
    await sleep(500);
    assert.equal(seen.auto.length, 0, "not taken without asking");
    assert.deepEqual(await readdir(inbox), [], "nothing written");
    seen.offers[0].decline("the user said no");
  });

  it("a file a contact left is taken without asking (auto-receive), byte-exact", async () => {
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const seen = await bobOnline(inbox);
    const file = await leaveAtStore(alice(), "holiday.jpg");
    await until("bob's copy", () => seen.completed.length === 1, 30_000);
    assert.equal(seen.auto.length, 1);
    assert.equal(seen.offers.length, 0, "no question for a contact's file");
    assert.equal(await sha256(seen.completed[0].path!), file.sha256);
  });
});
