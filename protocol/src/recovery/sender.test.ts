import assert from "node:assert/strict";
import { backoffDelay } from "./backoff.js";
import { recover, type RecoveryOptions, type RecoveryState } from "./sender.js";

const on: RecoveryOptions = { autoRetransfer: true, offlineForward: true, confirmTimeout: 60 };
const half = () => 0.5;
const transferring = (offset = 0, attempt = 0): RecoveryState => ({ phase: "transferring", offset, attempt });

describe("sender recovery (FIG. 1, steps 104-110)", () => {
  it("auto-retransfer on: interrupted -> waits for the network with a backoff delay (step 104)", () => {
    const t = recover(transferring(0), { type: "interrupted", offset: 4096, reason: "connection lost" }, on, half);
    assert.equal(t.state.phase, "waiting-network");
    assert.deepEqual(t.effects[0], { type: "announce", event: "interrupted", offset: 4096, reason: "connection lost" });
    assert.deepEqual(t.effects.at(-1), { type: "reconnect-after", ms: 75 }); // base 100: uniform in [50, 100]
  });

  it("network back -> re-offer from the offset reached and start the confirm timer (steps 106-107)", () => {
    const s: RecoveryState = { phase: "waiting-network", offset: 4096, attempt: 0, reason: "x" };
    const t = recover(s, { type: "network-up" }, on);
    assert.deepEqual(t.effects, [{ type: "re-offer", offset: 4096 }, { type: "start-confirm-timer", ms: 60_000 }]);
  });

  it("confirmed -> transferring at the RECEIVER's offset, resumed announced (step 108)", () => {
    const t = recover({ phase: "re-offering", offset: 4096, attempt: 0 }, { type: "confirmed", offset: 8192 }, on);
    assert.deepEqual(t.state, { phase: "transferring", offset: 8192, attempt: 0 });
    assert.deepEqual(t.effects, [{ type: "cancel-confirm-timer" }, { type: "announce", event: "resumed", offset: 8192 }]);
  });

  it("not confirmed in time with offline-forward on -> forward to the store (step 109)", () => {
    const t = recover({ phase: "re-offering", offset: 10, attempt: 0 }, { type: "confirm-timeout" }, on);
    assert.deepEqual(t.effects, [{ type: "forward-offline", offset: 10 }]);
    const stored = recover(t.state, { type: "forwarded" }, on);
    assert.deepEqual(stored.state, { phase: "done", outcome: "stored-offline", offset: 10, reason: "stored for later delivery" });
  });

  it("a store that refuses the file ends it as failed at once, no prompt; a forward that broke prompts", () => {
    const forwarding: RecoveryState = { phase: "forwarding", offset: 10 };
    const refused = recover(forwarding, { type: "forward-refused", reason: "too large" }, on);
    assert.deepEqual(refused.state, { phase: "done", outcome: "failed", offset: 10, reason: "too large" });
    assert.deepEqual(refused.effects, [{ type: "announce", event: "failed", offset: 10, reason: "too large" }]);
    const broke = recover(forwarding, { type: "forward-failed", reason: "store gone" }, on);
    assert.equal(broke.state.phase, "prompting");
    assert.ok(broke.effects.some((e) => e.type === "announce" && e.event === "prompt"));
  });

  it("not confirmed in time with offline-forward off -> failed with the reason, and a manual resume still works", () => {
    const off = { ...on, offlineForward: false };
    const t = recover({ phase: "re-offering", offset: 10, attempt: 0 }, { type: "confirm-timeout" }, off);
    assert.equal(t.state.phase, "prompting");
    assert.match(String((t.effects[0] as any).reason), /did not confirm within 60 s/);
    const again = recover(t.state, { type: "manual-resume" }, off);
    assert.deepEqual(again.effects[0], { type: "re-offer", offset: 10 });
  });

  it("not confirmed in time after the receiver could not be reached: the reason says why it was not (issue 13 item 4)", () => {
    const off = { ...on, offlineForward: false, receiver: "bob@b.test" };
    const t = recover({ phase: "re-offering", offset: 0, attempt: 0 }, { type: "confirm-timeout", why: "bob@b.test is not online (no presence seen)" }, off);
    assert.equal((t.effects[0] as any).reason, "bob@b.test did not confirm within 60 s (bob@b.test is not online (no presence seen))");
  });

  it("auto-retransfer off: interrupted -> the user is prompted at once (step 105), nothing automatic", () => {
    const t = recover(transferring(0), { type: "interrupted", offset: 7, reason: "peer gone" }, { ...on, autoRetransfer: false });
    assert.equal(t.state.phase, "prompting");
    assert.ok(!t.effects.some((e) => e.type === "reconnect-after" || e.type === "re-offer"));
    assert.ok(t.effects.some((e) => e.type === "announce" && e.event === "prompt"));
  });

  it("repeated failures back off exponentially; progress resets the backoff", () => {
    let s: RecoveryState = transferring(100);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const t = recover(s.phase === "waiting-network" ? { phase: "re-offering", offset: s.offset, attempt: s.attempt } : s, { type: "interrupted", offset: 100, reason: "cut" }, on, () => 1);
      delays.push((t.effects.at(-1) as { ms: number }).ms);
      s = t.state;
    }
    assert.deepEqual(delays, [200, 400, 800, 1600]);
    const moved = recover({ phase: "re-offering", offset: 100, attempt: 5 }, { type: "interrupted", offset: 5000, reason: "cut" }, on, () => 1);
    assert.deepEqual(moved.effects.at(-1), { type: "reconnect-after", ms: 100 });
  });

  it("a peer that takes every offer from byte 0 and never confirms (Dino): after 2 fruitless re-offers, the not-confirmed branch (issue 13 item 5)", () => {
    const SIZE = 4 << 20;
    const run = (options: RecoveryOptions) => {
      let s: RecoveryState = transferring(0);
      const copies: number[] = [];
      for (let copy = 1; copy <= 10 && s.phase !== "prompting" && s.phase !== "forwarding"; copy++) {
        copies.push(copy);
        s = recover(s, { type: "interrupted", offset: SIZE, reason: "stalled" }, options).state; // all sent, no <received/>
        if (s.phase !== "waiting-network") break;
        s = recover(s, { type: "network-up" }, options).state;
        s = recover(s, { type: "confirmed", offset: 0 }, options).state; // accepted, from 0 again
      }
      return { s, copies: copies.length };
    };
    const off = run({ ...on, offlineForward: false });
    assert.equal(off.copies, 3, "the first copy and two re-offers, both fruitless");
    assert.equal(off.s.phase, "prompting");
    assert.match((off.s as { reason: string }).reason, /no further than byte 4194304 in 3 tries and did not confirm/);
    assert.equal(run(on).s.phase, "forwarding", "offline-forward on: to the store");
  });

  it("fruitless tries are counted in a row: a re-offer that gets further starts the count again", () => {
    let s: RecoveryState = transferring(0);
    for (const offset of [100, 100, 200, 200]) {
      s = recover(s, { type: "interrupted", offset, reason: "cut" }, on).state;
      assert.equal(s.phase, "waiting-network", `at ${offset}`);
      s = recover(recover(s, { type: "network-up" }, on).state, { type: "confirmed", offset }, on).state;
    }
    assert.equal(recover(s, { type: "interrupted", offset: 200, reason: "cut" }, on).state.phase, "forwarding");
  });

  it("a network that drops again while waiting schedules the next attempt", () => {
    const t = recover({ phase: "waiting-network", offset: 0, attempt: 2, reason: "x" }, { type: "network-down", reason: "refused" }, on, () => 1);
    assert.deepEqual(t.effects, [{ type: "reconnect-after", ms: 800 }]);
  });

  it("ignores events that do not belong to the phase, and everything once done", () => {
    const s = transferring(5);
    assert.deepEqual(recover(s, { type: "confirm-timeout" }, on), { state: s, effects: [] });
    const done: RecoveryState = { phase: "done", outcome: "completed", offset: 5, reason: "ok" };
    assert.deepEqual(recover(done, { type: "interrupted", offset: 5, reason: "x" }, on), { state: done, effects: [] });
  });
});

describe("backoff", () => {
  it("stays within [ceiling/2, ceiling] and caps at maxMs", () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      const ceiling = Math.min(30_000, 100 * 2 ** attempt);
      assert.ok(backoffDelay(attempt, () => 0) >= ceiling / 2);
      assert.ok(backoffDelay(attempt, () => 1) <= ceiling);
    }
    assert.equal(backoffDelay(100, () => 1), 30_000);
  });
});
