// Issue 12 item 11 with the real `xft receive` through real servers, mallory a raw Jingle client
// (helpers/jingle-peer.ts) that sends what it likes: an offered name that would be read as one of
// our part files (NAME.xft-part, NAME.xft-part.json) is refused in the session-initiate's reply;
// a name with a right-to-left override, zero-width characters or a look-alike slash is stored
// without them (protocol/src/xep0234/file-name.ts); and a <checksum/> session-info never replaces
// the hash of the offer (protocol/src/xep0234/checksum.ts): a different one fails the transfer.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { IqError } from "@xft/protocol";
import { SERVER_KINDS, serverName } from "../harness/servers.js";
import { listDir, sha256 } from "../helpers/files.js";
import { receiveSuite } from "../helpers/receive-suite.js";

const shaOf = (b: Buffer) => createHash("sha256").update(b).digest("base64");

for (const kind of SERVER_KINDS) describe(`offered names and checksums from a hostile sender, through ${serverName(kind)} (issue 12 item 11)`, function () {
  this.timeout(120_000);
  const suite = receiveSuite(kind, ["bob"]);
  /** bob's `xft receive`, taking files from anyone (mallory is no contact) */
  const receiver = (count: number) => suite.receiver("--count", String(count), "--accept-from-anyone");

  it("names our part files use (.xft-part, .xft-part.json, any case, hidden behind invisible characters) are refused: not-acceptable (modify) with a text, nothing written", async () => {
    const { run, jid } = await receiver(1);
    const { raw, inbox } = suite;
    for (const name of ["x.xft-part", "notes.txt.XFT-PART.json", "a.txt.0123456789ab.xft-part", "x.xft-part\u200B", "y.Xft-Part.json\u202E "]) {
      try {
        await raw.offer(jid, { name, size: 10 });
        assert.fail(`${JSON.stringify(name)} was accepted`);
      } catch (err) {
        assert.ok(err instanceof IqError, String(err));
        assert.equal(err.condition, "not-acceptable", JSON.stringify(name));
        assert.equal(err.errorType, "modify", JSON.stringify(name));
        assert.match(err.text ?? "", /xft-part/, "the text says why");
      }
    }
    assert.equal(run.child.exitCode, null, "still running");
    assert.deepEqual(await listDir(inbox).catch(() => []), [], "nothing written");
  });

  it("a right-to-left override, zero-width characters and a look-alike slash are not in the stored names; the bytes are the sender's", async () => {
    const { run, jid } = await receiver(2);
    const { raw, inbox, mallory } = suite;
    const files = [
      { name: "a\u202Etxt.exe", stored: "atxt.exe" },
      { name: "\uFEFFdocs\u2215pass\u200Bwd", stored: "docs%E2%88%95passwd" },
    ];
    for (const f of files) {
      const data = randomBytes(3000);
      const offer = await raw.offer(jid, { name: f.name, size: data.length, sha256: shaOf(data) });
      await raw.sendData(jid, offer, data);
      await run.waitFor((e) => e.type === "completed" && e.peer === mallory.jid && e.sha256 === shaOf(data), 20_000);
      assert.equal(await sha256(join(inbox, f.stored)), shaOf(data), f.stored);
    }
    assert.equal(await run.exit, 0, run.stderr());
    assert.deepEqual((await listDir(inbox)).sort(), files.map((f) => f.stored).sort());
  });

  it("a <checksum/> naming another hash than the offer's fails the transfer: no file under the offered name, nothing completed", async () => {
    const { run, jid } = await receiver(1);
    const { raw, inbox, mallory } = suite;
    const offered = randomBytes(4000); // hash A: what mallory offers
    const sent = randomBytes(4000); // file B: what she sends, then vouches for with its hash
    const { iq, offer } = raw.offerIq(jid, { name: "report.pdf", size: offered.length, sha256: shaOf(offered) });
    // the checksum right behind the offer, before bob accepts: it must not become what bob checks against
    await Promise.all([mallory.port.request(iq, 10_000), mallory.port.request(raw.checksumIq(jid, offer, shaOf(sent)), 10_000).catch(() => undefined)]);
    await raw.sendData(jid, offer, sent).catch(() => undefined); // refused or not: the outcome is what counts
    const failed = await run.waitFor((e) => (e.type === "failed" || e.type === "completed") && e.peer === mallory.jid, 20_000);
    assert.equal(failed.type, "failed", JSON.stringify(failed));
    assert.match(String(failed.reason), /checksum|sha-256/, String(failed.reason));
    assert.equal(await raw.terminated(offer), "media-error");
    assert.equal(run.child.exitCode, null, "--count 1 not reached: nothing counted as received");
    assert.ok(!(await listDir(inbox).catch(() => [] as string[])).some((n) => n.startsWith("report")), "no file named like the offer");
    assert.equal(run.events.filter((e) => e.type === "completed").length, 0);
  });
});
