import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryPorts } from "../fixtures/memory-ports.js";
import { describeLocalFile } from "./files.js";
import { fileTransfer, type FileTransfer } from "./manager.js";

// What an ended session keeps during the grace period in which it recognises duplicate stanzas.
describe("FileTransfer: an ended session", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "xft-release-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const sessionsOf = (ft: FileTransfer) => [...((ft as unknown as { sessions: Map<string, any> }).sessions.values())];

  it("keeps its ids and outcome but lets go of the offer's elements, its sink, its file and its last transition", async () => {
    const [aPort, bPort] = memoryPorts("alice@localhost/a", "bob@localhost/b");
    const alice = fileTransfer(aPort);
    const bob = fileTransfer(bPort);
    bob.on("offer", (offer) => void offer.accept(join(dir, "in")).catch(() => undefined));
    const src = join(dir, "file.bin");
    await writeFile(src, randomBytes(1024 * 1024));
    const local = await describeLocalFile(src);
    assert.ok(local.checkpoints.length >= 15, "a 1 MiB file carries 15 checkpoints: the elements at stake");
    await mkdir(join(dir, "in"));
    const done = await (await alice.send("bob@localhost/b", src, { local })).done;
    assert.equal(done.type, "completed");
    await new Promise((r) => setTimeout(r, 50)); // bob's side ends on alice's session-terminate
    for (const [who, ft] of [["alice", alice], ["bob", bob]] as const) {
      const sessions = sessionsOf(ft);
      assert.equal(sessions.length, 1, `${who} keeps the ended session for duplicates`);
      const s = sessions[0];
      assert.equal(s.state.phase, "ended", who);
      assert.ok(s.state.ctx.sid && s.state.ctx.peer, `${who} keeps the ids`);
      assert.deepEqual(s.state.ctx.file.extensions, [], `${who} dropped the offer's extension elements`);
      assert.equal(s.partial, undefined, `${who} dropped the sink`);
      assert.equal(s.local, undefined, `${who} dropped the local file`);
      assert.equal(await s.queue, undefined, `${who}'s queue holds no transition result`);
    }
  });
});
