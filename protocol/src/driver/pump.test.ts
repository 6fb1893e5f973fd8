import assert from "node:assert/strict";
import { IqError } from "./port.js";
import { pump, type PumpResult } from "./pump.js";

async function* blocksOf(count: number, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < count; i++) yield Buffer.alloc(size, i & 0xff);
}
const tick = () => new Promise<void>((r) => setImmediate(r));
async function until(cond: () => boolean, what: string) {
  for (let i = 0; i < 1000 && !cond(); i++) await tick();
  assert.ok(cond(), `timed out waiting for ${what}`);
}
interface Deferred {
  seq: number;
  resolve(): void;
  reject(err: unknown): void;
}

describe("driver/pump", () => {
  for (const window of [1, 4, 16]) {
    it(`keeps at most ${window} block(s) in flight, and uses the window`, async () => {
      let inFlight = 0;
      let max = 0;
      const acked: number[] = [];
      const r = await pump({
        blocks: blocksOf(50, 10), startOffset: 1000, window, signal: new AbortController().signal,
        onAcked: (o) => acked.push(o),
        async sendBlock() {
          inFlight++;
          max = Math.max(max, inFlight);
          await new Promise((res) => setTimeout(res, Math.random() * 2));
          inFlight--;
        },
      });
      assert.deepEqual(r, { ok: true, offset: 1000 + 500 });
      assert.equal(max, window);
      assert.equal(acked.at(-1), 1500);
      assert.ok(acked.every((o, i) => i === 0 || o > acked[i - 1]!), "acked offsets only grow");
    });
  }

  it("stops at the first failure and reports the offset acked (window 1)", async () => {
    const seqs: number[] = [];
    const error = new IqError("recipient-unavailable", "wait");
    const r = await pump({
      blocks: blocksOf(10, 10), startOffset: 270336, window: 1, signal: new AbortController().signal,
      async sendBlock(seq) {
        seqs.push(seq);
        if (seq === 3) throw error;
      },
    });
    assert.deepEqual(seqs, [0, 1, 2, 3], "nothing is sent after the failure");
    assert.equal(r.ok, false);
    assert.equal(r.offset, 270336 + 30);
    assert.equal((r as { error: IqError }).error, error);
  });

  it("with a window, the offset acked is the contiguous prefix: a later ack does not cover a lost block", async () => {
    const calls: Deferred[] = [];
    const acked: number[] = [];
    const done = pump({
      blocks: blocksOf(10, 10), startOffset: 0, window: 3, signal: new AbortController().signal,
      onAcked: (o) => acked.push(o),
      sendBlock: (seq) => new Promise<void>((resolve, reject) => calls.push({ seq, resolve, reject })),
    });
    await until(() => calls.length === 3, "3 blocks in flight");
    await tick();
    assert.equal(calls.length, 3, "the window holds");
    calls[0]!.resolve();
    await until(() => calls.length === 4, "a 4th block after the first ack");
    calls[1]!.reject(new IqError("remote-server-timeout", "wait"));
    await tick();
    calls[2]!.resolve(); // acked after block 1 was lost
    calls[3]!.resolve();
    const r: PumpResult = await done;
    assert.equal(calls.length, 4, "no block is sent after the failure");
    assert.equal(r.ok, false);
    assert.equal(r.offset, 10, "only block 0 arrived in order");
    assert.equal(!r.ok && r.error.condition, "remote-server-timeout");
    assert.deepEqual(acked, [10]);
  });

  it("a non-IqError failure is reported as undefined-condition", async () => {
    const r = await pump({
      blocks: blocksOf(3, 10), startOffset: 0, window: 1, signal: new AbortController().signal,
      async sendBlock() {
        throw new Error("socket closed");
      },
    });
    assert.equal(r.ok, false);
    assert.equal(r.offset, 0);
    assert.equal(!r.ok && r.error.condition, "undefined-condition");
    assert.equal(!r.ok && r.error.text, "socket closed");
  });

  it("seq wraps 65535 -> 0 and continues (65536 + 2 blocks)", async () => {
    const total = 65536 + 2;
    const seqs: number[] = [];
    const r = await pump({
      blocks: blocksOf(total, 1), startOffset: 0, window: 16, signal: new AbortController().signal,
      sendBlock: async (seq) => void seqs.push(seq),
    });
    assert.deepEqual(r, { ok: true, offset: total });
    assert.equal(seqs.length, total);
    for (let i = 0; i < total; i++) if (seqs[i] !== i % 65536) assert.fail(`block ${i} sent with seq ${seqs[i]}`);
    assert.deepEqual(seqs.slice(65534), [65534, 65535, 0, 1]);
  });

  it("stops when aborted and says so", async () => {
    const abort = new AbortController();
    const seqs: number[] = [];
    const r = await pump({
      blocks: blocksOf(10, 10), startOffset: 0, window: 1, signal: abort.signal,
      async sendBlock(seq) {
        seqs.push(seq);
        if (seq === 2) abort.abort();
      },
    });
    assert.deepEqual(seqs, [0, 1, 2]);
    assert.equal(r.ok, false);
    assert.equal(r.offset, 30);
    assert.equal(!r.ok && r.error.condition, "cancelled");
  });

  it("no blocks: done at the start offset", async () => {
    const r = await pump({ blocks: blocksOf(0, 1), startOffset: 42, window: 4, signal: new AbortController().signal, sendBlock: async () => assert.fail("nothing to send") });
    assert.deepEqual(r, { ok: true, offset: 42 });
  });
});
