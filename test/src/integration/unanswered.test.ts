// A peer that never answers (issue 13 item 6): Gajim 1.7.3 crashes on an incoming offer, and
// `xft send` to it printed no event and never exited although its IQ has a timeout. Every wait
// has a bound and ends in an event: here the session-initiate that gets no answer.
import assert from "node:assert/strict";
import { join } from "node:path";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, type CliRun } from "../helpers/cli.js";
import { randomFile, removeDir, tempDir } from "../helpers/files.js";
import { silentPeer } from "../helpers/raw-xmpp.js";

for (const kind of SERVER_KINDS) describe(`a peer that never answers, through ${serverName(kind)} (issue 13 item 6)`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  const runs: CliRun[] = [];

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    await server.register("gajim", "gajimpass");
  });
  after(async () => {
    for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL");
    await server?.stop();
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    await removeDir(work);
  });

  it("xft send to a full JID that never answers the session-initiate: events, then exit 1 within the bounds", async () => {
    const peer = await silentPeer(server, "gajim", "gajimpass", "crashed");
    try {
      const src = join(work, "f.bin");
      await randomFile(src, 64 * 1024);
      const started = Date.now();
      const sender = runXft(["send", peer.jid, src, "--confirm-timeout", "5", "--stall-timeout", "5"], accountEnv(`alice@${server.host}`, "alicepass", server.service));
      runs.push(sender);
      const code = await sender.exit;
      const took = Date.now() - started;
      assert.equal(code, 1, sender.stderr());
      // the unanswered initiate ends after the stall timeout (5 s), then confirm-timeout (5 s)
      // finds no store: before, the first event came after the 60 s IQ timeout
      assert.ok(took < 25_000, `exited after ${took} ms: ${JSON.stringify(sender.events.map((e) => [e.type, e.reason]))}`);
      assert.deepEqual(sender.events.map((e) => e.type).slice(0, 1), ["interrupted"], JSON.stringify(sender.events));
      assert.ok(sender.events.some((e) => e.type === "failed"), JSON.stringify(sender.events));
      assert.match(peer.received(), /session-initiate/, "the offer did reach the peer");
    } finally {
      peer.close();
    }
  });

  it("xft send to a bare JID whose one device never answers (no XEP-0353 proceed, no Jingle answer): events, exit 1 within the bounds", async () => {
    const peer = await silentPeer(server, "gajim", "gajimpass", "crashed2");
    try {
      const src = join(work, "g.bin");
      await randomFile(src, 64 * 1024);
      const started = Date.now();
      const sender = runXft(["send", `gajim@${server.host}`, src, "--confirm-timeout", "5", "--stall-timeout", "5"], accountEnv(`alice@${server.host}`, "alicepass", server.service));
      runs.push(sender);
      const code = await sender.exit;
      const took = Date.now() - started;
      assert.equal(code, 1, sender.stderr());
      assert.ok(took < 45_000, `exited after ${took} ms: ${JSON.stringify(sender.events.map((e) => [e.type, e.reason]))}`);
      assert.ok(sender.events.some((e) => e.type === "failed"), JSON.stringify(sender.events));
    } finally {
      peer.close();
    }
  });
});
