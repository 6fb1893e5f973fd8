import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { onStopSignals, type SignalSource } from "./signals.js";

const source = () => new EventEmitter() as EventEmitter & SignalSource;
const tick = () => new Promise((r) => setImmediate(r));

describe("xft stop signals", () => {
  it("SIGTERM: stops cleanly once, then exits 143", async () => {
    const s = source();
    const stops: string[] = [];
    const exits: number[] = [];
    onStopSignals(async (sig) => void stops.push(sig), (c) => void exits.push(c), s);
    s.emit("SIGTERM", "SIGTERM");
    await tick();
    assert.deepEqual(stops, ["SIGTERM"]);
    assert.deepEqual(exits, [143]);
  });

  it("a second signal while stopping exits at once (SIGINT: 130), without a second stop", async () => {
    const s = source();
    const stops: string[] = [];
    const exits: number[] = [];
    onStopSignals((sig) => (stops.push(sig), new Promise<void>(() => undefined)), (c) => void exits.push(c), s);
    s.emit("SIGINT", "SIGINT");
    s.emit("SIGINT", "SIGINT");
    assert.deepEqual(stops, ["SIGINT"]);
    assert.deepEqual(exits, [130]);
  });

  it("a stop that never ends is cut by the budget", async () => {
    const s = source();
    const exits: number[] = [];
    onStopSignals(() => new Promise<void>(() => undefined), (c) => void exits.push(c), s, 20);
    s.emit("SIGTERM", "SIGTERM");
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(exits, [143]);
  });

  it("the returned function removes the handlers", () => {
    const s = source();
    const off = onStopSignals(async () => undefined, () => undefined, s);
    assert.equal(s.listenerCount("SIGTERM"), 1);
    off();
    assert.equal(s.listenerCount("SIGTERM") + s.listenerCount("SIGINT"), 0);
  });
});
