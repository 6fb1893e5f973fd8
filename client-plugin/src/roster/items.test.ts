import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { applyRosterItems, emptyRoster, isContact, isTrustedPush, parseRosterItems, seesOurPresence } from "./items.js";

const query = (items: string) => parse(`<query xmlns='jabber:iq:roster'>${items}</query>`);

describe("roster items (RFC 6121 §2)", () => {
  it("reads items, lower-cases JIDs, and skips full JIDs and empty ones", () => {
    const items = parseRosterItems(query("<item jid='Alice@Example.org' subscription='both'/><item jid='x@y/res' subscription='both'/><item/>"));
    assert.deepEqual(items, [{ jid: "alice@example.org", subscription: "both", pending: false }]);
  });

  it("reads an unknown subscription value as none, which grants nothing", () => {
    const roster = applyRosterItems(emptyRoster, parseRosterItems(query("<item jid='m@evil' subscription='everything'/>")), true);
    assert.equal(isContact(roster, "m@evil"), false);
    assert.equal(seesOurPresence(roster, "m@evil"), false);
  });

  it("a contact is an item with to, from, both, or our pending request; presence is seen only with from or both", () => {
    const roster = applyRosterItems(emptyRoster, parseRosterItems(query(
      "<item jid='to@x' subscription='to'/><item jid='from@x' subscription='from'/><item jid='both@x' subscription='both'/>" +
      "<item jid='none@x' subscription='none'/><item jid='asked@x' subscription='none' ask='subscribe'/>",
    )), true);
    assert.deepEqual(["to@x", "from@x", "both@x", "none@x", "asked@x", "nobody@x"].map((j) => isContact(roster, j)), [true, true, true, false, true, false]);
    assert.deepEqual(["to@x", "from@x", "both@x", "asked@x"].map((j) => seesOurPresence(roster, j)), [false, true, true, false]);
    assert.equal(isContact(roster, "Both@X/phone"), true, "a full JID is looked up by its bare JID");
  });

  it("a push changes only the items it names; remove deletes; a result replaces", () => {
    let roster = applyRosterItems(emptyRoster, parseRosterItems(query("<item jid='a@x' subscription='both'/><item jid='b@x' subscription='both'/>")), true);
    roster = applyRosterItems(roster, parseRosterItems(query("<item jid='a@x' subscription='remove'/><item jid='c@x' subscription='to'/>")));
    assert.deepEqual([...roster.keys()].sort(), ["b@x", "c@x"]);
    roster = applyRosterItems(roster, parseRosterItems(query("<item jid='d@x' subscription='both'/>")), true);
    assert.deepEqual([...roster.keys()], ["d@x"]);
  });

  it("trusts a push only from our own account (§2.1.6)", () => {
    assert.equal(isTrustedPush(undefined, "bob@x/r"), true);
    assert.equal(isTrustedPush("bob@x", "bob@x/r"), true);
    assert.equal(isTrustedPush("Bob@X", "bob@x/r"), true);
    assert.equal(isTrustedPush("mallory@x", "bob@x/r"), false);
    assert.equal(isTrustedPush("x", "bob@x/r"), false, "not even the server's domain");
  });
});
