// The store is not a spam relay, the delivery side (issue 12 item 3): what the real
// `xft-component` process sends a recipient, however many files a sender leaves for him and
// however often the store restarts. A proxy on the component's link taps its stream, so every
// stanza the store sends is counted (probes and presence a server drops included), and the
// recipients are plain accounts that record every stanza they get and never approve anything.
// The sender (alice, of the component's parent domain) forwards with the real engine.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Element } from "ltx/lib/ltx.js";
import { createElement as xml } from "ltx/lib/ltx.js";
import { fileTransfer, makeRecipient, NS_JINGLE, parseWaiting, type FileTransfer } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { startEjabberd } from "../harness/ejabberd.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { startProsody } from "../harness/prosody.js";
import { SERVER_KINDS, serverName, type ServerKind, type XmppServer } from "../harness/servers.js";
import { componentEnv, runComponentBin, type ComponentRun } from "../helpers/component.js";
import { removeDir, tempDir } from "../helpers/files.js";
import { bareOf, stanzaTap, type StanzaTap } from "../helpers/stanza-tap.js";
import { sleep, until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

/** a sender's message to the recipient dressed as a file name: a bidi override, invisible tag
 *  characters (U+E0000 block), and far more than a notice shows */
const EVIL_NAME = "URGENT invoice overdue - pay today at evil-example.com\u202Efdp.exe\u{E0070}\u{E0061}\u{E0079}"
  + " - reply with your card number and the code we texted you to stop the fees";
const NOTICE_NAME_CHARS = 80;
const FORMAT_CHARS = /\p{Cf}/u;
const MAX_STANZAS_PER_DAY = 20;

/** As deployed: both servers keep messages for offline users (the store's notice waits there). */
async function startWithOfflineMessages(kind: ServerKind): Promise<XmppServer> {
  const server = kind === "prosody" ? await startProsody({ extraModules: ["offline"] }) : await startEjabberd({ extraModules: ["mod_offline"] });
  return Object.assign(server, { kind });
}

const isNotice = (el: Element) => el.name === "message" && el.attrs.type !== "error" && parseWaiting(el) !== undefined;
const describeStanza = (el: Element) => `${el.name}${el.attrs.type ? `/${el.attrs.type}` : ""}`;

for (const kind of SERVER_KINDS) describe(`what the store sends one recipient, through ${serverName(kind)} (issue 12 item 3: no spam relay)`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  let tap: StanzaTap;
  let proxy: FaultProxy | undefined;
  let bin: ComponentRun | undefined;
  /** stderr of every component run of the test, for a failure's message */
  const logs: string[] = [];
  const accounts: Account[] = [];
  const domain = () => `files.${server.host}`;
  const jid = (user: string) => `${user}@${server.host}`;

  before(async () => {
    server = await startWithOfflineMessages(kind);
    for (const u of ["alice", "bob", "dave", "frank", "gina"]) await server.register(u, `${u}pass`);
  });
  beforeEach(async () => {
    work = await tempDir();
    tap = stanzaTap();
    proxy = await startFaultProxy({ host: "127.0.0.1", port: server.componentPort }, { tap: tap.tap });
    logs.length = 0;
  });
  afterEach(async function () {
    await Promise.all(accounts.splice(0).map((a) => a.close()));
    if (bin) logs.push(bin.stderr());
    await bin?.stop();
    bin = undefined;
    await proxy?.close();
    if (this.currentTest?.state === "failed") console.log(logs.join("\n--- restart\n"));
    await removeDir(work);
  });
  after(async () => {
    await server?.stop();
  });

  /** the real binary on the test's database, its link through the tapping proxy */
  async function startBin(env: Record<string, string> = {}): Promise<ComponentRun> {
    if (bin) logs.push(bin.stderr());
    bin = runComponentBin([], { ...componentEnv(server, join(work, "store.sqlite")), XFT_COMPONENT_SERVICE: proxy!.service, ...env });
    await bin.waitForLog(/^xft-component: online as /);
    return bin;
  }

  /** what the store put on the wire for `to` (bare), from tap connection `fromConnection` on */
  const sentTo = (to: string, fromConnection = 1) =>
    tap.stanzas.filter((s) => s.direction === "up" && s.connection >= fromConnection && bareOf(s.el.attrs.to) === to).map((s) => s.el);

  /** a plain account that approves nothing and records every stanza it gets, online */
  async function recorder(user: string): Promise<{ account: Account; got: Element[]; fromStore: () => Element[] }> {
    const account = await openTestAccount({ jid: jid(user), password: `${user}pass`, service: server.service, reconnect: false });
    accounts.push(account);
    const got: Element[] = [];
    account.xmpp.on("stanza", (el: Element) => void got.push(el));
    await account.sendPresence(); // initial presence: the server hands over what it kept for him
    return { account, got, fromStore: () => got.filter((el) => bareOf(el.attrs.from) === domain()) };
  }

  let aliceFt: FileTransfer | undefined;
  /** alice forwards a small file named `name` to the store for `recipient` (the real engine) */
  async function forward(recipient: string, name: string, size: number): Promise<void> {
    if (!aliceFt) {
      const alice = await openTestAccount({ jid: jid("alice"), password: "alicepass", service: server.service, reconnect: false });
      accounts.push(alice);
      aliceFt = fileTransfer(alice.port);
    }
    const src = join(work, `src-${Math.random().toString(36).slice(2)}.bin`);
    await writeFile(src, Buffer.alloc(size, name.length % 251)); // a different size: a different file
    const end = await (await aliceFt.send(domain(), src, { name, extensions: [makeRecipient(recipient)] })).done;
    assert.equal(end.type, "completed", `forward of ${JSON.stringify(name)}: ${JSON.stringify(end)}`);
  }
  afterEach(() => void (aliceFt = undefined));

  it("30 files for offline bob: when he logs in he has one notice and at most 20 stanzas from the store, the sender's long name sanitised and cut to 80 characters", async () => {
    await startBin();
    for (let i = 0; i < 30; i++) await forward(jid("bob"), i === 0 ? EVIL_NAME : `file-${i}.txt`, i); // the first is empty
    await bin!.waitForLog(/^xft-component: stored .* for bob@/, 30);
    await until("the store's notice to bob on the wire", () => sentTo(jid("bob")).some(isNotice), 10_000);
    await sleep(1500); // longer than the notice's delay: a second one would be out by now

    const bob = await recorder("bob");
    await until("the notice kept for bob", () => bob.fromStore().some(isNotice), 15_000);
    await sleep(3000); // whatever else the server kept for him arrives meanwhile
    const kinds = bob.fromStore().map(describeStanza);
    assert.equal(bob.fromStore().filter(isNotice).length, 1, `one notice for 30 files: ${kinds}`);
    assert.ok(bob.fromStore().length <= MAX_STANZAS_PER_DAY, `${bob.fromStore().length} stanzas from the store: ${kinds}`);
    const onWire = sentTo(jid("bob"));
    assert.equal(onWire.filter(isNotice).length, 1, `notices the store sent: ${onWire.map(describeStanza)}`);
    assert.ok(onWire.length <= MAX_STANZAS_PER_DAY, `the store sent bob ${onWire.length} stanzas: ${onWire.map(describeStanza)}`);

    const notice = bob.fromStore().find(isNotice)!;
    const names = parseWaiting(notice)!.map((f) => f.name);
    const evil = names.find((n) => n.startsWith("URGENT invoice overdue"));
    assert.ok(evil !== undefined, `the first file is listed: ${JSON.stringify(names)}`);
    assert.ok(!FORMAT_CHARS.test(evil), `no bidi override or invisible characters: ${JSON.stringify(evil)}`);
    assert.ok([...evil].length <= NOTICE_NAME_CHARS, `cut to ${NOTICE_NAME_CHARS}: ${[...evil].length} characters`);
    const body = notice.getChildText("body") ?? "";
    assert.ok(!FORMAT_CHARS.test(body), "the body has none either");
    assert.ok(!body.includes("card number"), `the body shows no more of the name than the cut: ${JSON.stringify(body)}`);
  });

  it("a restart of the component sends dave nothing again: no probe, subscribe or notice on the wire, and a file stored after it brings no second notice", async () => {
    await startBin();
    for (let i = 0; i < 3; i++) await forward(jid("dave"), `report-${i}.pdf`, 10 + i);
    await until("the store's notice to dave on the wire", () => sentTo(jid("dave")).some(isNotice), 10_000);
    const dave = await recorder("dave");
    await until("the notice kept for dave", () => dave.fromStore().some(isNotice), 15_000);
    await sleep(1500);
    const before = dave.fromStore().length;
    const firstRun = sentTo(jid("dave")).map(describeStanza);

    await bin!.stop();
    await startBin(); // same database, a new stream (tap connection 2)
    await sleep(3000); // the old store probed and subscribed everyone waiting right after online
    assert.deepEqual(sentTo(jid("dave"), 2).map(describeStanza), [], `the first run had sent ${firstRun}`);

    await forward(jid("dave"), "report-3.pdf", 13);
    await bin!.waitForLog(/^xft-component: stored .* for dave@/);
    await sleep(2500); // longer than the notice's delay
    assert.deepEqual(sentTo(jid("dave"), 2).map(describeStanza), [], "one notice per offline period, across the restart");
    assert.deepEqual(dave.fromStore().slice(before).map(describeStanza), [], "dave got nothing more from the store");
  });

  it("gina's delivery state, idle with nothing waiting, is pruned by the housekeeping (not only in the database: the running store forgets it too), so a later file is as for a new recipient", async () => {
    await startBin({ XFT_HOUSEKEEPING_CRON: "* * * * * *" });
    await forward(jid("gina"), "old.txt", 7);
    await until("the store's notice to gina", () => sentTo(jid("gina")).some(isNotice), 10_000);
    const first = sentTo(jid("gina")).map(describeStanza);
    // a month later: her file expired, her row unchanged since (both as 30 days would leave them)
    const db = new Database(join(work, "store.sqlite"), { timeout: 5000 });
    try {
      db.transaction(() => {
        db.prepare("UPDATE files SET expires_at = 1 WHERE recipient = ?").run(jid("gina"));
        db.prepare("UPDATE delivery_state SET updated_at = 1 WHERE recipient = ?").run(jid("gina"));
      })();
    } finally {
      db.close();
    }
    await bin!.waitForLog(/deleted the delivery state of 1 recipients/, 1, 10_000);
    const db2 = new Database(join(work, "store.sqlite"), { readonly: true, timeout: 5000 });
    try {
      assert.equal(db2.prepare<[string], { n: number }>("SELECT count(*) AS n FROM delivery_state WHERE recipient = ?").get(jid("gina"))!.n, 0);
    } finally {
      db2.close();
    }
    const before = sentTo(jid("gina")).length;
    await forward(jid("gina"), "new.txt", 8);
    await until("a notice for the new file", () => sentTo(jid("gina")).slice(before).some(isNotice), 10_000);
    assert.deepEqual(sentTo(jid("gina")).slice(before).map(describeStanza), first, "the same as for her first file");
  });

  it("an offer frank's device takes (IQ result) but never answers is ended after --delivery-confirm-timeout, not repeated to that device, and goes to his next one", async () => {
    await startBin({ XFT_DELIVERY_CONFIRM_TIMEOUT: "2" });
    /** a device of frank's that approves the store's subscription and acknowledges every
     *  Jingle request, but never accepts: what a hung client, or a hostile one, looks like */
    async function silentDevice(resource: string) {
      const account = await openTestAccount({ jid: `${jid("frank")}/${resource}`, password: "frankpass", service: server.service, reconnect: false });
      accounts.push(account);
      const jingle: { action: string; sid: string; at: number }[] = [];
      account.port.onIqSet(NS_JINGLE, "jingle", async (_iq, el) => void jingle.push({ action: String(el.attrs.action), sid: String(el.attrs.sid), at: Date.now() }));
      account.xmpp.on("stanza", (el: Element) => {
        if (el.is("presence") && el.attrs.type === "subscribe" && bareOf(el.attrs.from) === domain()) {
          void account.xmpp.send(xml("presence", { to: domain(), type: "subscribed" })).catch(() => undefined);
        }
      });
      await account.sendPresence();
      return { jingle, initiates: () => jingle.filter((j) => j.action === "session-initiate") };
    }
    const first = await silentDevice("first");
    await forward(jid("frank"), "hung.bin", 4096);
    await until("the store's offer to frank/first", () => first.initiates().length === 1, 20_000);
    const offered = first.initiates()[0];
    await until("the store ended its unanswered offer", () => first.jingle.some((j) => j.sid === offered.sid && j.action === "session-terminate"), 10_000);
    const endedAfter = first.jingle.find((j) => j.sid === offered.sid && j.action === "session-terminate")!.at - offered.at;
    assert.ok(endedAfter >= 1500 && endedAfter <= 6000, `ended ${endedAfter} ms after the offer (confirm timeout 2 s)`);
    await bin!.waitForLog(/did not accept within 2 s/, 1, 5000);
    await sleep(5000); // more than two confirm timeouts: a repeated offer would be here
    assert.equal(first.initiates().length, 1, `offers to the silent device: ${JSON.stringify(first.jingle)}`);

    const second = await silentDevice("second");
    await until("the file offered to frank's next device", () => second.initiates().length === 1, 20_000);
    assert.equal(first.initiates().length, 1, "not to the silent one again");
  });

  // Bounces need a recipient's server the test server cannot reach: two .invalid domains, for
  // which it answers remote-server-not-found (resubscribe.test.ts), with retries every <= 1 s.
  it("bounced recipients: retries stop at 20 stanzas a day; once a recipient's files are gone (expired by housekeeping), no more stanzas to him", async () => {
    const carol = "carol@c.invalid";
    const erin = "erin@e.invalid";
    await startBin({ XFT_RESUBSCRIBE_MIN_SECONDS: "1", XFT_RESUBSCRIBE_MAX_SECONDS: "1", XFT_HOUSEKEEPING_CRON: "* * * * * *" });
    await forward(carol, "for-carol.txt", 5);
    await bin!.waitForLog(/subscribing to carol@c\.invalid again/, 1, 15_000);
    await forward(erin, "for-erin.txt", 6);
    await bin!.waitForLog(/subscribing to erin@e\.invalid again/, 2, 15_000);

    // erin's file expires as a week later: the housekeeping (every second here) removes it
    const db = new Database(join(work, "store.sqlite"), { timeout: 5000 });
    try {
      db.prepare("UPDATE files SET expires_at = 1 WHERE recipient = ?").run(erin);
    } finally {
      db.close();
    }
    await bin!.waitForLog(/nothing waits for erin@e\.invalid any more/, 1, 10_000);
    const toErin = sentTo(erin).length;
    await sleep(5000); // five retry periods
    assert.equal(sentTo(erin).length, toErin, `stanzas to erin after her file went: ${sentTo(erin).slice(toErin).map(describeStanza)}`);

    // with a retry every second, the day's 20 are spent in ~10 s: more than 20 is no ceiling
    const ceiling = /daily ceiling of stanzas to carol@c\.invalid is reached/;
    await until("carol's retries held by the ceiling (or over it)", () => ceiling.test(bin!.stderr()) || sentTo(carol).length > MAX_STANZAS_PER_DAY, 40_000);
    const toCarol = sentTo(carol).length;
    assert.ok(toCarol <= MAX_STANZAS_PER_DAY, `the store sent carol ${toCarol} stanzas: ${sentTo(carol).map(describeStanza)}`);
    await sleep(3000);
    assert.equal(sentTo(carol).length, toCarol, "nothing more today");
  });
});
