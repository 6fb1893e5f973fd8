import assert from "node:assert/strict";
import { NS_JINGLE_FT, NS_JINGLE_IBB } from "@xft/protocol";
import { chooseResource, noResourceReason, supportsFileTransfer, type Candidate } from "./choose.js";

const FT = [NS_JINGLE_FT, NS_JINGLE_IBB];
const c = (jid: string, priority: number, since: number, features: Candidate["features"], seen = 0): Candidate => ({ jid: `bob@b.test/${jid}`, priority, since, seen, features });

describe("which resource of a bare JID gets the file (issue 13 item 4)", () => {
  it("nobody online: none, no presence; online but none speaks FT over IBB: none, no support", () => {
    assert.deepEqual(chooseResource([]), { type: "none", reason: "no-presence" });
    assert.deepEqual(chooseResource([c("chat", 5, 1, ["urn:xmpp:jingle:1", NS_JINGLE_FT]), c("web", 0, 2, "unknown")]), { type: "none", reason: "no-support" });
  });

  it("FT + IBB is required: file transfer without our transport (S5B only) does not count", () => {
    assert.equal(supportsFileTransfer(FT), true);
    assert.equal(supportsFileTransfer([NS_JINGLE_FT, "urn:xmpp:jingle:transports:s5b:1"]), false);
    assert.equal(supportsFileTransfer("unknown"), false);
    assert.equal(supportsFileTransfer("pending"), false);
  });

  it("support first: a lower-priority resource with FT beats a higher one without", () => {
    assert.deepEqual(chooseResource([c("chat", 10, 2, ["urn:xmpp:jingle:1"]), c("desktop", 0, 1, FT)]), { type: "chosen", jid: "bob@b.test/desktop" });
  });

  it("among those with FT: the highest priority, then the most recent presence, then the last to arrive", () => {
    assert.deepEqual(chooseResource([c("a", 1, 3, FT), c("b", 5, 1, FT), c("c", 5, 2, FT)]), { type: "chosen", jid: "bob@b.test/c" });
    assert.deepEqual(chooseResource([c("a", -1, 9, FT), c("b", 0, 1, FT)]), { type: "chosen", jid: "bob@b.test/b" });
    // the server answered our probe newest first: the stamp, not the arrival, says which is newer
    assert.deepEqual(chooseResource([c("new", 0, 2000, FT, 1), c("old", 0, 1000, FT, 2)]), { type: "chosen", jid: "bob@b.test/new" });
    assert.deepEqual(chooseResource([c("first", 0, 1000, FT, 1), c("second", 0, 1000, FT, 2)]), { type: "chosen", jid: "bob@b.test/second" });
  });

  it("one that did not take an earlier offer of this file goes after the others, and is still chosen when alone", () => {
    const refused = { ...c("gajim", 10, 9, FT), refused: true };
    assert.deepEqual(chooseResource([refused, c("dino", 0, 1, FT)]), { type: "chosen", jid: "bob@b.test/dino" });
    assert.deepEqual(chooseResource([refused]), { type: "chosen", jid: "bob@b.test/gajim" });
  });

  it("a resource still being asked is waited for only while it could be the better one", () => {
    assert.deepEqual(chooseResource([c("fast", 0, 1, FT), c("slow", 5, 2, "pending")]), { type: "pending" });
    assert.deepEqual(chooseResource([c("fast", 5, 2, FT), c("slow", 0, 1, "pending")]), { type: "chosen", jid: "bob@b.test/fast" });
    // a better-ranked resource that cannot take it does not hold up the next one
    assert.deepEqual(chooseResource([c("web", 9, 3, ["x"]), c("slow", 5, 2, "pending"), c("ok", 0, 1, FT)]), { type: "pending" });
  });

  it("the reasons a user reads", () => {
    assert.equal(noResourceReason("bob@b.test", "no-presence"), "bob@b.test is not online (no presence seen)");
    assert.equal(noResourceReason("bob@b.test", "no-support"), "no online resource of bob@b.test supports Jingle file transfer over IBB");
  });
});
