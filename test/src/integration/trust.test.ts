// Who may learn that the user is online (issue 12 items 2 and 10), through real servers with
// hostile accounts: a vouch (<stored/>) counts only from a roster contact and only for a JID that
// answers disco#info as a file store; anything else leaves a subscription request the user's.
// An XEP-0353 proposal is answered only to those who see the user's presence anyway.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { bare, makeInfoQuery, makeStored } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { autoTransferPlugin, type AutoTransferPlugin, type PluginEvents } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES } from "@xft/client-plugin/prefs/preferences.js";
import { createPeerResolver } from "@xft/client-plugin/resolve-peer.js";
import { makeJmi, NS_JMI } from "@xft/client-plugin/xep0353/jmi.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft } from "../helpers/cli.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriend } from "../helpers/roster.js";
import { until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

const H = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

/** the first of these plugin events, within timeoutMs */
function firstOf<K extends keyof PluginEvents>(plugin: AutoTransferPlugin, names: K[], timeoutMs = 20_000): Promise<{ name: K; value: PluginEvents[K][0] }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`none of ${names.join(", ")} within ${timeoutMs} ms`)), timeoutMs);
    for (const name of names) (plugin.events as any).once(name, (value: any) => (clearTimeout(timer), resolve({ name, value })));
  });
}

