import assert from "node:assert/strict";
import { NS_FT_FORWARD, parseDescription, parseJingle, parseSender, parseStored, sha256Of, type DiscoInfo } from "@xft/protocol";
import { draftExample } from "@xft/protocol/ftrecovery/draft-examples.js";
import { initialTrust, isFileStore, MAX_UNANSWERED, trustStep, vouchFor, type StoreTrust, type TrustEffect, type TrustEvent } from "./store-trust.js";

const H = "8kN1mLmC3aWwvx0t2c8S5rD2Vv0mO5b8Vq0v3yq4x1s=";
const vouch = { store: "files.a.test", name: "report.pdf", size: 3145745, sha256: H };
const STORE: DiscoInfo = { identities: [{ category: "store", type: "file" }], features: ["urn:xmpp:jingle:1", NS_FT_FORWARD] };
const vouched: TrustEvent = { type: "vouched", from: "alice@a.test/laptop", vouch, fromContact: true };
const isStore: TrustEvent = { type: "store-checked", store: "files.a.test", info: STORE };
const offered: TrustEvent = { type: "vouched-offer", store: "files.a.test" };
const storeAsks: TrustEvent = { type: "subscribe-request", from: "files.a.test", ownStore: false };
const offer = { from: "files.a.test/x", sender: "alice@a.test", sha256: H, size: 3145745 };

function run(events: TrustEvent[], state: StoreTrust = initialTrust) {
  const effects: TrustEffect[] = [];
  for (const e of events) {
    const t = trustStep(state, e);
    state = t.state;
    effects.push(...t.effects);
  }
  return { state, effects };
}
const approvals = (effects: TrustEffect[]) => effects.filter((e) => e.type === "approve");

