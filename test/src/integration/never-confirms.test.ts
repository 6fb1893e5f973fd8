// A peer that accepts every offer from byte 0 and never confirms (issue 13 item 5: Dino 0.4.2 got
// 9 full copies of 4 MiB in 120 s and `xft send` never exited). A session-accept is not the
// patent's confirmation; re-offers that get the receiver no further are bounded, then FIG. 1's
// "not confirmed" branch is taken (here: no store, so failed with the reason, exit 1).
import assert from "node:assert/strict";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, type CliRun } from "../helpers/cli.js";
import { randomFile, removeDir, tempDir } from "../helpers/files.js";
import { neverConfirmingPeer } from "../helpers/never-confirming-peer.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;

for (const kind of SERVER_KINDS) describe(`a peer that accepts but never confirms, through ${serverName(kind)} (issue 13 item 5)`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  const accounts: Account[] = [];
  const runs: CliRun[] = [];

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    await server.register("dino", "dinopass");
  });
  after(async () => {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    for (const a of accounts) await a.close();
    await server?.stop();
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    await removeDir(work);
  });

  it("xft send stops after the first copy and two fruitless re-offers: failed with the reason, exit 1, at most 3 copies", async () => {
    const account = await openTestAccount({ jid: `dino@${server.host}/dino`, password: "dinopass", service: server.service, reconnect: false });
    accounts.push(account);
    const dino = neverConfirmingPeer(account);
    await account.sendPresence();
    const size = 4 * MiB;
    const src = join(work, "photo.bin");
    await randomFile(src, size);
    const started = Date.now();
    const sender = runXft(["send", account.jid, src, "--stall-timeout", "3", "--confirm-timeout", "3"], accountEnv(`alice@${server.host}`, "alicepass", server.service));
    runs.push(sender);
    const code = await Promise.race([sender.exit, new Promise((r) => setTimeout(() => r("still running"), 60_000))]);
    const took = Date.now() - started;
    assert.equal(code, 1, `after ${took} ms: ${dino.offers} offers, ${dino.bytes} bytes; ${JSON.stringify(sender.events.map((e) => [e.type, e.reason]))}`);
    assert.ok(dino.offers <= 3, `${dino.offers} offers`);
    assert.ok(dino.bytes <= 3 * size, `${dino.bytes} bytes for a ${size}-byte file`);
    const failed = sender.events.find((e) => e.type === "failed");

    assert.match(failed?.reason ?? "", /no further than byte 4194304 in 3 tries and did not confirm/);
  });
});
