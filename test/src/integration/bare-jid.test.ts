// `xft send bob@host` to a bare JID (issue 13 item 4): Dino 0.4.2 and Gajim 1.7.3 ignore XEP-0353
// file proposals, so the sender also looks at bob's online resources (presence, caps or
// disco#info) and offers to the best one that speaks Jingle FT over IBB. The devices here ignore
// proposals as those clients do; bob is alice's contact, as in the normal case.
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { NS_JINGLE, NS_JINGLE_FT, NS_JINGLE_IBB } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { openTestAccount } from "../helpers/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, type CliRun } from "../helpers/cli.js";
import { quietDevice, type Device } from "../helpers/device.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";

/** what a chat-only client says of itself: Jingle (calls, say), no file transfer */
const CHAT_ONLY = ["http://jabber.org/protocol/disco#info", NS_JINGLE, "urn:xmpp:jingle:apps:rtp:1", NS_JINGLE_IBB];

for (const kind of SERVER_KINDS) describe(`xft send to a bare JID finds a device by presence, through ${serverName(kind)} (issue 13 item 4)`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  const runs: CliRun[] = [];
  const devices: Device[] = [];
  const accounts: Account[] = [];
  const alice = () => accountEnv(`alice@${server.host}`, "alicepass", server.service);
  const bob = (n: string) => accountEnv(`${n}@${server.host}`, "bobpass", server.service);
  const device = async (user: string, resource: string, opts: Parameters<typeof quietDevice>[3]) => {
    const d = await quietDevice(server.service, `${user}@${server.host}/${resource}`, "bobpass", opts);
    devices.push(d);
    return d;
  };
  const send = (to: string, file: string, ...flags: string[]) => {
    const r = runXft(["send", to, file, ...flags], alice());
    runs.push(r);
    return r;
  };
  const trace = (r: CliRun) => JSON.stringify(r.events.map((e) => [e.type, e.peer, e.reason])) + "\n" + r.stderr();

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    for (const n of ["bob1", "bob2", "bob3", "bob4", "bob5"]) {
      await server.register(n, "bobpass");
      await befriendUsers(alice(), bob(n));
    }
  });
  after(async () => {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    for (const d of devices) await d.close();
    for (const a of accounts) await a.close();
    await server?.stop();
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    await removeDir(work);
  });

  it("bob's one device ignores proposals (as Dino and Gajim do) but announces FT + IBB in its caps: the file reaches it byte-exact", async () => {
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const desktop = await device("bob1", "desktop", { dir: inbox });
    const src = join(work, "photo.bin");
    const sha = await randomFile(src, 300 * 1024);
    const sender = send(`bob1@${server.host}`, src, "--confirm-timeout", "8", "--no-offline-forward");
    const code = await sender.exit;
    assert.equal(code, 0, trace(sender));
    const got = await desktop.received(5000);
    assert.equal(await sha256(got.path!), sha, "byte-exact");
    assert.ok(sender.events.some((e) => e.type === "completed" && e.peer === desktop.jid), trace(sender));
    assert.ok(desktop.proposals() >= 1, "the XEP-0353 propose did reach the device, which ignored it");
  });

  it("bob online only with a resource whose disco#info lacks file transfer: a clear failed event, exit 1 within ~15 s", async () => {
    const chat = await device("bob2", "chat", { features: CHAT_ONLY, caps: false });
    const src = join(work, "doc.bin");
    await randomFile(src, 16 * 1024);
    const started = Date.now();
    const sender = send(`bob2@${server.host}`, src, "--confirm-timeout", "5", "--no-offline-forward");
    const code = await sender.exit;
    const took = Date.now() - started;
    assert.equal(code, 1, trace(sender));
    assert.ok(took < 15_000, `exited after ${took} ms: ${trace(sender)}`);
    const failed = sender.events.find((e) => e.type === "failed");
    assert.match(String(failed?.reason), new RegExp(`no online resource of bob2@${server.host} supports Jingle file transfer over IBB`), trace(sender));
    assert.equal(chat.offers(), 0, "no offer went to the resource that cannot take it");
  });

  it("bob not online at all: the failed event says so (no presence seen), exit 1", async () => {
    const src = join(work, "x.bin");
    await randomFile(src, 1024);
    const sender = send(`bob4@${server.host}`, src, "--confirm-timeout", "5", "--no-offline-forward");
    assert.equal(await sender.exit, 1, trace(sender));
    const failed = sender.events.find((e) => e.type === "failed");
    assert.match(String(failed?.reason), new RegExp(`bob4@${server.host} is not online \\(no presence seen\\)`), trace(sender));
  });

  it("two resources: the one with FT (lower priority, no caps: asked by disco#info, as Dino) is chosen over the one without", async () => {
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const chat = await device("bob3", "chat", { features: CHAT_ONLY, priority: 10 });
    const desktop = await device("bob3", "desktop", { dir: inbox, priority: 0, caps: false, features: [...CHAT_ONLY, NS_JINGLE_FT] });
    const src = join(work, "two.bin");
    const sha = await randomFile(src, 64 * 1024);
    const sender = send(`bob3@${server.host}`, src, "--confirm-timeout", "8", "--no-offline-forward");
    assert.equal(await sender.exit, 0, trace(sender));
    assert.equal(await sha256((await desktop.received(5000)).path!), sha);
    assert.equal(chat.offers(), 0, "the higher-priority resource without FT got no offer");
  });

  it("the best-ranked resource announces FT but answers the offer with an error (no engine): the next search tries the other one, and the file arrives", async () => {
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    // openAccount answers disco#info with our features but runs no Jingle: session-initiate gets service-unavailable
    const broken = await openTestAccount({ jid: `bob5@${server.host}/broken`, password: "bobpass", service: server.service, reconnect: false });
    accounts.push(broken);
    await broken.sendPresence({ priority: 10 });
    const desktop = await device("bob5", "desktop", { dir: inbox, priority: 0 });
    const src = join(work, "retry.bin");
    const sha = await randomFile(src, 32 * 1024);
    const sender = send(`bob5@${server.host}`, src, "--confirm-timeout", "10", "--no-offline-forward");
    assert.equal(await sender.exit, 0, trace(sender));
    assert.equal(await sha256((await desktop.received(5000)).path!), sha);
    assert.ok(sender.events.some((e) => e.type === "interrupted" && e.peer === broken.jid), `the broken one was tried first: ${trace(sender)}`);
  });

  it("to our own bare JID: another device of the same account (seen without any subscription) gets the file, never the sender itself", async () => {
    const inbox = join(work, "inbox");
    await mkdir(inbox);
    const laptop = await quietDevice(server.service, `alice@${server.host}/laptop`, "alicepass", { dir: inbox, caps: false });
    devices.push(laptop);
    const src = join(work, "mine.bin");
    const sha = await randomFile(src, 8 * 1024);
    const sender = send(`alice@${server.host}`, src, "--confirm-timeout", "8", "--no-offline-forward");
    assert.equal(await sender.exit, 0, trace(sender));
    assert.equal(await sha256((await laptop.received(5000)).path!), sha);
  });
});
