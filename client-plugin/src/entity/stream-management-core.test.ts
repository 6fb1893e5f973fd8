import assert from "node:assert/strict";
import { createElement as xml, parse } from "ltx/lib/ltx.js";
import {
  H_MODULUS, NS_SM, addH, applyAck, emptyQueue, hDistance, isStanza, makeAck, makeEnable, makeRequest,
  makeResume, parseEnabled, parseFailed, parseH, sentH,
} from "./stream-management-core.js";

const MAX = H_MODULUS - 1; // 4294967295

describe("XEP-0198 core: h arithmetic mod 2^32", () => {
  it("wraps h to 0 after 2^32 - 1 (§4)", () => {
    assert.equal(addH(0), 1);
    assert.equal(addH(MAX), 0);
    assert.equal(addH(MAX - 1, 5), 3);
    assert.equal(addH(MAX, H_MODULUS), MAX); // a full turn
  });

  it("measures the distance between two h values across the wrap", () => {
    assert.equal(hDistance(5, 5), 0);
    assert.equal(hDistance(5, 9), 4);
    assert.equal(hDistance(MAX - 1, 3), 5);
    assert.equal(hDistance(5, 4), MAX); // one step back = almost a full turn forward
  });

  it("parses h as a decimal xs:unsignedInt and nothing else", () => {
    assert.equal(parseH("0"), 0);
    assert.equal(parseH("42"), 42);
    assert.equal(parseH("007"), 7);
    assert.equal(parseH(String(MAX)), MAX);
    for (const bad of [String(H_MODULUS), "-1", "1.0", "1e3", " 1", "0x10", "", "12345678901", undefined, 3]) {
      assert.equal(parseH(bad), undefined, String(bad));
    }
  });
});

describe("XEP-0198 core: the unacked queue", () => {
  const q = (acked: number, ...items: string[]) => ({ acked, items });

  it("drops what h acknowledges, oldest first, and keeps the rest in order", () => {
    const r = applyAck(q(10, "a", "b", "c", "d"), 12);
    assert.ok(r.ok);
    assert.deepEqual(r.acked, ["a", "b"]);
    assert.deepEqual(r.queue, q(12, "c", "d"));
    assert.equal(sentH(r.queue), 14);
  });

  it("accepts the same h again (nothing new) and an h that acks everything", () => {
    const same = applyAck(q(10, "a"), 10);
    assert.ok(same.ok);
    assert.deepEqual(same.acked, []);
    const all = applyAck(q(10, "a", "b"), 12);
    assert.ok(all.ok);
    assert.deepEqual(all.queue, q(12));
  });

  it("acks across the 2^32 wrap", () => {
    const r = applyAck(q(MAX - 1, "a", "b", "c", "d"), 1); // MAX-1 -> MAX -> 0 -> 1: three acked
    assert.ok(r.ok);
    assert.deepEqual(r.acked, ["a", "b", "c"]);
    assert.deepEqual(r.queue, q(1, "d"));
    assert.equal(sentH(q(MAX, "x", "y")), 1);
  });

  it("refuses an h beyond what was sent (XEP-0198 1.6: handled-count-too-high), changing nothing", () => {
    const queue = q(10, "a", "b");
    assert.deepEqual(applyAck(queue, 13), { ok: false, problem: "too-high", h: 13, lastAcked: 10, sent: 12 });
    assert.deepEqual(queue, q(10, "a", "b"));
    assert.equal((applyAck(q(MAX, "a"), 1) as { problem: string }).problem, "too-high"); // across the wrap
  });

  it("refuses an h that goes back (what Prosody calls 'acknowledged less than already acknowledged')", () => {
    assert.deepEqual(applyAck(q(10, "a"), 9), { ok: false, problem: "backwards", h: 9, lastAcked: 10, sent: 11 });
    assert.equal((applyAck(q(1, "a"), MAX) as { problem: string }).problem, "backwards"); // across the wrap
  });

  it("starts empty at the given h", () => {
    assert.deepEqual(emptyQueue(), { acked: 0, items: [] });
    assert.equal(sentH(emptyQueue(7)), 7);
  });
});

describe("XEP-0198 core: elements", () => {
  it("counts iq, message and presence of jabber:client, and nothing else", () => {
    for (const s of ["<iq type='result' id='1'/>", "<message/>", "<presence type='unavailable'/>",
      "<iq xmlns='jabber:client' type='get'/>"]) {
      assert.ok(isStanza(parse(s)), s);
    }
    for (const s of [`<r xmlns='${NS_SM}'/>`, `<a xmlns='${NS_SM}' h='1'/>`, `<enabled xmlns='${NS_SM}'/>`,
      "<stream:features/>", "<stream:error/>", "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
      "<iq xmlns='jabber:server'/>", "<message xmlns='jabber:component:accept'/>"]) {
      assert.ok(!isStanza(parse(s)), s);
    }
  });

  it("builds the XEP's examples", () => {
    assert.equal(makeEnable().toString(), `<enable xmlns="${NS_SM}" resume="true"/>`);
    assert.equal(makeEnable({ resume: false, max: 300 }).toString(), `<enable xmlns="${NS_SM}" max="300"/>`);
    assert.equal(makeResume("some-long-sm-id", 1).toString(), `<resume xmlns="${NS_SM}" previd="some-long-sm-id" h="1"/>`);
    assert.equal(makeAck(MAX).toString(), `<a xmlns="${NS_SM}" h="4294967295"/>`);
    assert.equal(makeRequest().toString(), `<r xmlns="${NS_SM}"/>`);
  });

  it("parses <enabled/>: an id only with resume, max and location when given", () => {
    assert.deepEqual(parseEnabled(parse(`<enabled xmlns='${NS_SM}' id='some-long-sm-id' resume='true' max='600' location='[2001:41D0:1:A49b::1]:9222'/>`)),
      { id: "some-long-sm-id", resume: true, max: 600, location: "[2001:41D0:1:A49b::1]:9222" });
    assert.deepEqual(parseEnabled(parse(`<enabled xmlns='${NS_SM}' id='x' resume='1'/>`)), { id: "x", resume: true });
    assert.deepEqual(parseEnabled(parse(`<enabled xmlns='${NS_SM}' id='x'/>`)), { id: "", resume: false });
    assert.deepEqual(parseEnabled(parse(`<enabled xmlns='${NS_SM}' resume='true'/>`)), { id: "", resume: false });
  });

  it("parses <failed/> with its condition and the optional h", () => {
    const stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
    assert.deepEqual(parseFailed(parse(`<failed xmlns='${NS_SM}' h='another-sequence-number'><item-not-found xmlns='${stanzas}'/></failed>`)),
      { condition: "item-not-found" });
    assert.deepEqual(parseFailed(xml("failed", { xmlns: NS_SM, h: "4" }, xml("unexpected-request", { xmlns: stanzas }))),
      { condition: "unexpected-request", h: 4 });
    assert.deepEqual(parseFailed(parse(`<failed xmlns='${NS_SM}'/>`)), { condition: "undefined-condition" });
  });
});
