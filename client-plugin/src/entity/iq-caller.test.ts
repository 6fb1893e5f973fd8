import assert from "node:assert/strict";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { createIqCaller as iqCaller } from "./iq-caller.js";
import type { Middleware, XmppEntity } from "./types.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An entity whose send() resolves `sendMs` after the server's reply was routed (what a TLS
 *  socket under load does), and the middleware the caller routes replies through. */
function lateWriteEntity(reply: (iq: Element) => Element, sendMs: number) {
  let route: ((ctx: Record<string, unknown>, next: () => Promise<unknown>) => unknown) | undefined;
  const middleware = { use: (fn: typeof route) => (route = fn), filter: (fn: unknown) => fn } as unknown as Middleware;
  const entity = {
    async send(iq: Element) {
      const answer = reply(iq);
      route!({ stanza: answer, name: answer.name, type: answer.attrs.type, id: answer.attrs.id }, async () => undefined);
      await sleep(sendMs);
    },
  } as unknown as XmppEntity;
  return { entity, middleware };
}

describe("iqCaller (entity/iq-caller.ts)", () => {
  it("an error reply before send() resolves: request() rejects with it, and nothing is left unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.prependListener("unhandledRejection", onUnhandled);
    try {
      const deps = lateWriteEntity((iq) => xml("iq", { type: "error", id: iq.attrs.id, from: "files.localhost" },
        xml("error", { type: "wait" }, xml("remote-server-timeout", { xmlns: "urn:ietf:params:xml:ns:xmpp-stanzas" }))), 30);
      const caller = iqCaller(deps);
      await assert.rejects(caller.request(xml("iq", { type: "get", to: "files.localhost" }), 1000),
        (err: { condition?: string }) => err.condition === "remote-server-timeout");
      await sleep(10); // Node reports an unhandled rejection after the microtasks have run
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("a result reply before send() resolves: request() resolves with it", async () => {
    const caller = iqCaller(lateWriteEntity((iq) => xml("iq", { type: "result", id: iq.attrs.id }), 30));
    const result = await caller.request(xml("iq", { type: "get", to: "localhost" }), 1000);
    assert.equal(result.attrs.type, "result");
  });

  it("no reply: request() times out as before", async () => {
    const caller = iqCaller({
      entity: { send: async () => undefined } as unknown as XmppEntity,
      middleware: { use: (fn: unknown) => fn, filter: (fn: unknown) => fn } as unknown as Middleware,
    });
    await assert.rejects(caller.request(xml("iq", { type: "get", to: "localhost" }), 50), { name: "TimeoutError" });
  });
});
