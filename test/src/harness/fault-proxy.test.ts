// The fault proxy against plain TCP servers (so failures point at the proxy, not at XMPP code),
// plus one smoke test through a real Prosody.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import { startFaultProxy, type FaultProxy } from "./fault-proxy.js";
import { canConnect } from "./ports.js";
import { startProsody } from "./prosody.js";

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timeout waiting for ${what}`);
    await sleep(5);
  }
}

/** What one socket received and how it ended. Chunks are joined only on demand: joining on
 * every chunk would copy gigabytes for a 32 MiB transfer. */
class Seen {
  private chunks: Buffer[] = [];
  length = 0;
  closed = false;
  error?: NodeJS.ErrnoException;
  constructor(sock: net.Socket) {
    sock.on("data", (d: Buffer) => { this.chunks.push(d); this.length += d.length; });
    sock.on("error", (e) => (this.error = e));
    sock.on("close", () => (this.closed = true));
  }
  get data(): Buffer { return Buffer.concat(this.chunks); }
}
const watch = (sock: net.Socket) => new Seen(sock);

// Everything a test opens is registered here and torn down even when the test fails.
let teardown: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of teardown.reverse()) await fn();
  teardown = [];
});

interface TestServer { port: number; accepted: net.Socket[]; open: () => number }
async function server(onSocket: (s: net.Socket) => void, opts: net.ServerOpts = {}): Promise<TestServer> {
  const accepted: net.Socket[] = [];
  const srv = net.createServer(opts, (s) => {
    accepted.push(s);
    s.on("error", () => {}); // resets are what these tests provoke
    onSocket(s);
  });
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  teardown.push(() => {
    accepted.forEach((s) => s.destroy());
    return new Promise((resolve) => srv.close(resolve));
  });
  const port = (srv.address() as net.AddressInfo).port;
  return { port, accepted, open: () => accepted.filter((s) => !s.destroyed).length };
}
const echo = () => server((s) => s.pipe(s));

async function proxyTo(port: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ host: "127.0.0.1", port });
  teardown.push(() => proxy.close());
  return proxy;
}

async function connect(port: number): Promise<{ sock: net.Socket; seen: Seen }> {
  const sock = net.connect(port, "127.0.0.1");
  teardown.push(() => sock.destroy());
  const seen = watch(sock);
  await new Promise((resolve, reject) => sock.once("connect", resolve).once("error", reject));
  return { sock, seen };
}

/** Send `text` and wait for it to come back from an echo server. */
async function roundTrip(c: { sock: net.Socket; seen: Seen }, text: string): Promise<void> {
  const want = c.seen.length + text.length;
  c.sock.write(text);
  await waitFor(`echo of ${text}`, () => c.seen.length >= want);
  assert.equal(c.seen.data.subarray(want - text.length).toString(), text);
}

describe("fault proxy", function () {
  it("relays 5 MiB each way byte-exact and counts each direction exactly", async () => {
    const up = randomBytes(5 * MiB);
    const down = randomBytes(5 * MiB + 7); // a different size, so swapped counters would show
    let serverGot: Seen | undefined;
    const srv = await server((s) => {
      serverGot = watch(s);
      s.end(down);
    });
    const proxy = await proxyTo(srv.port);
    const c = await connect(proxy.port);
    c.sock.end(up);
    await waitFor("both sides closed", () => c.seen.closed && srv.open() === 0);
    assert.equal(c.seen.error, undefined);
    assert.equal(sha256(serverGot!.data), sha256(up));
    assert.equal(sha256(c.seen.data), sha256(down));
    assert.deepEqual(proxy.bytes, { up: up.length, down: down.length });
    await waitFor("pair gone", () => proxy.connections() === 0);
  });

  it("applies backpressure: a receiver that does not read stalls the sender", async () => {
    const data = randomBytes(32 * MiB);
    const srv = await server(() => {}, { pauseOnConnect: true }); // reads nothing until resumed
    const proxy = await proxyTo(srv.port);
    const c = await connect(proxy.port);
    c.sock.write(data);
    // Wait until the proxy stops relaying; without backpressure it would take all 32 MiB.
    await waitFor("relaying", () => proxy.bytes.up > 0);
    let last = -1;
    for (let i = 0; i < 100 && proxy.bytes.up !== last; i++) {
      last = proxy.bytes.up;
      await sleep(100);
    }
    assert.ok(proxy.bytes.up < 16 * MiB, `proxy relayed ${proxy.bytes.up} bytes into a stalled peer`);
    const got = watch(srv.accepted[0]);
    srv.accepted[0].resume(); // now every byte must still arrive, intact
    await waitFor("all data", () => got.length >= data.length);
    assert.equal(sha256(got.data), sha256(data));
    assert.equal(proxy.bytes.up, data.length);
  });

  it("cutAll resets open connections on both sides", async () => {
    const srv = await echo();
    const proxy = await proxyTo(srv.port);
    const c = await connect(proxy.port);
    await roundTrip(c, "ping");
    assert.equal(proxy.connections(), 1);
    proxy.cutAll();
    await waitFor("client closed", () => c.seen.closed);
    assert.equal(c.seen.error?.code, "ECONNRESET");
    await waitFor("server side closed", () => srv.open() === 0);
    await waitFor("pair gone", () => proxy.connections() === 0);
  });

  // The receiver of the last bytes may see a clean 'end' rather than ECONNRESET even though an
  // RST was sent: libuv reports EOF when data and the RST arrive in one poll. So the tests
  // check for an error only at the sending peer.
  it("cutAfter(N, 'down') delivers exactly N bytes, then resets", async () => {
    const payload = randomBytes(MiB);
    let sender: Seen | undefined;
    const srv = await server((s) => {
      sender = watch(s);
      s.once("data", () => s.write(payload));
    });
    const proxy = await proxyTo(srv.port);
    const c = await connect(proxy.port);
    await waitFor("pair", () => proxy.connections() === 1);
    const n = 300_007; // not a chunk size, so the proxy must split a chunk
    proxy.cutAfter(n, "down");
    c.sock.write("go"); // upstream bytes do not count against a "down" budget
    await waitFor("client closed", () => c.seen.closed);
    assert.equal(c.seen.data.length, n);
    assert.ok(c.seen.data.equals(payload.subarray(0, n)));
    await waitFor("server side closed", () => sender?.closed === true);
    assert.ok(sender!.error, "the sending server saw no error");
    assert.deepEqual(proxy.bytes, { up: 2, down: n });
  });

  it("cutAfter(N, 'up') lets exactly N bytes reach the server, then resets", async () => {
    let got: Seen | undefined;
    const srv = await server((s) => (got = watch(s)));
    const proxy = await proxyTo(srv.port);
    const c = await connect(proxy.port);
    await waitFor("pair", () => proxy.connections() === 1);
    const n = 123_457;
    proxy.cutAfter(n, "up");
    const payload = randomBytes(MiB);
    c.sock.write(payload);
    await waitFor("server side closed", () => got?.closed === true && c.seen.closed);
    assert.ok(got!.data.equals(payload.subarray(0, n)), `server got ${got!.data.length} bytes`);
    assert.ok(c.seen.error, "the sending client saw no error");
    assert.equal(proxy.bytes.up, n);
  });

  it("cutAfter(N, 'any') counts both directions; 0 cuts now; later connections are unarmed", async () => {
    const srv = await echo();
    const proxy = await proxyTo(srv.port);
    const a = await connect(proxy.port);
    await waitFor("pair", () => proxy.connections() === 1);
    proxy.cutAfter(15, "any");
    a.sock.write("0123456789"); // 10 up, then the echo's 10 down of which only 5 fit
    await waitFor("a closed", () => a.seen.closed);
    assert.equal(a.seen.data.toString(), "01234");
    assert.deepEqual(proxy.bytes, { up: 10, down: 5 });

    const b = await connect(proxy.port);
    await roundTrip(b, "still works"); // the earlier cutAfter armed only `a`
    proxy.cutAfter(0);
    await waitFor("b closed", () => b.seen.closed);
    assert.equal(b.seen.error?.code, "ECONNRESET");
  });

  it("refuseFor resets new connections for that long, then accepts again", async () => {
    const srv = await echo();
    const proxy = await proxyTo(srv.port);
    proxy.refuseFor(300);
    const started = Date.now();
    const sock = net.connect(proxy.port, "127.0.0.1");
    teardown.push(() => sock.destroy());
    const refused = watch(sock);
    await waitFor("refused", () => refused.closed);
    assert.equal(refused.error?.code, "ECONNRESET");
    assert.equal(srv.accepted.length, 0); // never connected upstream
    assert.equal(proxy.connections(), 0);

    await sleep(300 - (Date.now() - started) + 20);
    await roundTrip(await connect(proxy.port), "back");
    assert.equal(srv.accepted.length, 1);
  });

  it("blackhole holds traffic and keeps sockets open; turned off, everything flows again", async () => {
    const srv = await echo();
    const proxy = await proxyTo(srv.port);
    const a = await connect(proxy.port);
    await roundTrip(a, "before");
    proxy.blackhole(true);
    a.sock.write("held-a");
    const b = await connect(proxy.port); // accepted, but not connected upstream
    b.sock.write("held-b");
    await sleep(300);
    assert.equal(a.seen.data.toString(), "before");
    assert.equal(b.seen.length, 0);
    assert.ok(!a.seen.closed && !b.seen.closed);
    assert.equal(proxy.connections(), 2);
    assert.equal(srv.accepted.length, 1);
    assert.equal(proxy.bytes.up, "before".length);

    proxy.blackhole(false);
    await roundTrip(await connect(proxy.port), "new");
    // Like a healed network: held bytes arrive late, none are lost.
    await waitFor("held data delivered", () =>
      a.seen.data.toString() === "beforeheld-a" && b.seen.data.toString() === "held-b");
  });

  it("close() resets all connections, stops listening and leaves no handles", async () => {
    const srv = await echo();
    const tcpHandles = () =>
      process.getActiveResourcesInfo().filter((r) => r.startsWith("TCP")).length;
    const before = tcpHandles();
    const proxy = await startFaultProxy({ host: "127.0.0.1", port: srv.port });
    const a = await connect(proxy.port);
    await roundTrip(a, "x");
    proxy.blackhole(true);
    const b = await connect(proxy.port); // a held connection must be closed too
    await waitFor("pairs", () => proxy.connections() === 2);
    await proxy.close();
    await waitFor("clients closed", () => a.seen.closed && b.seen.closed && srv.open() === 0);
    assert.equal(proxy.connections(), 0);
    await sleep(20); // the clients' and echo's handles close a tick after their 'close' event
    assert.equal(tcpHandles(), before);
    assert.equal(await canConnect(proxy.port), false);
  });

  describe("through a real Prosody", function () {
    it("relays the stream header and returns <stream:features", async () => {
      const prosody = await startProsody();
      teardown.push(() => prosody.stop());
      const proxy = await proxyTo(prosody.c2sPort);
      assert.equal(proxy.service, `xmpp://127.0.0.1:${proxy.port}`);
      const c = await connect(proxy.port);
      const header =
        "<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client'" +
        " xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
      c.sock.write(header);
      await waitFor("features", () => c.seen.data.toString().includes("</stream:features>"));
      assert.match(c.seen.data.toString(), /<stream:features/);
      assert.deepEqual(proxy.bytes, { up: Buffer.byteLength(header), down: c.seen.length });
    });
  });
});
