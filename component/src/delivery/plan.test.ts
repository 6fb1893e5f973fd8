import assert from "node:assert/strict";
import { DAY_MS } from "../time.js";
import { deliver, initialDelivery, restoreDelivery, RESUBSCRIBE_AFTER_MS, type DeliveryEffect, type DeliveryEvent, type DeliveryState, type PlanContext } from "./plan.js";

const bob = "bob@example.net";
const T0 = 1_700_000_000_000; // some instant, early in its UTC day
const run = (events: DeliveryEvent[], state: DeliveryState = initialDelivery, ctx: Partial<PlanContext> = {}) => {
  const effects: DeliveryEffect[] = [];
  for (const e of events) {
    const t = deliver(state, e, { now: T0, ...ctx });
    state = t.state;
    effects.push(...t.effects);
  }
  return { state, effects };
};

describe("delivery plan", () => {
  it("offline recipient: one subscribe and one notice however many files, none again in the same offline period", () => {
    const { effects } = run([
      { type: "stored", bare: bob, fileId: "f1", pending: ["f1"] },
      { type: "stored", bare: bob, fileId: "f2", pending: ["f1", "f2"] },
    ]);
    assert.deepEqual(effects, [{ type: "subscribe", bare: bob }, { type: "notify", bare: bob }]);
  });

  it("a login offers the oldest file to that resource; the next follows only when it finished", () => {
    const { state, effects } = run([
      { type: "stored", bare: bob, fileId: "f1", pending: ["f1"] },
      { type: "came-online", bare: bob, full: `${bob}/a`, pending: ["f1", "f2"] },
      { type: "stored", bare: bob, fileId: "f3", pending: ["f1", "f2", "f3"] },
      { type: "finished", bare: bob, fileId: "f1", outcome: "delivered", pending: ["f2", "f3"] },
    ]);
    assert.deepEqual(effects.slice(2), [
      { type: "offer", bare: bob, full: `${bob}/a`, fileId: "f1" },
      { type: "offer", bare: bob, full: `${bob}/a`, fileId: "f2" },
    ]);
    assert.equal(state[bob].active?.fileId, "f2");
  });

  it("a second resource never gets a parallel offer; when the target leaves, the delivery stops and moves to the other", () => {
    const { effects } = run([
      { type: "came-online", bare: bob, full: `${bob}/a`, pending: [] },
      { type: "came-online", bare: bob, full: `${bob}/b`, pending: [] },
      { type: "stored", bare: bob, fileId: "f1", pending: ["f1"] },
      { type: "came-online", bare: bob, full: `${bob}/c`, pending: ["f1"] },
      { type: "went-offline", bare: bob, full: `${bob}/b` },
      { type: "finished", bare: bob, fileId: "f1", outcome: "interrupted", pending: ["f1"] },
    ]);
    assert.deepEqual(effects, [
      { type: "offer", bare: bob, full: `${bob}/b`, fileId: "f1" }, // the resource that came online last
      { type: "stop", bare: bob, fileId: "f1" },
      { type: "offer", bare: bob, full: `${bob}/c`, fileId: "f1" },
    ]);
  });

  it("a resource that never answered (a killed device its server still holds) is set aside; the other one gets the file", () => {
    const { state, effects } = run([
      { type: "came-online", bare: bob, full: `${bob}/new`, pending: [] },
      { type: "came-online", bare: bob, full: `${bob}/dead`, pending: [] }, // its presence came last
      { type: "stored", bare: bob, fileId: "f1", pending: ["f1"] },
      { type: "finished", bare: bob, fileId: "f1", outcome: "unanswered", pending: ["f1"] },
    ]);
    assert.deepEqual(effects, [
      { type: "offer", bare: bob, full: `${bob}/dead`, fileId: "f1" },
      { type: "offer", bare: bob, full: `${bob}/new`, fileId: "f1" },
    ]);
    assert.deepEqual(state[bob].silent, [`${bob}/dead`]);
    // alone and silent: nothing more until it comes online again
    const alone = run([{ type: "finished", bare: bob, fileId: "f1", outcome: "unanswered", pending: ["f1"] }], {
      [bob]: { ...state[bob], online: [`${bob}/new`], active: { fileId: "f1", full: `${bob}/new`, stopping: false } },
    });
    assert.deepEqual(alone.effects, []);
    const back = run([{ type: "came-online", bare: bob, full: `${bob}/new`, pending: ["f1"] }], alone.state);
    assert.deepEqual(back.effects, [{ type: "offer", bare: bob, full: `${bob}/new`, fileId: "f1" }]);
  });

  it("the last resource gone: stopped, nothing offered until the next login, which offers the same file again", () => {
    const { effects } = run([
      { type: "came-online", bare: bob, full: `${bob}/a`, pending: ["f1"] },
      { type: "went-offline", bare: bob, full: `${bob}/a` },
      { type: "finished", bare: bob, fileId: "f1", outcome: "interrupted", pending: ["f1"] },
      { type: "came-online", bare: bob, full: `${bob}/a2`, pending: ["f1"] },
    ]);
    assert.deepEqual(effects.map((e) => e.type), ["offer", "stop", "offer"]);
    assert.equal((effects[2] as { full: string }).full, `${bob}/a2`);
  });

  it("a file that failed is skipped until the next login, not offered in a loop", () => {
    const { effects } = run([
      { type: "came-online", bare: bob, full: `${bob}/a`, pending: ["f1", "f2"] },
      { type: "finished", bare: bob, fileId: "f1", outcome: "failed", pending: ["f1", "f2"] },
      { type: "finished", bare: bob, fileId: "f2", outcome: "failed", pending: ["f1", "f2"] },
      { type: "went-offline", bare: bob, full: `${bob}/a` },
      { type: "came-online", bare: bob, full: `${bob}/a`, pending: ["f1", "f2"] },
    ]);
    assert.deepEqual(effects.map((e) => (e as { fileId?: string }).fileId), ["f1", "f2", "f1"]);
  });

  it("a recipient seen online is subscribed: a file stored while they are offline later brings a notice, no subscribe", () => {
    const { effects } = run([
      { type: "came-online", bare: bob, full: `${bob}/a`, pending: [] },
      { type: "went-offline", bare: bob, full: `${bob}/a` },
      { type: "stored", bare: bob, fileId: "f1", pending: ["f1"] },
    ]);
    assert.deepEqual(effects, [{ type: "notify", bare: bob }]);
  });

  describe("bounces (the subscribe, probe or notice came back as an error)", () => {
    const stored: DeliveryEvent = { type: "stored", bare: bob, fileId: "f1", pending: ["f1"] };
    const bounced = (what: "subscription" | "notice", pending = ["f1"]): DeliveryEvent => ({ type: "bounced", bare: bob, what, pending });
    const due = (pending = ["f1"]): DeliveryEvent => ({ type: "retry-due", bare: bob, pending });

    it("while files wait: subscribe and probe again after a growing backoff, one timer per attempt however many bounces", () => {
      const { effects } = run([stored, bounced("subscription"), bounced("subscription"), due(), bounced("subscription"), due(), bounced("subscription")]);
      assert.deepEqual(effects, [
        { type: "subscribe", bare: bob }, { type: "notify", bare: bob },
        { type: "retry-later", bare: bob, attempt: 0, delayMs: 3750 }, // the second bounce (the probe's, say) adds none
        { type: "probe", bare: bob }, { type: "subscribe", bare: bob },
        { type: "retry-later", bare: bob, attempt: 1, delayMs: 7500 },
        { type: "probe", bare: bob }, { type: "subscribe", bare: bob },
        { type: "retry-later", bare: bob, attempt: 2, delayMs: 15000 },
      ]);
    });

    it("stops once nothing waits (delivered or expired), and a bounce then starts nothing", () => {
      const { state, effects } = run([stored, bounced("subscription"), due([]), bounced("subscription", [])]);
      assert.deepEqual(effects.slice(2), [{ type: "retry-later", bare: bob, attempt: 0, delayMs: 3750 }, { type: "cancel-retry", bare: bob, why: "nothing-waits" }]);
      assert.equal(state[bob].saved.retry, undefined);
    });

    it("their presence arriving cancels the retry and delivers; a late timer does nothing", () => {
      const { state, effects } = run([stored, bounced("subscription"), { type: "came-online", bare: bob, full: `${bob}/a`, pending: ["f1"] }, due()]);
      assert.deepEqual(effects.slice(2), [
        { type: "retry-later", bare: bob, attempt: 0, delayMs: 3750 },
        { type: "cancel-retry", bare: bob, why: "online" },
        { type: "offer", bare: bob, full: `${bob}/a`, fileId: "f1" },
      ]);
      assert.equal(state[bob].saved.retry, undefined);
    });

    it("a bounced notice goes again once with the next retry, never twice in one offline period", () => {
      const { effects } = run([stored, bounced("subscription"), bounced("notice"), due(), bounced("subscription"), bounced("notice"), due()]);
      assert.deepEqual(effects.map((e) => e.type), [
        "subscribe", "notify", "retry-later",
        "probe", "subscribe", "notify", // the one re-sent notice
        "retry-later",
        "probe", "subscribe", // its bounce too: no third notice
      ]);
    });

    it("a notice bounce alone (the subscribe went through) also starts the retries", () => {
      const { effects } = run([stored, bounced("notice"), due()]);
      assert.deepEqual(effects.slice(2).map((e) => e.type), ["retry-later", "probe", "subscribe", "notify"]);
    });

    it("a new offline period after a login may send its notice, and bounce, again", () => {
      const { effects } = run([
        stored, bounced("notice"), due(), bounced("notice"),
        { type: "came-online", bare: bob, full: `${bob}/a`, pending: [] },
        { type: "went-offline", bare: bob, full: `${bob}/a` },
        { type: "stored", bare: bob, fileId: "f2", pending: ["f2"] }, bounced("notice", ["f2"]), due(["f2"]),
      ]);
      assert.equal(effects.filter((e) => e.type === "notify").length, 4, "two per period: the first and its one re-send");
    });
  });

  describe("what was sent is kept: restarts, reconnects, the daily ceiling", () => {
    const stored = (fileId = "f1", pending = [fileId]): DeliveryEvent => ({ type: "stored", bare: bob, fileId, pending });
    const connected: DeliveryEvent = { type: "connected", bare: bob, pending: ["f1"] };

    it("30 files in one offline period, a reconnect and a restart between them: one subscribe and one notice in all", () => {
      const first = run(Array.from({ length: 15 }, (_, i) => stored(`f${i}`)));
      const reconnected = run([connected, ...Array.from({ length: 5 }, (_, i) => stored(`g${i}`))], first.state);
      // the restart: only `saved` survives
      const saved = Object.fromEntries(Object.entries(reconnected.state).map(([k, r]) => [k, r.saved]));
      const restarted = run([connected, ...Array.from({ length: 10 }, (_, i) => stored(`h${i}`))], restoreDelivery(saved));
      assert.deepEqual([...first.effects, ...reconnected.effects, ...restarted.effects], [{ type: "subscribe", bare: bob }, { type: "notify", bare: bob }]);
      assert.deepEqual(restarted.state[bob].saved, { subscribeSentAt: T0, noticeSentAt: T0, budget: { day: Math.floor(T0 / DAY_MS), used: 2 } });
    });

    it("after a (re)connect: one probe to an approved recipient, nothing to a pending request, probe then subscribe to one we know nothing of", () => {
      assert.deepEqual(run([connected], restoreDelivery({ [bob]: { approvedAt: 1 } })).effects, [{ type: "probe", bare: bob }]);
      assert.deepEqual(run([connected], restoreDelivery({ [bob]: { subscribeSentAt: 1 } })).effects, []);
      assert.deepEqual(run([connected]).effects, [{ type: "probe", bare: bob }, { type: "subscribe", bare: bob }]);
      assert.deepEqual(run([{ ...connected, pending: [] }], restoreDelivery({ [bob]: { approvedAt: 1 } })).effects, [], "nothing waits: nothing sent");
    });

    it("a request never approved is asked again for a new file only a day after the last one; the notice follows the offline period", () => {
      const asked = restoreDelivery({ [bob]: { subscribeSentAt: T0 - RESUBSCRIBE_AFTER_MS + 1, noticeSentAt: T0 - 5000 } });
      assert.deepEqual(run([stored()], asked).effects, []);
      const dayOld = restoreDelivery({ [bob]: { subscribeSentAt: T0 - RESUBSCRIBE_AFTER_MS, noticeSentAt: T0 - 5000 } });
      assert.deepEqual(run([stored()], dayOld).effects, [{ type: "subscribe", bare: bob }]);
    });

    it("the day's ceiling holds back what exceeds it; a retry then waits for the next UTC day and goes on there", () => {
      const ctx = { maxPerDay: 3 };
      const bounced: DeliveryEvent = { type: "bounced", bare: bob, what: "subscription", pending: ["f1"] };
      const due: DeliveryEvent = { type: "retry-due", bare: bob, pending: ["f1"] };
      const { state, effects } = run([stored(), bounced, due], initialDelivery, ctx);
      // subscribe + notice = 2 of 3: the retry's probe + subscribe do not fit
      const nextDay = (Math.floor(T0 / DAY_MS) + 1) * DAY_MS;
      assert.deepEqual(effects.slice(2), [
        { type: "retry-later", bare: bob, attempt: 0, delayMs: 3750 },
        { type: "over-ceiling", bare: bob, held: ["probe", "subscribe"] },
        { type: "retry-later", bare: bob, attempt: 0, delayMs: nextDay - T0 + 2500 },
      ]);
      assert.equal(state[bob].saved.retry?.dueAt, nextDay + 2500);
      const tomorrow = run([due], state, { ...ctx, now: nextDay + 2500 });
      assert.deepEqual(tomorrow.effects, [{ type: "probe", bare: bob }, { type: "subscribe", bare: bob }]);
      assert.deepEqual(tomorrow.state[bob].saved.budget, { day: Math.floor(nextDay / DAY_MS), used: 2 });
      // and a stored file over the ceiling: no subscribe, no notice, said so
      const full = restoreDelivery({ [bob]: { budget: { day: Math.floor(T0 / DAY_MS), used: 3 } } });
      assert.deepEqual(run([stored()], full, ctx).effects, [{ type: "over-ceiling", bare: bob, held: ["subscribe", "notice"] }]);
    });

    it("files withdrawn (expired, lost) while a retry is scheduled: cancelled at once if nothing waits, kept if some file still does", () => {
      const bounced: DeliveryEvent = { type: "bounced", bare: bob, what: "subscription", pending: ["f1", "f2"] };
      const retrying = run([stored("f1", ["f1", "f2"]), bounced]);
      assert.equal(retrying.state[bob].saved.retry?.dueAt, T0 + 3750, "the schedule is kept for a restart");
      const some = run([{ type: "withdrawn", bare: bob, pending: ["f2"] }], retrying.state);
      assert.deepEqual(some.effects, []);
      const none = run([{ type: "withdrawn", bare: bob, pending: [] }], some.state);
      assert.deepEqual(none.effects, [{ type: "cancel-retry", bare: bob, why: "nothing-waits" }]);
      assert.equal(none.state[bob].saved.retry, undefined);
      assert.deepEqual(run([{ type: "retry-due", bare: bob, pending: [] }], none.state).effects, [], "a late timer sends nothing");
    });
  });
});
