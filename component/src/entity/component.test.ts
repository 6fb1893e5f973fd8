import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import type { Element } from "ltx/lib/ltx.js";
import { StreamParser } from "@xft/protocol/xml/stream-parser.js";
import { createComponent } from "./component.js";

const SECRET = "s3cr3t";
const STREAM_ID = "3BF96D32";

// The server side of XEP-0114 §3: answer the header, check the handshake, then let the test
// write to the socket.
async function fakeServer() {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    socket.on("data", (d) => {
      const s = d.toString();
      if (s.includes("<stream:stream")) {
        socket.write(
          "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept'" +
            ` from='files.localhost' id='${STREAM_ID}'>`,
        );
      }
      const handshake = /<handshake>([0-9a-f]+)<\/handshake>/.exec(s);
      if (handshake) {
        const expected = createHash("sha1").update(STREAM_ID + SECRET).digest("hex");
        socket.write(handshake[1] === expected ? "<handshake/>" : "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  return {
    service: `xmpp://127.0.0.1:${port}`,
    sockets,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("component entity (createComponent)", () => {
  let server: Awaited<ReturnType<typeof fakeServer>>;
  beforeEach(async () => (server = await fakeServer()));
  afterEach(() => server.close());

  it("shakes hands (XEP-0114), then reads with our parser from a Nagle-free socket", async () => {
    const xmpp = createComponent({ service: server.service, domain: "files.localhost", password: SECRET });
    const address = await xmpp.start();
    assert.equal(address.toString(), "files.localhost");
    const entity = xmpp as unknown as { parser: unknown; Socket: new () => net.Socket };
    assert.ok(entity.parser instanceof StreamParser);
    assert.ok(xmpp.socket instanceof entity.Socket);
    assert.notEqual(entity.Socket, net.Socket);

    const calls: unknown[] = [];
    const socket = new entity.Socket();
    socket.setNoDelay = ((v?: boolean) => (calls.push(v), socket)) as typeof socket.setNoDelay;
    socket.connect({ port: Number(new URL(server.service).port), host: "127.0.0.1" });
    await once(socket, "connect");
    socket.destroy();
    assert.deepEqual(calls, [true]);
    xmpp.socket!.destroy();
  });

  it("receives a long stanza over many reads, and UTF-8 split between reads, intact", async () => {
    const xmpp = createComponent({ service: server.service, domain: "files.localhost", password: SECRET });
    const got: Element[] = [];
    xmpp.on("stanza", (el: Element) => got.push(el));
    await xmpp.start();
    const text = "QUJD".repeat(50_000);
    const bytes = Buffer.from(`<iq type='set' id='1'><data xmlns='http://jabber.org/protocol/ibb'>${text}</data><x>é😀</x></iq>`);
    const cut = bytes.indexOf(Buffer.from("é")) + 1; // between the two bytes of 'é'
    for (let i = 0; i < cut; i += 7001) {
      server.sockets[0].write(bytes.subarray(i, Math.min(i + 7001, cut)));
      await sleep(1); // separate reads on our side
    }
    await sleep(20);
    server.sockets[0].write(bytes.subarray(cut));
    await sleep(50);
    assert.equal(got.length, 1);
    assert.equal(got[0].getChildText("data")!.length, text.length);
    assert.equal(got[0].getChildText("x"), "é😀");
    xmpp.socket!.destroy();
  });

  it("does not reconnect unless asked to", async function () {
    this.timeout(10_000);
    const xmpp = createComponent({ service: server.service, domain: "files.localhost", password: SECRET });
    xmpp.on("error", () => undefined);
    await xmpp.start();
    server.sockets[0].destroy();
    await once(xmpp, "disconnect");
    await sleep(1500);
    assert.equal(server.sockets.length, 1);
  });
});
