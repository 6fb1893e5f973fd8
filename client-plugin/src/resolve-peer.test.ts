import assert from "node:assert/strict";
import { decideProposalAnswer } from "./resolve-peer.js";

describe("XEP-0353 proposals: who gets an answer (issue 12 item 10)", () => {
  const base = { from: "alice@a.test/laptop", ourJid: "bob@b.test/phone", seesOurPresence: true, proceed: true };
  it("a contact who sees our presence: proceed, or reject when we take no files", () => {
    assert.equal(decideProposalAnswer(base), "proceed");
    assert.equal(decideProposalAnswer({ ...base, proceed: false }), "reject");
  });
  it("anyone else: no answer at all, proceed or not (either answer says we are online)", () => {
    assert.equal(decideProposalAnswer({ ...base, from: "mallory@evil.test/x", seesOurPresence: false }), "ignore");
    assert.equal(decideProposalAnswer({ ...base, from: "mallory@evil.test/x", seesOurPresence: false, proceed: false }), "ignore");
  });
  it("another device of our own account is answered (case-insensitive bare JID)", () => {
    assert.equal(decideProposalAnswer({ ...base, from: "Bob@B.test/laptop", seesOurPresence: false }), "proceed");
  });
});
