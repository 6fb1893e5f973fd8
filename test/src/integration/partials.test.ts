// Issue 12 item 7, against real servers: what partial files an `xft receive` leaves. An offer
// accepted and never sent leaves nothing (the part is created at the first data block); parts
// nobody resumed for --partial-days (default 7) are removed with their records at start.
import assert from "node:assert/strict";
import { mkdir, utimes, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, stopRuns, type CliRun } from "../helpers/cli.js";
import { listDir, removeDir, tempDir } from "../helpers/files.js";
import { openJinglePeer, type JinglePeer } from "../helpers/jingle-peer.js";
import { sleep, until } from "../helpers/wait.js";

const DAY_MS = 24 * 60 * 60 * 1000;

/** Leaves name in dir, last changed ageDays ago. */
async function leave(dir: string, name: string, ageDays: number): Promise<void> {
  await writeFile(join(dir, name), "held bytes");
  const then = new Date(Date.now() - ageDays * DAY_MS);
  await utimes(join(dir, name), then, then);
}

for (const kind of SERVER_KINDS) describe(`partial files of xft receive through ${serverName(kind)} (issue 12 item 7)`, function () {
  this.timeout(90_000);
  let server: XmppServer;
  let work: string;
  let stranger: Account;
  let raw: JinglePeer;
  const runs: CliRun[] = [];
  const env = (user: string) => accountEnv(`${user}@${server.host}`, `${user}pass`, server.service);
  const receive = async (inbox: string, extra: string[] = []) => {
    const run = runXft(["receive", "--dir", inbox, "--count", "1", "--timeout", "60", "--accept-from-anyone", ...extra], env("bob"));
    runs.push(run);
    await run.ready();
    return { run, jid: /receiving as (\S+)/.exec(run.stderr())![1] };
  };

  before(async () => {
    server = await startServer(kind);
    for (const u of ["bob", "mallory"]) await server.register(u, `${u}pass`);
    ({ account: stranger, peer: raw } = await openJinglePeer(server, "mallory", "raw"));
    work = await tempDir();
  });
  after(async () => {
    await stopRuns(runs);
    await stranger?.close();
    await server?.stop();
    if (work) await removeDir(work);
  });

  it("offers accepted, bytestreams opened, no byte sent: nothing on disk, during and after", async () => {
    const inbox = join(work, "accepted");
    const bob = await receive(inbox);
    const offers = [];
    for (let i = 0; i < 5; i++) offers.push(await raw.offer(bob.jid, { name: `never-${i}.bin`, size: 100_000 }));
    for (const o of offers) await raw.openStream(bob.jid, o); // waits for each session-accept
    await sleep(300);
    assert.deepEqual(await listDir(inbox), [], "accepted and open, no block yet: no part, no record");
    for (const o of offers) await raw.terminate(bob.jid, o, "cancel");
    await sleep(300);
    assert.deepEqual(await listDir(inbox), [], "ended without a block: nothing left");
  });

  const seeded = async (inbox: string) => {
    await mkdir(inbox);
    for (const n of ["old.bin.aaaaaaaaaaaa.xft-part", "old.bin.aaaaaaaaaaaa.xft-part.json"]) await leave(inbox, n, 8);
    for (const n of ["recent.bin.bbbbbbbbbbbb.xft-part", "recent.bin.bbbbbbbbbbbb.xft-part.json"]) await leave(inbox, n, 2);
    await leave(inbox, "holiday.jpg", 400); // a received file: never a partial's business
  };

  it("parts and records older than 7 days (mtime) are removed at start; newer ones and other files stay", async () => {
    const inbox = join(work, "stale");
    await seeded(inbox);
    await receive(inbox);
    const left = async () => (await listDir(inbox)).join(",");
    let names = "";
    await until("the stale part removed", () => (void left().then((l) => (names = l)), names !== "" && !names.includes("old.bin")), 10_000);
    assert.deepEqual(await listDir(inbox), ["holiday.jpg", "recent.bin.bbbbbbbbbbbb.xft-part", "recent.bin.bbbbbbbbbbbb.xft-part.json"]);
  });

  it("--partial-days 30 keeps an 8-day-old part; --partial-days 1 removes the 2-day-old one too", async () => {
    const inbox = join(work, "stale-days");
    await seeded(inbox);
    const keep = await receive(inbox, ["--partial-days", "30"]);
    await sleep(1000);
    assert.equal((await listDir(inbox)).length, 5, "nothing is 30 days old");
    keep.run.child.kill("SIGTERM");
    await keep.run.exit;
    await receive(inbox, ["--partial-days", "1"]);
    let count = 5;
    await until("both stale pairs removed", () => (void listDir(inbox).then((l) => (count = l.length)), count === 1), 10_000);
    assert.deepEqual(await listDir(inbox), ["holiday.jpg"]);
  });
});
