import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import { createComponent } from "../entity/component.js";
import { keepConnected } from "./keep-connected.js";

const SECRET = "s3cr3t";

// A XEP-0114 §3 server that can go away and come back on the same port.
function fakeServer() {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    socket.on("data", (d) => {
      const s = d.toString();
      if (s.includes("<stream:stream")) socket.write("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='files.localhost' id='abc'>");
      const handshake = /<handshake>([0-9a-f]+)<\/handshake>/.exec(s);
      if (handshake) socket.write(handshake[1] === createHash("sha1").update("abc" + SECRET).digest("hex") ? "<handshake/>" : "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
    });
  });
  let port = 0;
  return {
    get service() { return `xmpp://127.0.0.1:${port}`; },
    async up() {
      server.listen(port, "127.0.0.1");
      await once(server, "listening");
      port = (server.address() as net.AddressInfo).port;
    },
    async down() {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe("keepConnected (reconnect with backoff)", function () {
  this.timeout(20_000);

  it("retries at the backoff delays while the server is down, then starts over once online", async () => {
    const server = fakeServer();
    await server.up();
    const xmpp = createComponent({ service: server.service, domain: "files.localhost", password: SECRET });
    xmpp.on("error", () => undefined);
    const retries: Array<{ attempt: number; delayMs: number }> = [];
    let onlines = 0;
    xmpp.on("online", () => onlines++);
    // random() = 1: each delay is its ceiling, base 40 ms doubling to at most 200 ms
    const kept = keepConnected(xmpp, { policy: { baseMs: 40, maxMs: 200 }, random: () => 1, onRetry: ({ attempt, delayMs }) => retries.push({ attempt, delayMs }) });
    try {
      kept.start();
      await once(xmpp, "online");
      assert.equal(retries.length, 0, "the first attempt is made at once");

      await server.down();
      while (retries.length < 5) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(retries.slice(0, 5).map((r) => r.delayMs), [40, 80, 160, 200, 200]);
      assert.deepEqual(retries.slice(0, 5).map((r) => r.attempt), [1, 2, 3, 4, 5]);

      await server.up();
      while (onlines < 2) await new Promise((r) => setTimeout(r, 10));
      retries.length = 0;
      await server.down();
      while (retries.length < 1) await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual({ attempt: retries[0].attempt, delayMs: retries[0].delayMs }, { attempt: 1, delayMs: 40 }, "online again resets the count");
    } finally {
      kept.stop();
      await xmpp.stop().catch(() => undefined);
      await server.down().catch(() => undefined);
    }
  });

  it("stop() ends the retries", async () => {
    const server = fakeServer();
    await server.up();
    const xmpp = createComponent({ service: server.service, domain: "files.localhost", password: SECRET });
    xmpp.on("error", () => undefined);
    let retries = 0;
    const kept = keepConnected(xmpp, { policy: { baseMs: 20, maxMs: 20 }, onRetry: () => retries++ });
    kept.start();
    await once(xmpp, "online");
    kept.stop();
    await server.down();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(retries, 0);
    assert.equal(xmpp.status, "disconnect");
  });
});
