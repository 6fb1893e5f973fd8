import assert from "node:assert/strict";
import { InputThrottle } from "./input-throttle.js";

describe("InputThrottle", () => {
  function gate() {
    const calls: string[] = [];
    return { calls, pause: () => calls.push("pause"), resume: () => calls.push("resume") };
  }

  it("pauses once past the high mark and resumes once at or under the low mark", () => {
    const g = gate();
    const t = new InputThrottle(g, 100, 20);
    t.took(60);
    t.took(40);
    assert.deepEqual(g.calls, [], "at the high mark: still reading");
    t.took(1);
    t.took(50);
    assert.deepEqual(g.calls, ["pause"], "one pause however far past");
    assert.equal(t.isPaused, true);
    t.released(100);
    assert.deepEqual(g.calls, ["pause"], "51 pending is over the low mark");
    t.released(31);
    assert.deepEqual(g.calls, ["pause", "resume"]);
    assert.equal(t.pendingBytes, 20);
    t.released(20);
    assert.deepEqual(g.calls, ["pause", "resume"], "no resume when not paused");
  });

  it("never counts below zero (a release for a block dropped twice)", () => {
    const g = gate();
    const t = new InputThrottle(g, 10, 0);
    t.released(5);
    t.took(11);
    assert.deepEqual(g.calls, ["pause"]);
    t.released(11);
    assert.deepEqual(g.calls, ["pause", "resume"]);
  });

  it("refuses marks that could never resume", () => {
    assert.throws(() => new InputThrottle(gate(), 10, 10), RangeError);
    assert.throws(() => new InputThrottle(gate(), 10, -1), RangeError);
  });
});
