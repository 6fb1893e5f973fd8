import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import v8 from "node:v8";
import vm from "node:vm";
import { createStore } from "./store.js";
import { KiB, MiB, tempDir } from "./testing.js";

// 128 MiB against a 64 MiB limit: streaming settles ~35 MiB above the start whatever the size
// (freed read buffers glibc keeps; the same at 64 MiB and 256 MiB), a store that held the file
// or read it whole would need 128 MiB and more.
const SIZE = 128 * MiB;
const LIMIT = 64 * MiB;

// What we look for is memory held, not garbage not yet collected: V8 lets up to 64 MB of
// external (Buffer) garbage pile up before it collects, enough to hide a slurp or fake one. So
// the test collects every 8 MiB of traffic (gc exposed at run time: mocha runs without flags).
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** Peak RSS above the level at start, sampled by a timer and at every call of sample(). */
function rssMeter() {
  const base = process.memoryUsage().rss;
  let peak = base;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
  };
  const timer = setInterval(sample, 2);
  return { sample, growth: () => (sample(), clearInterval(timer), peak - base) };
}

describe("offline store: memory", function () {
  this.timeout(120_000);

  it(`streams ${SIZE / MiB} MiB through append and readStream with RSS growth under ${LIMIT / MiB} MiB`, async () => {
    const tmp = tempDir();
    const store = createStore({ path: tmp.db });
    try {
      // The content's hash first, from a reused buffer, so the test itself holds one chunk.
      const chunk = Buffer.alloc(256 * KiB);
      const fill = (i: number) => {
        chunk.fill(i & 0xff).writeUInt32BE(i, 0); // cheap, reproducible, distinct chunks
        return chunk;
      };
      const expected = createHash("sha256");
      for (let i = 0; i < SIZE / chunk.length; i++) expected.update(fill(i));
      const sha256 = expected.digest("base64");

      gc();
      const meter = rssMeter();
      const { id } = await store.beginUpload({ sender: "a@a.example", recipient: "b@b.example", name: "big", size: SIZE, sha256 });
      for (let i = 0, at = 0; at < SIZE; i++) {
        at = await store.append(id, at, fill(i));
        meter.sample();
        if (at % (8 * MiB) === 0) gc();
      }
      await store.finishUpload(id);
      const hash = createHash("sha256");
      let length = 0;
      let nextGc = 8 * MiB;
      for await (const piece of store.readStream(id, "b@b.example")) {
        hash.update(piece as Buffer);
        length += (piece as Buffer).length;
        meter.sample();
        if (length >= nextGc) (gc(), (nextGc += 8 * MiB));
      }
      const read = { sha256: hash.digest("base64"), length };
      const growth = meter.growth();
      assert.equal(read.sha256, sha256);
      assert.equal(read.length, SIZE);
      assert.ok(growth < LIMIT, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`);

      // The meter can see a slurp: holding the file's size in memory crosses the limit.
      gc();
      const control = rssMeter();
      const slurp = Buffer.alloc(SIZE, 1);
      const seen = control.growth();
      assert.ok(seen >= LIMIT, `a ${SIZE / MiB} MiB buffer showed as ${(seen / MiB).toFixed(1)} MiB`);
      assert.equal(slurp[SIZE - 1], 1);
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});
