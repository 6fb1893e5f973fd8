import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import type { Element } from "ltx/lib/ltx.js";
import { xml } from "@xmpp/client-core";
import ConnectionTCP from "@xmpp/tcp/lib/Connection.js";
import { StreamParser } from "@xft/protocol/xml/stream-parser.js";
import { createClient, domainOf } from "./client.js";
import { tcpTransport } from "./transport.js";

const SERVER_HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
  " id='s1' from='localhost' version='1.0'>";

// A server that answers each stream header with its own, then lets the test write to the socket.
async function fakeServer() {
  const sockets: net.Socket[] = [];
  const received: string[] = []; // everything clients sent, one string per connection
  const server = net.createServer((socket) => {
    const index = sockets.push(socket) - 1;
    received[index] = "";
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    socket.on("data", (d) => {
      received[index] += d.toString();
      if (d.toString().includes("<stream:stream")) socket.write(SERVER_HEADER);
      if (d.toString().includes("</stream:stream>")) setTimeout(() => socket.end("</stream:stream>"), 20);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return {
    service: `xmpp://127.0.0.1:${port}`,
    sockets,
    received,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("client entity (createClient)", () => {
  let server: Awaited<ReturnType<typeof fakeServer>>;
  beforeEach(async () => (server = await fakeServer()));
  afterEach(() => server.close());

  it("takes the domain from the service", () => {
    assert.equal(domainOf("xmpp://example.org:5222"), "example.org");
    assert.equal(domainOf("example.org"), "example.org");
    assert.equal(createClient({ service: "xmpp://127.0.0.1:5" }).options.domain, "127.0.0.1");
  });

  it("reads the stream with our parser, from our transport's socket", async () => {
    const xmpp = createClient({ service: server.service, domain: "localhost" });
    await xmpp.connect(server.service);
    await xmpp.open({ domain: "localhost" });
    const entity = xmpp as unknown as { parser: unknown; Socket: unknown };
    assert.ok(entity.parser instanceof StreamParser);
    assert.equal(xmpp.socket!.constructor, entity.Socket);
    assert.notEqual(entity.Socket, ConnectionTCP.prototype.Socket);
    xmpp.socket!.destroy();
  });

  it("turns Nagle off on the transport's sockets when they connect", async () => {
    // setNoDelay(true) being called is the one observable of TCP_NODELAY from JS
    const socket = new (tcpTransport().prototype.Socket)();
    const calls: unknown[] = [];
    socket.setNoDelay = ((v?: boolean) => (calls.push(v), socket)) as typeof socket.setNoDelay;
    socket.connect({ port: Number(new URL(server.service).port), host: "127.0.0.1" });
    await once(socket, "connect");
    socket.destroy();
    assert.deepEqual(calls, [true]);
  });

  it("does not change xmpp.js's shared transport class", () => {
    const Transport = tcpTransport();
    assert.ok(new Transport.prototype.Parser() instanceof StreamParser);
    assert.ok(!(new ConnectionTCP.prototype.Parser() instanceof StreamParser)); // still @xmpp/xml's
  });

  it("keeps a UTF-8 character that a socket read splits in two (xmpp.js alone would not)", async () => {
    const xmpp = createClient({ service: server.service, domain: "localhost" });
    const bodies: string[] = [];
    xmpp.on("element", (el: Element) => bodies.push(el.getChildText("body") ?? ""));
    await xmpp.connect(server.service);
    await xmpp.open({ domain: "localhost" });
    const bytes = Buffer.from("<message><body>é😀</body></message>", "utf8");
    const cut = bytes.indexOf(Buffer.from("é")) + 1; // between the two bytes of 'é'
    server.sockets[0].write(bytes.subarray(0, cut));
    await sleep(30); // a separate read on our side
    server.sockets[0].write(bytes.subarray(cut));
    await sleep(30);
    assert.deepEqual(bodies, ["é😀"]);
    xmpp.socket!.destroy();
  });

  it("sends nothing after </stream:stream> (RFC 6120 §4.4), even while the close tag is being written", async () => {
    const xmpp = createClient({ service: server.service, domain: "localhost" });
    await xmpp.connect(server.service);
    await xmpp.open({ domain: "localhost" });
    const stopped = xmpp.stop();
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < 20; i++) {
      sends.push(xmpp.send(xml("presence", { id: String(i) })).catch((err: Error) => err));
      await Promise.resolve(); // one send per microtask, around the write of the close tag
    }
    await stopped;
    const results = await Promise.all(sends);
    const wire = server.received[0];
    assert.ok(wire.endsWith("</stream:stream>"), wire.slice(-200));
    assert.ok(results.some((r) => r instanceof Error && /closing/.test(r.message)), "later sends are refused");
  });

  it("does not reconnect unless asked to", async function () {
    this.timeout(10_000);
    const xmpp = createClient({ service: server.service, domain: "localhost" });
    xmpp.on("error", () => undefined);
    await xmpp.connect(server.service);
    await xmpp.open({ domain: "localhost" });
    server.sockets[0].destroy();
    await once(xmpp, "disconnect");
    await sleep(1500); // @xmpp/reconnect waits 1 s
    assert.equal(server.sockets.length, 1);

    xmpp.reconnect.start();
    await xmpp.connect(server.service);
    await xmpp.open({ domain: "localhost" });
    server.sockets[1].destroy();
    await once(xmpp.reconnect, "reconnected");
    assert.equal(server.sockets.length, 3);
    xmpp.reconnect.stop();
    xmpp.socket?.destroy();
  });
});
