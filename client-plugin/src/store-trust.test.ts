import assert from "node:assert/strict";
import { parseDescription, parseJingle, parseSender, parseStored, sha256Of } from "@xft/protocol";
import { draftExample } from "@xft/protocol/ftrecovery/draft-examples.js";
import { initialTrust, MAX_UNANSWERED, trustStep, vouchFor, type StoreTrust, type TrustEvent } from "./store-trust.js";

const H = "8kN1mLmC3aWwvx0t2c8S5rD2Vv0mO5b8Vq0v3yq4x1s=";
const vouch = { store: "files.a.test", name: "report.pdf", size: 3145745, sha256: H };
const vouched: TrustEvent = { type: "vouched", from: "alice@a.test/laptop", vouch };
const storeAsks: TrustEvent = { type: "subscribe-request", from: "files.a.test", ownStore: false };

function run(events: TrustEvent[], state: StoreTrust = initialTrust) {
  const effects = [];
  for (const e of events) {
    const t = trustStep(state, e);
    state = t.state;
    effects.push(...t.effects);
  }
  return { state, effects };
}

describe("store trust (xep-draft §'Vouching for a Store')", () => {
  it("our own store's request is approved at once", () => {
    assert.deepEqual(run([{ type: "subscribe-request", from: "files.b.test", ownStore: true }]).effects, [{ type: "approve", store: "files.b.test" }]);
  });

  it("a store nobody vouched for is the user's to answer", () => {
    const { state, effects } = run([storeAsks]);
    assert.deepEqual(effects, [{ type: "ask-user", from: "files.a.test" }]);
    assert.deepEqual(state.unanswered, ["files.a.test"]);
  });

  it("vouch first, then the store's request: approved (either order, as servers deliver at login)", () => {
    assert.deepEqual(run([vouched, storeAsks]).effects, [{ type: "approve", store: "files.a.test" }]);
  });

  it("request first, then the vouch: the remembered request is approved when the vouch arrives, once", () => {
    const { state, effects } = run([storeAsks, vouched, vouched]);
    assert.deepEqual(effects, [{ type: "ask-user", from: "files.a.test" }, { type: "approve", store: "files.a.test" }]);
    assert.deepEqual(state.unanswered, []);
    assert.equal(state.vouches.length, 1, "the same vouch twice is one");
  });

  it("a vouch from a service (no localpart) or from the store itself vouches for nothing", () => {
    for (const from of ["a.test", "files.a.test", "evil.test"]) {
      const { state, effects } = run([storeAsks, { type: "vouched", from, vouch }]);
      assert.deepEqual(state.vouches, [], from);
      assert.deepEqual(effects, [{ type: "ask-user", from: "files.a.test" }], from);
    }
  });

  it("a vouched store is trusted for the vouched file from the voucher only", () => {
    const { state } = run([vouched]);
    const offer = { from: "files.a.test", sender: "alice@a.test", sha256: H, size: 3145745 };
    assert.equal(vouchFor(state, offer)?.voucher, "alice@a.test");
    assert.equal(vouchFor(state, { ...offer, sender: "mallory@a.test" }), undefined, "<sender/> must name the voucher");
    assert.equal(vouchFor(state, { ...offer, sender: undefined }), undefined, "no <sender/>: not vouched");
    assert.equal(vouchFor(state, { ...offer, sha256: "other=" }), undefined, "another file");
    assert.equal(vouchFor(state, { ...offer, size: 1 }), undefined, "another size");
    assert.equal(vouchFor(state, { ...offer, from: "files.c.test" }), undefined, "another store");
  });

  it("remembers a bounded number of unanswered requests", () => {
    const many = Array.from({ length: MAX_UNANSWERED + 5 }, (_, i): TrustEvent => ({ type: "subscribe-request", from: `s${i}.test`, ownStore: false }));
    const { state } = run(many);
    assert.equal(state.unanswered.length, MAX_UNANSWERED);
    assert.equal(state.unanswered[0], "s5.test", "the oldest go first");
  });

  it("the draft's examples: the vouch makes the store's delivery offer trusted", () => {
    const message = draftExample("Sender vouches for the store on its server");
    const { state } = run([{ type: "vouched", from: String(message.attrs.from), vouch: parseStored(message)! }]);
    const iq = draftExample("Store on the sender's server offers the file to the recipient");
    const file = parseDescription(parseJingle(iq.getChild("jingle")!).contents[0].description!);
    const offer = { from: String(iq.attrs.from), sender: parseSender(file), sha256: sha256Of(file.hashes), size: file.size };
    assert.equal(vouchFor(state, offer)?.voucher, "alice@example.org");
    assert.equal(run([{ type: "subscribe-request", from: String(iq.attrs.from), ownStore: false }], state).effects[0].type, "approve");
  });
});
