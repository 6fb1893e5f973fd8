// The plaintext rule wired into the client (issue 12 item 9): a server that offers no TLS gets no
// SASL unless the socket's address is loopback or tls.insecure is set. Against a scripted server,
// since every real test server listens on loopback; the loopback decision is the injected seam.
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { createClient } from "./client.js";
import { TlsError, type TlsOptions } from "./starttls.js";

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
  " id='s1' from='localhost' version='1.0'>";
const FEATURES_WITHOUT_TLS =
  "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1</mechanism>" +
  "</mechanisms></stream:features>";

// Answers a stream header with features that offer no TLS; records what the client sent.
async function plaintextServer() {
  let received = "";
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    socket.on("error", () => undefined);
    socket.on("data", (d) => {
      received += d.toString();
      if (d.toString().includes("<stream:stream")) socket.write(HEADER + FEATURES_WITHOUT_TLS);
      if (d.toString().includes("</stream:stream>")) socket.end("</stream:stream>");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    service: `xmpp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    received: () => received,
    close: () => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), server.close(resolve))),
  };
}

// start() until it fails or the client sends <auth/>; what it came to
async function login(service: string, tls: TlsOptions, received: () => string): Promise<"auth-sent" | Error> {
  const xmpp = createClient({ service, domain: "localhost", username: "alice", password: "secret", tls, streamManagement: false });
  xmpp.on("error", () => undefined);
  const started = xmpp.start().then(() => new Error("logged in?"), (err: Error) => err);
  const deadline = Date.now() + 5000;
  try {
    for (;;) {
      if (received().includes("<auth")) return "auth-sent";
      const done = await Promise.race([started, new Promise((resolve) => setTimeout(resolve, 10, undefined))]);
      if (done instanceof Error) return done;
      if (Date.now() > deadline) return new Error("neither refused nor authenticating within 5 s");
    }
  } finally {
    xmpp.socket?.destroy();
  }
}

describe("client TLS rule (starttls.ts)", () => {
  let server: Awaited<ReturnType<typeof plaintextServer>>;
  beforeEach(async () => (server = await plaintextServer()));
  afterEach(() => server.close());

  it("refuses a server without TLS at a non-loopback address before any SASL", async () => {
    const result = await login(server.service, { isLoopback: () => false }, server.received);
    assert.ok(result instanceof TlsError, String(result));
    assert.equal(result.kind, "plaintext-refused");
    assert.equal(result.message, "the server offers no TLS; refusing to send the password in clear");
    assert.match(server.received(), /<stream:stream/);
    assert.doesNotMatch(server.received(), /<auth|<response/, "SASL was sent");
  });

  it("asks the seam about the socket's real address, not the service name", async () => {
    const asked: (string | undefined)[] = [];
    await login(server.service, { isLoopback: (a) => (asked.push(a), false) }, server.received);
    assert.deepEqual(asked, ["127.0.0.1"]);
  });

  it("goes on in clear to a loopback address (the default decision)", async () => {
    assert.equal(await login(server.service, {}, server.received), "auth-sent");
  });

  it("goes on in clear with insecure, whatever the address", async () => {
    assert.equal(await login(server.service, { insecure: true, isLoopback: () => false }, server.received), "auth-sent");
  });
});
