import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { untilOnline } from "./until-online.js";

describe("xmppjs/untilOnline", () => {
  it("resolves on any of the up events and leaves no listener behind", async () => {
    const e = new EventEmitter();
    const p = untilOnline(e, 1000, ["online", "resumed"]);
    e.emit("resumed");
    await p;
    assert.deepEqual(e.eventNames(), []);
  });

  it("rejects when the connection drops first, or after the timeout", async () => {
    const e = new EventEmitter();
    const dropped = untilOnline(e, 1000);
    e.emit("disconnect");
    await assert.rejects(dropped, /dropped before it was online/);
    await assert.rejects(untilOnline(e, 20), /not online within 20 ms/);
    assert.deepEqual(e.eventNames(), []);
  });
});
