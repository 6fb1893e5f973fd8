import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { xmppPortFrom } from "./port.js";

describe("xmppPortFrom: input pause", () => {
  function entityWithSocket() {
    const socket = { paused: false, pause() { this.paused = true; }, resume() { this.paused = false; } };
    const entity = Object.assign(new EventEmitter(), { socket, send: async () => undefined, jid: null });
    const port = xmppPortFrom({
      entity,
      iqCaller: { request: async () => { throw new Error("unused"); } },
      iqCallee: { set: () => undefined },
      middleware: { use: () => undefined },
    } as never);
    return { socket, entity, port };
  }

  it("pauses and resumes the current socket", () => {
    const { socket, port } = entityWithSocket();
    port.pauseInput!();
    assert.equal(socket.paused, true);
    port.resumeInput!();
    assert.equal(socket.paused, false);
  });

  it("reads again once the stream closes: a paused socket would never see the server's </stream> nor its FIN", () => {
    for (const status of ["closing", "disconnecting"]) {
      const { socket, entity, port } = entityWithSocket();
      port.pauseInput!();
      entity.emit("status", "online");
      assert.equal(socket.paused, true, "other statuses leave it paused");
      entity.emit("status", status);
      assert.equal(socket.paused, false, `resumed at ${status}`);
    }
  });
});
