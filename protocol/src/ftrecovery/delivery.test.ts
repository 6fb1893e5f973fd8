// The Delivery examples of the draft (§'Delivery') are fixtures: parsed, and built again.
import assert from "node:assert/strict";
import { parse } from "ltx/lib/ltx.js";
import { draftExample } from "./draft-examples.js";
import { humanSize, makeDelivered, makeStored, makeWaiting, parseDelivered, parseStored, parseWaiting } from "./delivery.js";

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

describe("xep-draft examples: vouching for a store", () => {
  it("the sender's vouch names the store and the file (name, size, sha-256), with a body", () => {
    const m = draftExample("Sender vouches for the store on its server");
    const v = parseStored(m)!;
    assert.deepEqual(v, { store: "files.example.org", name: "report.pdf", size: 3145745, sha256: "8kN1mLmC3aWwvx0t2c8S5rD2Vv0mO5b8Vq0v3yq4x1s=" });
    assert.ok(!String(m.attrs.to).includes("/"), "to the recipient's bare JID: kept offline by its server");
    assert.equal(m.attrs.type, "normal");
    assert.match(m.getChildText("body")!, /report\.pdf \(3\.0 MiB\).*files\.example\.org/);
    assert.deepEqual(parseStored(parse(`<message>${makeStored(v).toString()}</message>`)), v);
  });

  it("the vouch is the file the sender forwarded (same hash and size as the forward example)", () => {
    const forward = draftExample("Sender forwards a file to the store for an offline recipient").toString();
    const v = parseStored(draftExample("Sender vouches for the store on its server"))!;
    assert.ok(forward.includes(v.sha256) && forward.includes(`<size>${v.size}</size>`));
  });

  it("refuses a vouch without a store, with a full JID as store, without a sha-256 or with a bad size", () => {
    const el = (attrs: string, hash = "<hash xmlns='urn:xmpp:hashes:2' algo='sha-256'>x</hash>") =>
      parse(`<message><stored xmlns='urn:xmpp:jingle-ft-recovery:0' ${attrs}>${hash}</stored></message>`);
    assert.throws(() => parseStored(el("name='n' size='1'")), /store's bare JID/);
    assert.throws(() => parseStored(el("store='files.a.test/r' name='n' size='1'")), /store's bare JID/);
    assert.throws(() => parseStored(el("store='files.a.test' name='n' size='1'", "")), /sha-256/);
    assert.throws(() => parseStored(el("store='files.a.test' name='n' size='x'")), /size/);
    assert.equal(parseStored(el("store='Files.A.test' name='n' size='1'"))?.store, "files.a.test", "lower-cased");
    assert.equal(parseStored(parse("<message><body>hi</body></message>")), undefined);
  });

  it("humanSize: bytes below a KiB, one decimal above", () => {
    assert.equal(humanSize(1000), "1000 bytes");
    assert.equal(humanSize(3145745), "3.0 MiB");
  });
});
