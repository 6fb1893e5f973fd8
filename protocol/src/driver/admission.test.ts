import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryPorts } from "../fixtures/memory-ports.js";
import { admitOffer, checkLimits, countReceiving, type AdmissionLimits } from "./admission.js";
import type { TransferEvent } from "../session/types.js";
import { fileTransfer } from "./manager.js";

const limits: AdmissionLimits = { perPeer: 8, total: 64, reservedForTrusted: 16 };
const counts = (fromPeer: number, total: number, untrusted: number) => ({ fromPeer, total, untrusted });

describe("admitOffer: caps on pending and running receiving sessions (issue 12 item 7)", () => {
  it("lets an offer in under every cap", () => {
    assert.deepEqual(admitOffer(counts(0, 0, 0), limits, false), { ok: true });
    assert.deepEqual(admitOffer(counts(7, 47, 47), limits, false), { ok: true });
  });

  it("refuses a peer's offer past its own cap, trusted or not", () => {
    for (const trusted of [true, false]) {
      const a = admitOffer(counts(8, 8, trusted ? 0 : 8), limits, trusted);
      assert.equal(a.ok, false);
      assert.match((a as { refuse: string }).refuse, /too many open file offers from you \(8\)/);
    }
  });

  it("refuses anyone past the total", () => {
    const a = admitOffer(counts(0, 64, 0), limits, true);
    assert.equal(a.ok, false);
    assert.match((a as { refuse: string }).refuse, /too many open file offers \(64\)/);
  });

  it("keeps reservedForTrusted of the total for trusted peers: strangers together stop at total - reserved", () => {
    const full = counts(0, 48, 48); // six strangers' accounts with 8 sessions each
    const stranger = admitOffer(full, limits, false);
    assert.equal(stranger.ok, false);
    assert.match((stranger as { refuse: string }).refuse, /not contacts \(48\)/);
    assert.deepEqual(admitOffer(full, limits, true), { ok: true }, "a contact still gets through");
    assert.deepEqual(admitOffer(counts(0, 63, 48), limits, true), { ok: true });
  });

  it("with nothing reserved, the untrusted may use the whole total", () => {
    assert.deepEqual(admitOffer(counts(0, 63, 63), { ...limits, reservedForTrusted: 0 }, false), { ok: true });
  });
});

describe("countReceiving", () => {
  const session = (peer: string, sending: boolean, phase = "streaming") => ({ state: { phase, ctx: { peer, sending } } });
  it("counts only receiving sessions not ended, per bare JID, and the untrusted ones, asking trust once per peer", () => {
    const asked: string[] = [];
    const c = countReceiving(
      [
        session("carol@x/phone", false), session("Carol@x/laptop", false), session("carol@x/phone", true),
        session("mallory@x/a", false), session("mallory@x/b", false, "pending"), session("mallory@x/c", false, "ended"), session("eve@x/e", true),
      ],
      "mallory@x",
      (p) => (asked.push(p), p === "carol@x"),
    );
    assert.deepEqual(c, { fromPeer: 2, total: 4, untrusted: 2 });
    assert.deepEqual(asked, ["carol@x", "mallory@x"]);
  });
});

describe("checkLimits", () => {
  it("refuses caps below 1, fractions, and a reserve that leaves the untrusted nothing", () => {
    assert.throws(() => checkLimits({ ...limits, perPeer: 0 }), RangeError);
    assert.throws(() => checkLimits({ ...limits, total: 1.5 }), RangeError);
    assert.throws(() => checkLimits({ ...limits, reservedForTrusted: 64 }), RangeError);
    assert.deepEqual(checkLimits(limits), limits);
  });
  it("the engine refuses bad caps at construction", () => {
    const [port] = memoryPorts("a@x/a", "b@x/b");
    assert.throws(() => fileTransfer(port, { maxOffers: 4, reservedForTrusted: 4 }), /reservedForTrusted/);
  });
});

describe("FileTransfer: caps and unanswered offers through two engines", () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), "xft-admission-"))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function file(name: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, randomBytes(4096));
    return path;
  }

  it("an offer past the per-peer cap is refused in the IQ error with resource-constraint; the ones in stay pending", async () => {
    const [aPort, bPort] = memoryPorts("alice@localhost/a", "bob@localhost/b");
    const alice = fileTransfer(aPort, { stallTimeout: 0 });
    const bob = fileTransfer(bPort, { maxOffersPerPeer: 2, offerTimeout: 0, stallTimeout: 0 });
    let offers = 0;
    bob.on("offer", () => void offers++); // the application never answers
    const sends = [];
    for (let i = 0; i < 3; i++) sends.push(await alice.send("bob@localhost/b", await file(`f${i}.bin`)));
    const third = await sends[2].done;
    assert.equal(third.type, "failed");
    assert.match(third.reason ?? "", /resource-constraint: too many open file offers from you \(2\)/);
    assert.equal(offers, 2, "bob's application saw only the offers let in");
    for (const s of sends.slice(0, 2)) s.cancel("test over");
    alice.close();
    bob.close();
  });

  it("an offer nobody answers is declined after offerTimeout, with a Jingle <decline/> and transfer-declined, and frees its slot", async () => {
    const [aPort, bPort] = memoryPorts("alice@localhost/a", "bob@localhost/b");
    const alice = fileTransfer(aPort, { stallTimeout: 0 });
    const bob = fileTransfer(bPort, { maxOffersPerPeer: 1, offerTimeout: 0.2, stallTimeout: 0 });
    const declined: TransferEvent[] = [];
    bob.on("transfer-declined", (e) => declined.push(e));
    bob.on("offer", () => undefined);
    const t0 = Date.now();
    const first = await (await alice.send("bob@localhost/b", await file("a.bin"))).done;
    assert.equal(first.type, "declined", "alice learns the offer was declined");
    assert.match(first.reason ?? "", /not answered within 0.2 s/);
    assert.ok(Date.now() - t0 >= 150, "not before the timeout");
    assert.equal(declined.length, 1);
    assert.match(declined[0].reason ?? "", /not answered within 0.2 s/);
    // its slot is free again: the next offer is let in (and declined in its turn)
    assert.equal((await (await alice.send("bob@localhost/b", await file("b.bin"))).done).type, "declined");
    alice.close();
    bob.close();
  });

  it("an accepted offer is not declined by the timeout", async () => {
    const [aPort, bPort] = memoryPorts("alice@localhost/a", "bob@localhost/b");
    const alice = fileTransfer(aPort);
    const bob = fileTransfer(bPort, { offerTimeout: 0.1 });
    await mkdir(join(dir, "in"));
    bob.on("offer", (o) => void setTimeout(() => void o.accept(join(dir, "in")), 50));
    const done = await (await alice.send("bob@localhost/b", await file("c.bin"))).done;
    assert.equal(done.type, "completed");
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual((await readdir(join(dir, "in"))).filter((n) => n !== ".xft-received.json"), ["c.bin"]);
    alice.close();
    bob.close();
  });
});
