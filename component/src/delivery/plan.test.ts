import assert from "node:assert/strict";
import { deliver, initialDelivery, type DeliveryEvent, type DeliveryState } from "./plan.js";

const bob = "bob@example.net";
const run = (events: DeliveryEvent[], state: DeliveryState = initialDelivery) => {
  const effects = [];
  for (const e of events) {
    const t = deliver(state, e);
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
        { type: "retry-later", bare: bob, attempt: 0 }, // the second bounce (the probe's, say) adds none
        { type: "probe", bare: bob }, { type: "subscribe", bare: bob },
        { type: "retry-later", bare: bob, attempt: 1 },
        { type: "probe", bare: bob }, { type: "subscribe", bare: bob },
        { type: "retry-later", bare: bob, attempt: 2 },
      ]);
    });

    it("stops once nothing waits (delivered or expired), and a bounce then starts nothing", () => {
      const { state, effects } = run([stored, bounced("subscription"), due([]), bounced("subscription", [])]);
      assert.deepEqual(effects.slice(2), [{ type: "retry-later", bare: bob, attempt: 0 }]);
      assert.equal(state[bob].retry, undefined);
    });

    it("their presence arriving cancels the retry and delivers; a late timer does nothing", () => {
      const { state, effects } = run([stored, bounced("subscription"), { type: "came-online", bare: bob, full: `${bob}/a`, pending: ["f1"] }, due()]);
      assert.deepEqual(effects.slice(2), [
        { type: "retry-later", bare: bob, attempt: 0 },
        { type: "cancel-retry", bare: bob },
        { type: "offer", bare: bob, full: `${bob}/a`, fileId: "f1" },
      ]);
      assert.equal(state[bob].retry, undefined);
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
});
