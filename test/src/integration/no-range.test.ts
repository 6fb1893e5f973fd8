// Peers that cannot resume (issue 13 item 8): Dino, Gajim and Conversations offer without
// <range/>. When such a peer re-offers a file bob holds part of, accepting at byte N would get
// byte 0 from it, and the bytes would be mixed. Bob takes the copy from 0 into a part of its own,
// leaves the part he holds as it was, and says so ("restarted from 0: the peer cannot resume").
import assert from "node:assert/strict";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { mkdir } from "node:fs/promises";
import { parseDescription, parseJingle, PART_SUFFIX } from "@xft/protocol";
import { SERVER_KINDS, serverName } from "../harness/servers.js";
import { randomFile, seedPartial, sha256 } from "../helpers/files.js";
import { receiveSuite } from "../helpers/receive-suite.js";
import { until } from "../helpers/wait.js";

for (const kind of SERVER_KINDS) describe(`a peer that cannot resume (no <range/>), through ${serverName(kind)} (issue 13 item 8)`, function () {
  this.timeout(60_000);
  const suite = receiveSuite(kind, ["bob"]);

  it("a re-offer without <range/> of a file bob holds part of: accepted from 0 into a fresh part, the held part untouched, the file verified", async () => {
    const src = join(suite.work, "f.bin");
    const expected = await randomFile(src, 4096); // one IBB block of the raw peer
    await mkdir(suite.inbox, { recursive: true });
    await seedPartial(src, suite.inbox, { name: "f.bin", have: 2048, peer: suite.mallory.jid, size: 4096, sha256: expected });
    const heldBefore = await readFile(join(suite.inbox, "f.bin" + PART_SUFFIX));
    const { run, jid } = await suite.receiver("--accept-from-anyone");
    const offer = await suite.raw.offer(jid, { name: "f.bin", size: 4096, sha256: expected, noRange: true });
    await until("bob's session-accept", () => suite.raw.received.some((j) => j.attrs.sid === offer.sid && j.attrs.action === "session-accept"), 10_000);
    const accept = parseJingle(suite.raw.received.find((j) => j.attrs.sid === offer.sid && j.attrs.action === "session-accept")!);
    const range = parseDescription(accept.contents[0].description!).range;
    assert.ok(!range?.offset, `accepted from 0, not at ${range?.offset}`);
    await suite.raw.sendData(jid, offer, await readFile(src)); // from byte 0, as such a peer does
    assert.equal(await run.exit, 0, `${run.stderr()} ${JSON.stringify(run.events.slice(-4))}`);
    assert.equal(await sha256(join(suite.inbox, "f.bin")), expected);
    const said = run.events.find((e) => e.type === "partial-rejected");
    assert.match(said?.reason ?? "", /restarted from 0: the peer cannot resume/);
    assert.equal(said?.offset, 2048);
    assert.deepEqual(await readFile(join(suite.inbox, "f.bin" + PART_SUFFIX)), heldBefore, "the held part is as it was");
    assert.equal((await stat(join(suite.inbox, "f.bin" + PART_SUFFIX))).size, 2048);
  });
});
