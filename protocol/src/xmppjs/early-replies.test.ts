import assert from "node:assert/strict";
import { handleEarlyReplies } from "./early-replies.js";

describe("handleEarlyReplies (xmppjs/early-replies.ts)", () => {
  it("a pending reply rejected before anyone awaits it is not an unhandled rejection, and still rejects for its awaiter", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.prependListener("unhandledRejection", onUnhandled);
    try {
      const caller = handleEarlyReplies({ handlers: new Map<string, { promise: Promise<unknown> }>() });
      const promise = Promise.reject(new Error("remote-server-timeout"));
      caller.handlers.set("id1", { promise });
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(unhandled, []);
      await assert.rejects(promise, /remote-server-timeout/);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a caller without the handlers map it relies on fails at once", () => {
    assert.throws(() => handleEarlyReplies({}), /no 'handlers' map/);
  });
});
