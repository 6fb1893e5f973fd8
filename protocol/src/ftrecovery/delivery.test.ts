// The Delivery examples of the draft (§'Delivery') are fixtures: parsed, and built again.
import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { draftExample } from "./draft-examples.js";
import { makeDelivered, makeWaiting, parseDelivered, parseWaiting } from "./delivery.js";

describe("xep-draft examples: delivery", () => {
  it("the subscription request is a plain RFC 6121 subscribe to the bare JID", () => {
    const p = draftExample("Store asks to see the recipient's presence");
    assert.equal(p.attrs.type, "subscribe");
    assert.ok(!String(p.attrs.to).includes("/"));
  });

  it("one notice lists every waiting file, with a body any client shows", () => {
    const m = draftExample("Store tells an offline recipient that files wait");
    const files = parseWaiting(m)!;
    assert.deepEqual(files, [
      { sender: "alice@example.org", name: "holiday.mp4", size: 6291456 },
      { sender: "alice@example.org", name: "notes.txt", size: 1000 },
    ]);
    assert.match(m.getChildText("body")!, /2 files wait/);
    assert.equal(makeWaiting(files).toString(), m.getChild("waiting")!.toString().replace(/\s*\n\s*/g, ""));
  });

  it("the receipt names recipient, file and its sha-256", () => {
    const m = draftExample("Store tells the sender the file was delivered");
    const r = parseDelivered(m)!;
    assert.deepEqual(r, { recipient: "bob@example.net", name: "holiday.mp4", size: 6291456, sha256: "cQGdiVWskwg+xdtx5WBoj4tKEDw+6Y5hHrbmgAa+6yc=" });
    assert.deepEqual(parseDelivered(parse(`<message>${makeDelivered(r).toString()}</message>`)), r);
  });

  it("refuses a receipt without a sha-256 and a notice with a bad size", () => {
    const bad = parse("<message><delivered xmlns='urn:xmpp:jingle-ft-recovery:0' recipient='b@x' name='n' size='1'/></message>");
    assert.throws(() => parseDelivered(bad), /sha-256/);
    const badSize = parse("<message><waiting xmlns='urn:xmpp:jingle-ft-recovery:0'><file sender='a@x' name='n' size='-1'/></waiting></message>");
    assert.throws(() => parseWaiting(badSize), /size/);
    assert.equal(parseWaiting(parse("<message><body>hi</body></message>")), undefined);
  });
});
