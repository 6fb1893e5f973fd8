import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryPorts } from "../fixtures/memory-ports.js";
import type { LocalFile } from "./files.js";
import { HostedFiles } from "./hosted.js";
import { fileTransfer, type FileTransfer, type FileTransferOptions, type IncomingOffer } from "./manager.js";

const local = (sha256: string): LocalFile => ({ path: `/f/${sha256}`, name: sha256, size: 1, date: "", sha256, checkpoints: [] });

describe("HostedFiles: what a peer may pull (issue 12 item 13)", () => {
  it("finds a file only for the peer it was offered to", () => {
    const h = new HostedFiles({ hostedTtl: 60, maxHosted: 10 });
    h.offered("bob@x", local("A"));
    assert.equal(h.find("bob@x", "A")?.sha256, "A");
    assert.equal(h.find("mallory@x", "A"), undefined);
    assert.equal(h.find("bob@x", "B"), undefined);
  });

  it("forgets a file once its peer confirmed all of it", () => {
    const h = new HostedFiles({ hostedTtl: 60, maxHosted: 10 });
    h.offered("bob@x", local("A"));
    h.completed("bob@x", "A");
    assert.equal(h.find("bob@x", "A"), undefined);
    assert.equal(h.size, 0);
  });

  it("forgets a file hostedTtl after its last offer", () => {
    let now = 0;
    const h = new HostedFiles({ hostedTtl: 60, maxHosted: 10 }, () => now);
    h.offered("bob@x", local("A"));
    h.offered("bob@x", local("B"));
    now = 30_000;
    h.offered("bob@x", local("A")); // offered again: its time starts again
    now = 60_001;
    assert.equal(h.find("bob@x", "B"), undefined, "B expired");
    assert.equal(h.find("bob@x", "A")?.sha256, "A", "A offered again 30 s ago");
    assert.equal(h.size, 1);
  });

  it("keeps at most maxHosted, the oldest offer out first", () => {
    const h = new HostedFiles({ hostedTtl: 0, maxHosted: 3 });
    for (const sha of ["A", "B", "C"]) h.offered("bob@x", local(sha));
    h.offered("bob@x", local("A")); // A is now the newest
    h.offered("carol@x", local("D"));
    assert.equal(h.size, 3);
    assert.equal(h.find("bob@x", "B"), undefined, "B was the oldest");
    for (const [peer, sha] of [["bob@x", "C"], ["bob@x", "A"], ["carol@x", "D"]]) assert.ok(h.find(peer, sha), sha);
  });
});

describe("FileTransfer: the hosted files of a long-running sender", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "xft-hosted-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));
  const hostedOf = (ft: FileTransfer) => (ft as unknown as { hosted: { size: number } }).hosted.size;

  /** The store sends `n` new files to bob, who answers each as `answer` does; each ends as `outcome`. */
  async function sendFiles(storeOptions: FileTransferOptions, answer: (o: IncomingOffer) => void, n: number, outcome: string): Promise<number> {
    const [aPort, bPort] = memoryPorts("store@localhost", "bob@localhost/b");
    const store = fileTransfer(aPort, storeOptions);
    const bob = fileTransfer(bPort);
    bob.on("offer", answer);
    try {
      for (let i = 0; i < n; i++) {
        const src = join(dir, `f${i}.bin`);
        await writeFile(src, randomBytes(2048));
        assert.equal((await (await store.send("bob@localhost/b", src)).done).type, outcome);
      }
      return hostedOf(store);
    } finally {
      store.close();
      bob.close();
    }
  }

  it("does not grow across sends the receiver confirmed (before: one entry per file for ever)", async () => {
    await mkdir(join(dir, "in"));
    assert.equal(await sendFiles({}, (o) => void o.accept(join(dir, "in")).catch(() => undefined), 5, "completed"), 0);
  });

  it("keeps at most maxHosted files that were offered and never confirmed", async () => {
    assert.equal(await sendFiles({ maxHosted: 2 }, (o) => o.decline("no"), 5, "declined"), 2);
  });
});
