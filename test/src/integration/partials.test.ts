// Issue 12 item 7, against real servers: what partial files an `xft receive` leaves. An offer
// accepted and never sent leaves nothing (the part is created at the first data block).
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, stopRuns, type CliRun } from "../helpers/cli.js";
import { listDir, removeDir, tempDir } from "../helpers/files.js";
import { openJinglePeer, type JinglePeer } from "../helpers/jingle-peer.js";
import { sleep } from "../helpers/wait.js";

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
});
