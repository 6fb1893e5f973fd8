// What the store sends is what the draft's examples show (§'Delivery').
import assert from "node:assert/strict";
import { draftExample } from "@xft/protocol/ftrecovery/draft-examples.js";
import type { Receipt, StoredFile } from "../store/index.js";
import { makeReceipt, makeSubscribe, makeWaitingNotice } from "./messages.js";

const file = (name: string, size: number) => ({ sender: "alice@example.org", name, size }) as StoredFile;
/** the example without the server-added 'from' and the layout whitespace */
const canonical = (caption: string) => {
  const el = draftExample(caption);
  delete el.attrs.from;
  return el.toString().replace(/>\s*\n\s*</g, "><");
};

describe("delivery messages match the draft", () => {
  it("subscribe", () => assert.equal(makeSubscribe("bob@example.net").toString(), canonical("Store asks to see the recipient's presence")));
  it("the notice for two files", () =>
    assert.equal(makeWaitingNotice("bob@example.net", [file("holiday.mp4", 6291456), file("notes.txt", 1000)]).toString(), canonical("Store tells an offline recipient that files wait")));
  it("the receipt", () => {
    const r: Receipt = { id: "x", sender: "alice@example.org", recipient: "bob@example.net", name: "holiday.mp4", size: 6291456, sha256: "cQGdiVWskwg+xdtx5WBoj4tKEDw+6Y5hHrbmgAa+6yc=", deliveredAt: new Date() };
    assert.equal(makeReceipt(r).toString(), canonical("Store tells the sender the file was delivered"));
  });
});
