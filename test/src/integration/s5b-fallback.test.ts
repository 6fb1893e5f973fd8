// A file offered over SOCKS5 alone (XEP-0260), as Libervia 0.9 offers every file: we have no
// SOCKS5, so xft accepts with no candidates and a <candidate-error/> (§2.4) and waits, bounded by
// --stall-timeout, for the initiator's transport-replace to IBB (§3). Here the initiator is our
// raw peer, so this runs wherever the servers do (interop/libervia.test.ts does it with Libervia).
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createElement as xml } from "ltx/lib/ltx.js";
import { join } from "node:path";
import { makeIbbTransport, makeJingle, NS_JINGLE_IBB, NS_JINGLE_S5B } from "@xft/protocol";
import { SERVER_KINDS, serverName } from "../harness/servers.js";
import { listDir, sha256 } from "../helpers/files.js";
import { receiveSuite } from "../helpers/receive-suite.js";
import { until } from "../helpers/wait.js";

for (const kind of SERVER_KINDS) describe(`a SOCKS5 offer received over IBB, through ${serverName(kind)}`, function () {
  this.timeout(60_000);
  const suite = receiveSuite(kind, ["bob"]);
  const data = randomBytes(4000); // one IBB block of the 4096 agreed
  const sha = createHash("sha256").update(data).digest("base64");

  function fromBob(sid: string, action: string) {
    return suite.raw.received.find((j) => j.attrs.sid === sid && j.attrs.action === action);
  }

  async function s5bOffer(...args: string[]) {
    const { run, jid } = await suite.receiver("--accept-from-anyone", ...args);
    const offer = await suite.raw.offer(jid, { name: "report.bin", size: data.length, sha256: sha, s5b: true });
    await until("bob's session-accept and candidate-error", () => fromBob(offer.sid, "session-accept") !== undefined && fromBob(offer.sid, "transport-info") !== undefined, 10_000);
    return { run, jid, offer };
  }

  it("accepted with SOCKS5 and no candidates, then a candidate-error; a transport-replace to IBB gets transport-accept and the file arrives byte-exact", async () => {
    // before: bad-request "only the IBB transport (XEP-0261) is supported" to the session-initiate
    const { run, jid, offer } = await s5bOffer();
    const accept = fromBob(offer.sid, "session-accept")!;
    const transport = accept.getChild("content")!.getChild("transport")!;
    assert.equal(transport.attrs.xmlns, NS_JINGLE_S5B);
    assert.equal(transport.attrs.sid, offer.ibb);
    assert.equal(transport.getChildren("candidate").length, 0, accept.toString());
    const info = fromBob(offer.sid, "transport-info")!.getChild("content")!.getChild("transport")!;
    assert.ok(info.getChild("candidate-error"), info.toString());
    const ibb = randomBytes(6).toString("hex");
    const replace = makeJingle({ action: "transport-replace", sid: offer.sid, contents: [{ creator: "initiator", name: "f", senders: "initiator", transport: makeIbbTransport({ sid: ibb, blockSize: 4096, stanza: "iq" }) }] });
    await suite.mallory.port.request(xml("iq", { type: "set", to: jid, id: "r1" }, replace), 10_000);
    await until("bob's transport-accept", () => fromBob(offer.sid, "transport-accept") !== undefined, 10_000);
    const taken = fromBob(offer.sid, "transport-accept")!.getChild("content")!.getChild("transport")!;
    assert.equal(taken.attrs.xmlns, NS_JINGLE_IBB);
    assert.equal(taken.attrs.sid, ibb);
    await suite.raw.sendData(jid, { ...offer, ibb }, data);
    assert.equal(await run.exit, 0, `${run.stderr()} ${JSON.stringify(run.events.slice(-3))}`);
    assert.deepEqual(await listDir(suite.inbox), ["report.bin"]);
    assert.equal(await sha256(join(suite.inbox, "report.bin")), sha);
  });

  it("no transport-replace: the session ends as interrupted after --stall-timeout, nothing written", async () => {
    const { run } = await s5bOffer("--stall-timeout", "2");
    const started = Date.now();
    const ended = await run.waitFor((e) => e.type === "interrupted" || e.type === "failed", 15_000);
    assert.equal(ended.type, "interrupted", JSON.stringify(run.events));
    assert.match(ended.reason, /stalled/);
    assert.ok(Date.now() - started < 8_000, `${Date.now() - started} ms`);
    assert.deepEqual(await listDir(suite.inbox).catch(() => []), []);
  });

  it("a transport-replace to anything but IBB is refused with bad-request", async () => {
    const { jid, offer } = await s5bOffer();
    const ice = makeJingle({ action: "transport-replace", sid: offer.sid, contents: [{ creator: "initiator", name: "f", senders: "initiator", transport: xml("transport", { xmlns: "urn:xmpp:jingle:transports:ice-udp:1" }) }] });
    await assert.rejects(suite.mallory.port.request(xml("iq", { type: "set", to: jid, id: "r2" }, ice), 10_000), (err: any) => err.condition === "bad-request");
  });
});
