import assert from "node:assert/strict";
import { createElement as xml } from "ltx/lib/ltx.js";
import { NS_CAPS } from "@xft/protocol";
import { applyPresence, parsePresenceUpdate, type PresenceState } from "./cache.js";

const presence = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) => xml("presence", attrs, ...children);

describe("presence cache: what a presence says of a resource (issue 13 item 4)", () => {
  it("available from a full JID: priority (default 0, out of range 0) and caps when well formed", () => {
    assert.deepEqual(parsePresenceUpdate(presence({ from: "bob@b.test/d" })), { type: "available", jid: "bob@b.test/d", priority: 0 });
    assert.deepEqual(parsePresenceUpdate(presence({ from: "bob@b.test/d" }, xml("priority", {}, " -5 "))), { type: "available", jid: "bob@b.test/d", priority: -5 });
    for (const bad of ["200", "x", "1.5", ""]) assert.equal((parsePresenceUpdate(presence({ from: "bob@b.test/d" }, xml("priority", {}, bad))) as any).priority, 0, bad);
    const c = xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: "http://gajim.org", ver: "abc=" });
    assert.deepEqual((parsePresenceUpdate(presence({ from: "bob@b.test/g" }, c)) as any).caps, { hash: "sha-1", node: "http://gajim.org", ver: "abc=" });
  });

  it("a XEP-0203 delay stamp (servers put one on the presences they answer our probe with) says when it was sent", () => {
    const stamped = presence({ from: "bob@b.test/d" }, xml("delay", { xmlns: "urn:xmpp:delay", from: "b.test", stamp: "2026-12-03T14:42:21Z" }));
    assert.equal((parsePresenceUpdate(stamped) as any).stamp, Date.UTC(2026, 11, 3, 14, 42, 21));
    const bad = presence({ from: "bob@b.test/d" }, xml("delay", { xmlns: "urn:xmpp:delay", stamp: "yesterday" }));
    assert.equal((parsePresenceUpdate(bad) as any).stamp, undefined);
  });

  it("subscription, probe and error presences, and available ones without a resource, change nothing", () => {
    for (const type of ["subscribe", "subscribed", "unsubscribe", "unsubscribed", "probe", "error"]) {
      assert.equal(parsePresenceUpdate(presence({ from: "bob@b.test/d", type })), undefined, type);
    }
    assert.equal(parsePresenceUpdate(presence({ from: "bob@b.test" })), undefined);
    assert.equal(parsePresenceUpdate(presence({})), undefined);
  });

  it("per bare JID (case-insensitive): a resource added, updated (newer), removed; unavailable from the bare JID clears all", () => {
    let s: PresenceState = new Map();
    s = applyPresence(s, { type: "available", jid: "Bob@B.test/a", priority: 1 }, 1, 1000);
    s = applyPresence(s, { type: "available", jid: "bob@b.test/b", priority: 0, stamp: 500 }, 2, 2000);
    s = applyPresence(s, { type: "available", jid: "Bob@B.test/a", priority: 3 }, 3, 3000);
    assert.deepEqual([...s.get("bob@b.test")!.values()].map((r) => [r.jid, r.priority, r.since, r.seen]), [["Bob@B.test/a", 3, 3000, 3], ["bob@b.test/b", 0, 500, 2]]);
    s = applyPresence(s, { type: "unavailable", jid: "bob@b.test/b" }, 4, 4000);
    assert.deepEqual([...s.get("bob@b.test")!.keys()], ["Bob@B.test/a"]);
    s = applyPresence(s, { type: "unavailable", jid: "bob@b.test" }, 5, 5000);
    assert.equal(s.has("bob@b.test"), false);
  });
});