describe("store trust (xep-draft §'Vouching for a Store')", () => {
  it("our own store's request is approved at once", () => {
    assert.deepEqual(run([{ type: "subscribe-request", from: "files.b.test", ownStore: true }]).effects, [{ type: "approve", store: "files.b.test" }]);
  });

  it("a store nobody vouched for is the user's to answer", () => {
    const { state, effects } = run([storeAsks]);
    assert.deepEqual(effects, [{ type: "ask-user", from: "files.a.test" }]);
    assert.deepEqual(state.unanswered, ["files.a.test"]);
  });

  it("a contact's vouch: checked (once), announced by directed presence, approved only after the store offered the vouched file", () => {
    const { state, effects } = run([storeAsks, vouched, vouched, isStore]);
    assert.deepEqual(effects, [
      { type: "ask-user", from: "files.a.test" },
      { type: "check-store", store: "files.a.test" },
      { type: "announce", store: "files.a.test" },
    ], "one check for two vouches; no approval before the offer");
    assert.equal(state.vouches.length, 1, "the same vouch twice is one");
    assert.deepEqual(run([offered, offered], state).effects, [{ type: "approve", store: "files.a.test" }]);
  });

  it("the store's request after its offer: approved (either order, as servers deliver at login)", () => {
    const { effects } = run([vouched, isStore, offered, storeAsks]);
    assert.deepEqual(approvals(effects), [{ type: "approve", store: "files.a.test" }]);
  });

  it("an offer before the store asked approves nothing by itself (no pre-approval)", () => {
    assert.deepEqual(approvals(run([vouched, isStore, offered]).effects), []);
  });

  it("a stranger's vouch counts for nothing: no check, no presence, the request stays the user's", () => {
    const { state, effects } = run([storeAsks, { ...vouched, from: "mallory@evil.test", fromContact: false } as TrustEvent, isStore, offered]);
    assert.deepEqual(effects, [
      { type: "ask-user", from: "files.a.test" },
      { type: "refused", voucher: "mallory@evil.test", store: "files.a.test", reason: "not-a-contact" },
    ]);
    assert.deepEqual(state.vouches, []);
    assert.equal(vouchFor(state, offer), undefined);
  });

  it("a vouch for a JID that is not a store (an account, a client, no answer): refused, never announced or approved", () => {
    const notStores: Array<DiscoInfo | undefined> = [
      { identities: [{ category: "account", type: "registered" }], features: [] },
      { identities: [{ category: "client", type: "pc" }], features: [NS_FT_FORWARD] },
      { identities: [{ category: "store", type: "file" }], features: [] }, // a store, but not ours to forward to
      undefined, // error or timeout
    ];
    for (const info of notStores) {
      const carol = { ...vouch, store: "carol@a.test" };
      const { state, effects } = run([
        { type: "subscribe-request", from: "carol@a.test", ownStore: false },
        { ...vouched, vouch: carol } as TrustEvent,
        { type: "store-checked", store: "carol@a.test", info },
        { type: "vouched-offer", store: "carol@a.test" },
        { ...vouched, vouch: carol } as TrustEvent,
      ]);
      const label = JSON.stringify(info);
      assert.deepEqual(effects.map((e) => e.type), ["ask-user", "check-store", "refused", "refused"], label);
      assert.equal(vouchFor(state, { ...offer, from: "carol@a.test/x" }), undefined, label);
    }
    assert.equal(isFileStore(STORE), true);
  });

  it("a check nobody asked for changes nothing", () => {
    assert.deepEqual(run([isStore, offered, storeAsks]).effects, [{ type: "ask-user", from: "files.a.test" }]);
  });

  it("a vouch from a service (no localpart) or from the store itself vouches for nothing", () => {
    for (const from of ["a.test", "files.a.test"]) {
      const { state, effects } = run([storeAsks, { type: "vouched", from, vouch, fromContact: true }]);
      assert.deepEqual(state.vouches, [], from);
      assert.deepEqual(effects.map((e) => e.type), ["ask-user", "refused"], from);
    }
  });

  it("a checked store is trusted for the vouched file from the voucher only", () => {
    assert.equal(vouchFor(run([vouched]).state, offer), undefined, "not before the check answered");
    const { state } = run([vouched, isStore]);
    assert.equal(vouchFor(state, offer)?.voucher, "alice@a.test");
    assert.equal(vouchFor(state, { ...offer, sender: "mallory@a.test" }), undefined, "<sender/> must name the voucher");
    assert.equal(vouchFor(state, { ...offer, sender: undefined }), undefined, "no <sender/>: not vouched");
    assert.equal(vouchFor(state, { ...offer, sha256: "other=" }), undefined, "another file");
    assert.equal(vouchFor(state, { ...offer, size: 1 }), undefined, "another size");
    assert.equal(vouchFor(state, { ...offer, from: "files.c.test" }), undefined, "another store");
  });

  it("a new session announces us again to checked stores not yet approved", () => {
    const { state } = run([vouched, isStore]);
    assert.deepEqual(run([{ type: "online" }], state).effects, [{ type: "announce", store: "files.a.test" }]);
    assert.deepEqual(run([storeAsks, offered, { type: "online" }], state).effects.map((e) => e.type), ["ask-user", "approve"]);
  });

  it("remembers a bounded number of unanswered requests", () => {
    const many = Array.from({ length: MAX_UNANSWERED + 5 }, (_, i): TrustEvent => ({ type: "subscribe-request", from: `s${i}.test`, ownStore: false }));
    const { state } = run(many);
    assert.equal(state.unanswered.length, MAX_UNANSWERED);
    assert.equal(state.unanswered[0], "s5.test", "the oldest go first");
  });

  it("the draft's examples: the vouch makes the store's delivery offer trusted, and then its request approved", () => {
    const message = draftExample("Sender vouches for the store on its server");
    const from = String(message.attrs.from);
    const v = parseStored(message)!;
    const { state } = run([{ type: "vouched", from, vouch: v, fromContact: true }, { type: "store-checked", store: v.store, info: STORE }]);
    const iq = draftExample("Store on the sender's server offers the file to the recipient");
    const file = parseDescription(parseJingle(iq.getChild("jingle")!).contents[0].description!);
    const o = { from: String(iq.attrs.from), sender: parseSender(file), sha256: sha256Of(file.hashes), size: file.size };
    assert.equal(vouchFor(state, o)?.voucher, "alice@example.org");
    const after = run([{ type: "subscribe-request", from: o.from, ownStore: false }, { type: "vouched-offer", store: o.from }], state);
    assert.deepEqual(after.effects.map((e) => e.type), ["ask-user", "approve"]);
  });
});
