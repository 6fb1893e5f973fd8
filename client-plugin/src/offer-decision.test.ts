import assert from "node:assert/strict";
import { decideOffer, type OfferContext, type OfferFacts } from "./offer-decision.js";

const contacts = new Set(["alice@example.org", "carol@example.org"]);
const ctx = (over: Partial<OfferContext> = {}): OfferContext => ({
  autoReceive: true, canStore: true, canAsk: true, isContact: (jid) => contacts.has(jid), newFiles: "ask", ...over,
});
const direct = (from: string, over: Partial<OfferFacts> = {}): OfferFacts => ({ from, continues: false, held: 0, ...over });
const fromStore = (sender?: string, over: Partial<OfferFacts> = {}): OfferFacts => ({ from: "files.example.org", continues: false, held: 0, storeDelivery: { sender }, ...over });
const CLI = { from: "contacts" } as const;

describe("decideOffer (issue 12 items 5, 8)", () => {
  describe("store deliveries", () => {
    it("auto-receive takes a file a contact left, continuing that contact's own partial copy", () => {
      const d = decideOffer(fromStore("Alice@Example.org"), ctx());
      assert.deepEqual(d, { action: "auto-accept", reason: "alice@example.org (a contact) left it at the store", alsoFrom: "alice@example.org" });
    });

    it("a file a stranger left is the application's question, not taken", () => {
      assert.equal(decideOffer(fromStore("mallory@evil.example"), ctx()).action, "ask");
    });

    it("a store that names no sender is asked about, or declined by a contacts-only receiver", () => {
      assert.equal(decideOffer(fromStore(undefined), ctx()).action, "ask");
      const d = decideOffer(fromStore(undefined), ctx({ newFiles: CLI, canAsk: false }));
      assert.equal(d.action, "decline");
      assert.match(d.reason, /names no sender/);
    });

    it("auto-receive off: a contact's file is a new file under the policy (asked, or taken by a contacts-only receiver without continuing a partial)", () => {
      assert.equal(decideOffer(fromStore("alice@example.org"), ctx({ autoReceive: false })).action, "ask");
      const d = decideOffer(fromStore("alice@example.org"), ctx({ autoReceive: false, newFiles: CLI, canAsk: false }));
      assert.equal(d.action, "auto-accept");
      assert.equal("alsoFrom" in d && d.alsoFrom, false);
    });

    it("is judged by who left the file, not by the store: a stranger's file is declined by a contacts-only receiver", () => {
      const d = decideOffer(fromStore("mallory@evil.example"), ctx({ newFiles: CLI, canAsk: false }));
      assert.deepEqual(d, { action: "decline", reason: "new files are taken from contacts only", continuation: false });
    });

    it("without a download directory nothing is taken by itself", () => {
      assert.equal(decideOffer(fromStore("alice@example.org"), ctx({ canStore: false })).action, "ask");
    });
  });

  describe("continuations", () => {
    it("auto-receive takes the rest of a file already accepted from this peer, whoever the peer is", () => {
      const d = decideOffer(direct("mallory@evil.example/x", { continues: true, held: 500 }), ctx({ newFiles: CLI }));
      assert.deepEqual(d, { action: "auto-accept", reason: "continues a file already accepted, from byte 500" });
    });

    it("auto-receive off: asked (a prompt), or declined with nobody to ask", () => {
      const asked = decideOffer(direct("alice@example.org/phone", { continues: true, held: 500 }), ctx({ autoReceive: false }));
      assert.deepEqual(asked, { action: "ask", reason: "alice@example.org offers the rest of a file from byte 500; auto-receive is off", continuation: true });
      const declined = decideOffer(direct("alice@example.org/phone", { continues: true, held: 500 }), ctx({ autoReceive: false, canAsk: false, newFiles: CLI }));
      assert.deepEqual(declined, { action: "decline", reason: "auto-receive is off", continuation: true });
    });

    it("a continuation of nothing we hold is a new file: a stranger cannot skip the policy by saying <continues/>", () => {
      const d = decideOffer(direct("mallory@evil.example/x", { continues: true, held: 0 }), ctx({ newFiles: CLI, canAsk: false }));
      assert.equal(d.action, "decline");
      assert.equal(d.action === "decline" && d.continuation, false);
    });

    it("without a download directory the continuation is asked about", () => {
      assert.equal(decideOffer(direct("alice@example.org/x", { continues: true, held: 9 }), ctx({ canStore: false })).action, "ask");
    });
  });

  describe("new files", () => {
    it("policy ask: the application decides; nobody listening: declined", () => {
      assert.deepEqual(decideOffer(direct("alice@example.org/x"), ctx()), { action: "ask", reason: "a new file: the application decides", continuation: false });
      assert.deepEqual(decideOffer(direct("alice@example.org/x"), ctx({ canAsk: false })), { action: "decline", reason: "not accepting files", continuation: false });
    });

    it("contacts: a contact's file is taken, a stranger's declined (auto-receive does not matter)", () => {
      for (const autoReceive of [true, false]) {
        assert.deepEqual(decideOffer(direct("Alice@example.org/laptop"), ctx({ autoReceive, newFiles: CLI, canAsk: false })), {
          action: "auto-accept", reason: "a new file from alice@example.org (a contact)",
        });
        assert.equal(decideOffer(direct("mallory@evil.example/x"), ctx({ autoReceive, newFiles: CLI, canAsk: false })).action, "decline");
      }
    });

    it("contacts narrowed by only: another contact is declined", () => {
      const policy = { from: "contacts", only: ["alice@example.org"] } as const;
      assert.equal(decideOffer(direct("alice@example.org/x"), ctx({ newFiles: policy })).action, "auto-accept");
      assert.deepEqual(decideOffer(direct("carol@example.org/x"), ctx({ newFiles: policy })), {
        action: "decline", reason: "new files are taken from chosen senders only", continuation: false,
      });
    });

    it("contacts narrowed to a stranger still takes nothing from the stranger: only narrows", () => {
      const d = decideOffer(direct("mallory@evil.example/x"), ctx({ newFiles: { from: "contacts", only: ["mallory@evil.example"] } }));
      assert.equal(d.action, "decline");
    });

    it("anyone: a stranger's file is taken; narrowed by only, only those", () => {
      assert.deepEqual(decideOffer(direct("mallory@evil.example/x"), ctx({ newFiles: { from: "anyone" } })), { action: "auto-accept", reason: "a new file from mallory@evil.example" });
      const only = { from: "anyone", only: ["mallory@evil.example"] } as const;
      assert.equal(decideOffer(direct("mallory@evil.example/x"), ctx({ newFiles: only })).action, "auto-accept");
      assert.equal(decideOffer(direct("alice@example.org/x"), ctx({ newFiles: only })).action, "decline");
      assert.equal(decideOffer(fromStore(undefined), ctx({ newFiles: { from: "anyone" }, autoReceive: false })).action, "auto-accept");
    });

    it("a policy that would take it, but no download directory: asked, or declined", () => {
      assert.equal(decideOffer(direct("alice@example.org/x"), ctx({ newFiles: CLI, canStore: false })).action, "ask");
      assert.equal(decideOffer(direct("alice@example.org/x"), ctx({ newFiles: CLI, canStore: false, canAsk: false })).action, "decline");
    });
  });
});
