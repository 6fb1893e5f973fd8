// Offers without a hash (issue 13 item 2): Dino never sends one, Gajim none from 10 MB on (its
// <checksum/> comes after the accept). XEP-0234 lets the sender give the hash late; we take such
// offers, verify with the <checksum/> when it comes (before or after the last byte), and when none
// comes in time keep the file and say it is unverified, never "verified". And every offer refused
// in its IQ reply is an event of `xft receive`.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SERVER_KINDS, serverName } from "../harness/servers.js";
import { listDir, randomFile, sha256 } from "../helpers/files.js";
import { receiveSuite } from "../helpers/receive-suite.js";
import { until } from "../helpers/wait.js";

for (const kind of SERVER_KINDS) describe(`offers without a hash, through ${serverName(kind)} (issue 13 item 2)`, function () {
  this.timeout(60_000);
  const suite = receiveSuite(kind, ["bob"]);

  async function hashless(): Promise<{ data: Buffer; sha: string; jid: string; run: Awaited<ReturnType<typeof suite.receiver>>["run"]; offer: Awaited<ReturnType<typeof suite.raw.offer>> }> {
    const src = join(suite.work, "movie.bin");
    const sha = await randomFile(src, 4000);
    const { run, jid } = await suite.receiver("--accept-from-anyone");
    const offer = await suite.raw.offer(jid, { name: "movie.bin", size: 4000, noHash: true });
    return { data: await readFile(src), sha, jid, run, offer };
  }

  it("no <hash/> and no <checksum/>: the file is kept, 'unverified' with the sha-256 of what arrived, never 'verified'", async () => {
    const { data, sha, jid, run, offer } = await hashless();
    await suite.raw.sendData(jid, offer, data);
    assert.equal(await run.exit, 0, `${run.stderr()} ${JSON.stringify(run.events.slice(-3))}`);
    const done = run.events.find((e) => e.type === "completed");
    assert.equal(done?.unverified, true, JSON.stringify(done));
    assert.equal(done?.sha256, sha, "the sha-256 of what arrived");
    assert.match(done?.reason ?? "", /unverified/);
    assert.doesNotMatch(done?.reason ?? "", /sha-256 verified/);
    assert.equal(await sha256(join(suite.inbox, "movie.bin")), sha);
  });

  it("no <hash/>, the <checksum/> after the last byte: verified by it, no wait for the bound", async () => {
    const { data, sha, jid, run, offer } = await hashless();
    await suite.raw.sendData(jid, offer, data);
    await suite.mallory.port.request(suite.raw.checksumIq(jid, offer, sha));
    const started = Date.now();
    assert.equal(await run.exit, 0, run.stderr());
    assert.ok(Date.now() - started < 5000, "the checksum ended the wait");
    const done = run.events.find((e) => e.type === "completed");
    assert.equal(done?.unverified, undefined);
    assert.equal(done?.sha256, sha);
    assert.match(done?.reason ?? "", /sha-256 verified/);
  });

  it("no <hash/>, a <checksum/> that the bytes do not match: failed, nothing under the offered name", async () => {
    const { data, jid, run, offer } = await hashless();
    await suite.mallory.port.request(suite.raw.checksumIq(jid, offer, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
    await suite.raw.sendData(jid, offer, data);
    await run.waitFor((e) => e.type === "failed", 20_000);
    assert.ok(!run.events.some((e) => e.type === "completed"));
    assert.ok(!(await listDir(suite.inbox)).includes("movie.bin"), `${await listDir(suite.inbox)}`);
  });

  it("an offer refused in its IQ reply (no <size/>) is a 'refused' event with the condition; the receiver goes on", async () => {
    const { run, jid } = await suite.receiver("--accept-from-anyone");
    const { iq } = suite.raw.offerIq(jid, { name: "nosize.bin", size: 1 });
    iq.getChild("jingle")!.getChild("content")!.getChild("description")!.getChild("file")!.remove("size");
    await assert.rejects(suite.mallory.port.request(iq), /bad-request/);
    await until("the refused event", () => run.events.some((e) => e.type === "refused"), 5000);
    const refused = run.events.find((e) => e.type === "refused")!;
    assert.equal(refused.condition, "bad-request");
    assert.equal(refused.name, "nosize.bin");
    assert.match(refused.reason, /size/);
    assert.equal(run.child.exitCode, null, "still receiving");
  });
});
