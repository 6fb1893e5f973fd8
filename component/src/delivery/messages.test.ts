// What the store sends is what the draft's examples show (§'Delivery').
import assert from "node:assert/strict";
import { draftExample } from "@xft/protocol/ftrecovery/draft-examples.js";
import type { Receipt, StoredFile } from "../store/index.js";
import { parse } from "ltx/lib/ltx.js";
import { makeReceipt, makeSubscribe, makeWaitingNotice, parseNoticeBounce } from "./messages.js";

const file = (name: string, size: number) => ({ sender: "alice@example.org", name, size }) as StoredFile;
/** the example without the server-added 'from' and the layout whitespace */
const canonical = (caption: string) => {
  const el = draftExample(caption);
  delete el.attrs.from;
  return el.toString().replace(/>\s*\n\s*</g, "><");
};

describe("delivery messages match the draft", () => {
  it("subscribe", () => assert.equal(makeSubscribe("bob@example.net").toString(), canonical("Store asks to see the recipient's presence")));
  it("the notice for two files (and an id of ours, so that its bounce is known)", () => {
    const notice = makeWaitingNotice("bob@example.net", [file("holiday.mp4", 6291456), file("notes.txt", 1000)]);
    assert.match(String(notice.attrs.id), /^xft-waiting-\d+$/);
    delete notice.attrs.id;
    assert.equal(notice.toString(), canonical("Store tells an offline recipient that files wait"));
  });
  it("the receipt", () => {
    const r: Receipt = { id: "x", sender: "alice@example.org", recipient: "bob@example.net", name: "holiday.mp4", size: 6291456, sha256: "cQGdiVWskwg+xdtx5WBoj4tKEDw+6Y5hHrbmgAa+6yc=", deliveredAt: new Date() };
    assert.equal(makeReceipt(r).toString(), canonical("Store tells the sender the file was delivered"));
  });
});

describe("notice bounces", () => {
  it("a message error with our notice's id is its bounce; other errors are not", () => {
    const notice = makeWaitingNotice("bob@b.test", [file("a", 1)]);
    // what Prosody returned when its s2s stream failed dialback: the stanza back, from bob, same id
    const bounce = parse(`<message from='bob@b.test' to='files.a.test' type='error' id='${notice.attrs.id}'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>`);
    assert.deepEqual(parseNoticeBounce(bounce), { bare: "bob@b.test", condition: "remote-server-not-found" });
    assert.equal(parseNoticeBounce(parse("<message from='bob@b.test' type='error' id='other'/>")), undefined, "not our notice (a receipt, say)");
    assert.equal(parseNoticeBounce(parse(`<message from='bob@b.test' id='${notice.attrs.id}'/>`)), undefined, "not an error");
    assert.equal(parseNoticeBounce(parse(`<message from='b.test' type='error' id='${notice.attrs.id}'/>`)), undefined, "not an account");
  });
});