for (const kind of SERVER_KINDS) describe(`who may see bob's presence, through ${serverName(kind)}`, function () {
  this.timeout(90_000);
  let server: XmppServer;
  let work: string;
  const accounts: Account[] = [];
  const jid = (user: string) => `${user}@${server.host}`;

  before(async () => {
    server = await startServer(kind);
    for (const user of ["alice", "bob", "carol", "dave", "mallory"]) await server.register(user, `${user}pass`);
    // alice is bob's contact (subscription both); mallory and carol are strangers to him
    const [a, b] = [await login("alice"), await login("bob")];
    await befriend(a, b);
    await Promise.all(accounts.splice(0).map((x) => x.close()));
  });
  beforeEach(async () => void (work = await tempDir()));
  afterEach(async () => {
    await Promise.all(accounts.splice(0).map((a) => a.close()));
    await removeDir(work);
  });
  after(async () => void (await server?.stop()));

  async function login(user: string): Promise<Account> {
    const a = await openTestAccount({ jid: jid(user), password: `${user}pass`, service: server.service, reconnect: false });
    accounts.push(a);
    return a;
  }

  /** an account that keeps every stanza it is sent, presence and messages */
  async function watcher(user: string): Promise<{ account: Account; got: Element[] }> {
    const account = await login(user);
    const got: Element[] = [];
    account.port.onPresence?.((p) => void got.push(p));
    account.port.onMessage((m) => void got.push(m));
    await account.sendPresence();
    return { account, got };
  }

  async function bobWithPlugin(): Promise<{ account: Account; plugin: AutoTransferPlugin }> {
    const account = await login("bob");
    const dir = join(work, "bob");
    await mkdir(dir, { recursive: true });
    const plugin = autoTransferPlugin(account.port, { downloadDir: dir, preferences: { ...DEFAULT_PREFERENCES, autoReceive: true } });
    await plugin.contacts.ready;
    await account.sendPresence();
    return { account, plugin };
  }

  /** carol asks to see bob's presence; bob's plugin leaves it to the application */
  async function carolAsks(plugin: AutoTransferPlugin, carol: Account): Promise<void> {
    const asked = firstOf(plugin, ["subscription-request"]);
    await carol.port.send(xml("presence", { to: jid("bob"), type: "subscribe" }));
    assert.equal(bare((await asked).value.from), bare(carol.jid));
  }

  /** nothing of bob's presence reached carol: bob re-broadcasts, then messages her; his stanzas
   *  reach her in the order he sent them, so a presence would come before the message */
  async function carolSawNoPresence(bob: Account, got: Element[], who = "carol"): Promise<void> {
    await bob.sendPresence();
    await bob.port.send(xml("message", { to: jid(who), type: "chat", id: "marker" }, xml("body", {}, "marker")));
    await until("bob's marker message at carol", () => got.some((s) => s.name === "message" && s.attrs.id === "marker"));
    const fromBob = got.filter((s) => s.name === "presence" && bare(String(s.attrs.from ?? "")) === jid("bob") && s.attrs.type !== "unavailable");
    assert.deepEqual(fromBob.map((p) => p.toString()), [], "carol got presence from bob");
  }

  const vouchNaming = (store: string) => xml("message", { to: jid("bob"), type: "normal" }, makeStored({ store, name: "x.bin", size: 0, sha256: H }));

  it("mallory (a stranger) vouches naming carol: the plugin refuses the vouch, carol's request stays the application's, she sees no presence of bob's", async () => {
    const { account: bob, plugin } = await bobWithPlugin();
    const carol = await watcher("carol");
    const mallory = await login("mallory");
    await carolAsks(plugin, carol.account);
    const outcome = firstOf(plugin, ["vouch-refused", "store-subscribed"]);
    await mallory.port.send(vouchNaming(jid("carol")));
    assert.deepEqual(await outcome, { name: "vouch-refused", value: { voucher: jid("mallory"), store: jid("carol"), reason: "not-a-contact" } });
    await carolSawNoPresence(bob, carol.got);
  });

  it("alice (a contact) vouches for dave, who is no store (disco#info says so, or nothing): refused, not approved", async () => {
    const { account: bob, plugin } = await bobWithPlugin();
    const dave = await watcher("dave");
    const alice = await login("alice");
    await carolAsks(plugin, dave.account);
    const outcome = firstOf(plugin, ["vouch-refused", "store-subscribed", "store-announced"]);
    await alice.port.send(vouchNaming(jid("dave")));
    assert.deepEqual(await outcome, { name: "vouch-refused", value: { voucher: jid("alice"), store: jid("dave"), reason: "not-a-store" } });
    await carolSawNoPresence(bob, dave.got, "dave");
  });

  it("`xft receive`: mallory's vouch naming carol is not approved; carol sees nothing of bob while alice's file arrives", async () => {
    const carol = await watcher("carol");
    await carol.account.port.send(xml("presence", { to: jid("bob"), type: "subscribe" })); // pending at bob's server
    const mallory = await login("mallory");
    const alice = accountEnv(jid("alice"), "alicepass", server.service);
    const inbox = join(work, "inbox");
    const got = runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "60", "--auto-receive"], accountEnv(jid("bob"), "bobpass", server.service));
    await got.ready();
    await mallory.port.send(vouchNaming(jid("carol")));
    const src = join(work, "hello.bin");
    const expected = await randomFile(src, 64 * 1024);
    const sent = runXft(["send", jid("bob"), src, "--confirm-timeout", "20"], alice);
    assert.equal(await sent.exit, 0, sent.stderr());
    assert.equal(await got.exit, 0, got.stderr());
    assert.equal(await sha256(join(inbox, "hello.bin")), expected);
    // bob's run is over: had it approved carol she would hold his presence (and now his unavailable)
    const fromBob = carol.got.filter((s) => s.name === "presence" && bare(String(s.attrs.from ?? "")) === jid("bob") && s.attrs.type !== "unavailable");
    assert.deepEqual(fromBob.map((p) => p.toString()), [], "carol got presence from bob");
  });

  it("XEP-0353: mallory's proposal gets no answer at all; alice's (she sees bob's presence) gets proceed", async () => {
    const { account: bob } = await bobWithPlugin();
    const mallory = await watcher("mallory");
    await mallory.account.port.send(makeJmi(jid("bob"), "propose", "probe1"));
    // bob's answers to mallory come in the order he sends them: the disco result after any JMI reply
    await mallory.account.port.request(xml("iq", { type: "get", to: bob.jid }, makeInfoQuery()), 10_000);
    const jmi = mallory.got.filter((s) => s.name === "message" && s.getChildElements().some((c) => c.attrs.xmlns === NS_JMI));
    assert.deepEqual(jmi.map((m) => m.toString()), [], "bob answered mallory's proposal");
    const alice = await login("alice");
    assert.equal(await createPeerResolver(alice.port)(jid("bob"), 10_000), bob.jid, "alice's proposal: bob's device proceeds");
  });
});
