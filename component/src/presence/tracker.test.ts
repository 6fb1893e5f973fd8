import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { parsePresence, PresenceTracker } from "./tracker.js";

const p = (xml: string) => parsePresence(parse(xml));

describe("presence tracker", () => {
  it("parses available and unavailable presence of accounts; ignores the rest", () => {
    assert.deepEqual(p("<presence from='Bob@Example.org/phone'/>"), { kind: "available", bare: "bob@example.org", resource: "phone" });
    assert.deepEqual(p("<presence from='bob@example.org/phone' type='unavailable'/>"), { kind: "unavailable", bare: "bob@example.org", resource: "phone" });
    assert.deepEqual(p("<presence from='bob@example.org' type='error'/>"), { kind: "error", bare: "bob@example.org", condition: "undefined-condition" });
    assert.deepEqual(
      p("<presence from='bob@b.test' type='error'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>dialback failed</text></error></presence>"),
      { kind: "error", bare: "bob@b.test", condition: "remote-server-not-found" },
      "a bounce is told apart from a logout, with its condition",
    );
    assert.equal(p("<presence from='bob@example.org' type='subscribe'/>"), undefined);
    assert.equal(p("<presence from='bob@example.org/phone' type='probe'/>"), undefined);
    assert.equal(p("<presence from='example.org/x'/>"), undefined, "a server or component is no recipient");
    assert.equal(p("<presence/>"), undefined);
    assert.equal(p("<presence from='a@b@c'/>"), undefined);
    assert.equal(p("<message from='bob@example.org/phone'/>"), undefined);
  });

  it("reports a resource coming online once, and going offline once", () => {
    const t = new PresenceTracker();
    assert.deepEqual(t.apply({ kind: "available", bare: "bob@example.org", resource: "phone" }), [
      { kind: "came-online", bare: "bob@example.org", full: "bob@example.org/phone" },
    ]);
    assert.deepEqual(t.apply({ kind: "available", bare: "bob@example.org", resource: "phone" }), [], "a status change is not a login");
    t.apply({ kind: "available", bare: "bob@example.org", resource: "laptop" });
    assert.deepEqual(t.resourcesOf("Bob@example.org"), ["bob@example.org/phone", "bob@example.org/laptop"]);
    assert.deepEqual(t.apply({ kind: "unavailable", bare: "bob@example.org", resource: "phone" }), [
      { kind: "went-offline", bare: "bob@example.org", full: "bob@example.org/phone" },
    ]);
    assert.deepEqual(t.apply({ kind: "unavailable", bare: "bob@example.org", resource: "phone" }), []);
    assert.equal(t.isOnline("bob@example.org"), true);
    t.apply({ kind: "unavailable", bare: "bob@example.org", resource: "laptop" });
    assert.equal(t.isOnline("bob@example.org"), false);
  });

  it("an unavailable from the bare JID takes every resource offline", () => {
    const t = new PresenceTracker();
    t.apply({ kind: "available", bare: "bob@example.org", resource: "a" });
    t.apply({ kind: "available", bare: "bob@example.org", resource: "b" });
    assert.equal(t.apply({ kind: "unavailable", bare: "bob@example.org" }).length, 2);
    assert.deepEqual(t.resourcesOf("bob@example.org"), []);
  });

  it("an error presence (a bounce) takes every resource offline, as we will not see their presence", () => {
    const t = new PresenceTracker();
    t.apply({ kind: "available", bare: "bob@example.org", resource: "a" });
    assert.deepEqual(t.apply({ kind: "error", bare: "bob@example.org", condition: "remote-server-not-found" }).map((c) => c.kind), ["went-offline"]);
    assert.equal(t.isOnline("bob@example.org"), false);
  });

  it("clear() forgets everyone and says who went", () => {
    const t = new PresenceTracker();
    t.apply({ kind: "available", bare: "a@x", resource: "1" });
    t.apply({ kind: "available", bare: "b@x", resource: "2" });
    assert.deepEqual(t.clear().map((c) => c.full), ["a@x/1", "b@x/2"]);
    assert.equal(t.isOnline("a@x"), false);
  });
});
