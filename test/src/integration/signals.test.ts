// SIGINT/SIGTERM (issue 13 item 7): a killed `xft` used to stay "online" for the server's XEP-0198
// hibernation (Prosody: 600 s) and a peer's send waited on that dead resource. Now the first signal
// ends the sessions with <gone/> (the peer sees an interruption at once, not a stall), keeps the
// partial file, says unavailable, closes the stream and exits 130/143. Real CLI, real servers.
import assert from "node:assert/strict";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Element } from "ltx/lib/ltx.js";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, type CliRun } from "../helpers/cli.js";
import { randomFile, removeDir, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";
import { until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;

for (const kind of SERVER_KINDS) describe(`xft stops cleanly on SIGINT/SIGTERM through ${serverName(kind)} (issue 13 item 7)`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  const accounts: Account[] = [];
  const runs: CliRun[] = [];
  const env = (user: string) => accountEnv(`${user}@${server.host}`, `${user}pass`, server.service);
  const run = (args: string[], user: string) => {
    const r = runXft(args, env(user));
    runs.push(r);
    return r;
  };

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
    await befriendUsers(env("alice"), env("bob"));
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    for (const a of accounts.splice(0)) await a.close();
    await removeDir(work);
  });

  /** another resource of bob's: it gets every presence his `xft` sends. Priority -1: it announces
   *  file transfer (openAccount's disco#info) without running the engine, and a sender that finds
   *  bob's device by presence (issue 13 item 4) must choose bob's `xft`, not it. */
  async function bobsWatcher(): Promise<Element[]> {
    const watcher = await openTestAccount({ jid: `bob@${server.host}/watcher`, password: "bobpass", service: server.service });
    accounts.push(watcher);
    const presences: Element[] = [];
    watcher.port.onPresence!((p) => presences.push(p));
    await watcher.sendPresence({ priority: -1 });
    return presences;
  }
  const resourceOf = (r: CliRun) => /receiving as (\S+)/.exec(r.stderr())?.[1];

  it("SIGTERM on the receiver mid-transfer: the sender hears <gone/> at once (interrupted), bob's server sees him unavailable, exit 143, the partial kept", async () => {
    const presences = await bobsWatcher();
    const src = join(work, "big.bin");
    await randomFile(src, 96 * MiB);
    const inbox = join(work, "inbox");
    const receiver = run(["receive", "--dir", inbox, "--count", "1", "--timeout", "100"], "bob");
    await receiver.ready();
    const bobJid = resourceOf(receiver)!;
    // long confirm and stall timeouts: only the <gone/> can tell the sender so soon
    const sender = run(["send", `bob@${server.host}`, src, "--confirm-timeout", "60", "--stall-timeout", "60"], "alice");
    await receiver.waitFor((e) => e.type === "progress" && e.offset >= 2 * MiB, 60_000);
    const signalled = Date.now();
    receiver.child.kill("SIGTERM");
    assert.equal(await receiver.exit, 143, receiver.stderr());
    assert.ok(Date.now() - signalled < 5000, `stopped in ${Date.now() - signalled} ms`);
    assert.ok(receiver.events.some((e) => e.type === "stopping"), JSON.stringify(receiver.events.map((e) => e.type)));
    const interrupted = await sender.waitFor((e) => e.type === "interrupted", 5000);
    assert.match(interrupted.reason ?? "", /SIGTERM/);
    await until("bob's unavailable presence", () => presences.some((p) => p.attrs.from === bobJid && p.attrs.type === "unavailable"), 3000);
    const parts = (await readdir(inbox)).filter((n) => n.endsWith(".xft-part"));
    assert.equal(parts.length, 1, `the partial is kept: ${await readdir(inbox)}`);
    assert.ok((await stat(join(inbox, parts[0]))).size > 0);
    sender.child.kill("SIGINT"); // the sender, waiting to retransfer, stops too
    assert.equal(await sender.exit, 130, sender.stderr());
  });

  it("SIGINT on an idle receiver: exit 130 at once, unavailable seen by bob's other device", async () => {
    const presences = await bobsWatcher();
    const receiver = run(["receive", "--dir", join(work, "inbox"), "--count", "1", "--timeout", "100"], "bob");
    await receiver.ready();
    const bobJid = resourceOf(receiver)!;
    await until("bob's xft online", () => presences.some((p) => p.attrs.from === bobJid && p.attrs.type === undefined), 5000);
    receiver.child.kill("SIGINT");
    assert.equal(await receiver.exit, 130, receiver.stderr());
    await until("bob's unavailable presence", () => presences.some((p) => p.attrs.from === bobJid && p.attrs.type === "unavailable"), 3000);
  });
});
