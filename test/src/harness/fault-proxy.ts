// A TCP proxy on loopback that sits between a client and a real server (Prosody) and breaks the
// connection on command: cut now, cut after N bytes, refuse new connections, or black-hole the
// traffic. Tests use it to check that the client notices dead links and recovers.
//
// Semantics (see the FaultProxy doc comments): faults act on TCP, never on XMPP content, and
// nothing is ever silently dropped from the middle of a stream: bytes are either relayed in
// order or the connection is broken, just as TCP itself behaves.
import fsp from "node:fs/promises";
import net from "node:net";

const LOOPBACK = "127.0.0.1";

export type Direction = "up" | "down" | "any";

export interface FaultProxy {
  port: number;
  service: string; // xmpp://127.0.0.1:port
  /** Bytes relayed (handed to the other side) client->server (up) and server->client (down). */
  bytes: { up: number; down: number };
  /** Connection pairs accepted and not yet fully closed (including black-holed ones). */
  connections(): number;
  /** Break every open connection now: both sides get a TCP RST (ECONNRESET). */
  cutAll(): void;
  /**
   * Arm every connection open now: once `bytes` more bytes have been relayed in `direction`
   * ("any" = both directions together), the chunk that crosses the limit is split so exactly
   * that many pass, and the connection is broken like cutAll() once they are flushed to the
   * kernel. cutAfter(0) cuts at once. Later connections are not armed; a new call re-arms.
   * The receiver of the last bytes may see a plain 'end' rather than ECONNRESET: libuv reports
   * EOF when data and the RST arrive in the same poll. The other peer sees an error.
   */
  cutAfter(bytes: number, direction?: Direction): void;
  /** For `ms`, new connections are accepted and reset at once (client: ECONNRESET, no data). */
  refuseFor(ms: number): void;
  /**
   * on: stop reading from both sides of every connection (so senders stall on a full TCP
   * window, as with a dead network), keep all sockets open, and accept new connections without
   * connecting upstream. off: resume relaying held data on existing connections and connect
   * the held new ones upstream, like a healed network; nothing is lost.
   */
  blackhole(on: boolean): void;
  /** Stop listening, reset every connection, resolve once all sockets are closed. */
  close(): Promise<void>;
}

interface Pair {
  /** 1, 2, ... in the order the connections were accepted (the tap tells streams apart by it) */
  id: number;
  client: net.Socket;
  server?: net.Socket; // undefined while black-holed before connecting upstream
  relaying: boolean; // upstream connected and data handlers attached
  cut: boolean;
  budget?: { left: number; direction: Direction };
}

// An RST, not a FIN: the peer must see a failure, not what looks like an orderly logout.
// resetAndDestroy() needs a connected handle; a connect in progress is simply aborted.
function reset(sock: net.Socket | undefined): void {
  if (!sock || sock.destroyed) return;
  if (sock.connecting) sock.destroy();
  else sock.resetAndDestroy();
}

const noop = () => {};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// Bytes sent on `sock` that its peer's kernel has not acknowledged yet, from /proc/net/tcp
// (Linux; undefined elsewhere). Node has no API for the kernel send queue.
async function unacked(sock: net.Socket): Promise<number | undefined> {
  const port = (p?: number) => ":" + (p ?? 0).toString(16).toUpperCase().padStart(4, "0");
  const local = port(sock.localPort);
  const remote = port(sock.remotePort);
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    const table = await fsp.readFile(file, "utf8").catch(() => "");
    for (const line of table.split("\n")) {
      const f = line.trim().split(/\s+/); // sl local rem st tx_queue:rx_queue ...
      if (f[1]?.endsWith(local) && f[2]?.endsWith(remote)) return parseInt(f[4], 16);
    }
  }
  return undefined;
}

// An RST discards whatever still sits in our kernel send queue, and a receiver that is slower
// than the sender leaves plenty there. So before cutting after the last allowed bytes, wait
// (bounded) until the peer's kernel has them all; it keeps them readable after the RST.
async function delivered(sock: net.Socket, timeoutMs = 2000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!sock.destroyed && performance.now() < deadline && (await unacked(sock))) await sleep(1);
}

export async function startFaultProxy(
  target: { host: string; port: number },
  opts: {
    host?: string;
    /** sees every chunk as it is relayed, unchanged, with its direction and connection (a
     *  test reads what a peer really sent on the wire, e.g. each stanza a component sends) */
    tap?: (chunk: Buffer, direction: "up" | "down", connection: number) => void;
  } = {},
): Promise<FaultProxy> {
  const host = opts.host ?? LOOPBACK;
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`fault proxy is loopback only, not ${host}`);

  const bytes = { up: 0, down: 0 };
  const pairs = new Set<Pair>();
  const closed = new Set<Promise<void>>(); // one per socket still open; close() awaits them
  let blackholed = false;
  let refuseUntil = 0; // performance.now() deadline: no timer, so nothing keeps the process alive
  let closing = false;
  let accepted = 0;

  function track(sock: net.Socket): void {
    sock.setNoDelay(true); // without it Nagle delays small stanzas by up to 40 ms per round trip
    sock.on("error", noop); // failures are handled in 'close', which always follows
    const done = new Promise<void>((resolve) => sock.once("close", () => resolve()));
    closed.add(done);
    void done.then(() => closed.delete(done));
  }

  // Read from a side only while its destination can take more (backpressure: buffering stays
  // within the streams' highWaterMarks plus one chunk) and while traffic is allowed at all.
  function flow(p: Pair): void {
    if (!p.relaying) return;
    const stop = blackholed || p.cut;
    const set = (sock: net.Socket, on: boolean) => (on ? sock.resume() : sock.pause());
    set(p.client, !stop && !p.server!.writableNeedDrain);
    set(p.server!, !stop && !p.client.writableNeedDrain);
  }

  // Safe to call again (cutAll during a cutAfter flush): reset() skips destroyed sockets.
  function cut(p: Pair, last?: { chunk: Buffer; to: net.Socket }): void {
    p.cut = true;
    flow(p);
    const kill = () => { reset(p.client); reset(p.server); };
    if (last) last.to.write(last.chunk, () => void delivered(last.to).then(kill));
    else kill();
  }

  function relay(p: Pair, direction: "up" | "down", chunk: Buffer): void {
    if (p.cut) return; // data read after a cut started is dropped with the connection
    const to = direction === "up" ? p.server! : p.client;
    const b = p.budget;
    if (b && (b.direction === "any" || b.direction === direction)) {
      if (chunk.length >= b.left) {
        const last = chunk.subarray(0, b.left);
        bytes[direction] += last.length;
        opts.tap?.(last, direction, p.id);
        cut(p, { chunk: last, to });
        return;
      }
      b.left -= chunk.length;
    }
    bytes[direction] += chunk.length;
    opts.tap?.(chunk, direction, p.id);
    if (!to.write(chunk)) flow(p);
  }

  function connectUpstream(p: Pair): void {
    const server = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    p.server = server;
    track(server);
    server.once("connect", () => {
      if (p.cut) return;
      p.relaying = true;
      const { client } = p;
      client.on("data", (c: Buffer) => relay(p, "up", c));
      server.on("data", (c: Buffer) => relay(p, "down", c));
      // Half-closes are relayed as such; full teardown follows from both peers.
      client.on("end", () => { if (!p.cut) server.end(); });
      server.on("end", () => { if (!p.cut) client.end(); });
      client.on("drain", () => flow(p));
      server.on("drain", () => flow(p));
      flow(p);
    });
    server.once("close", (hadError) => {
      // An upstream failure (refused connect, RST) reaches the client as an RST too.
      if (hadError || !p.relaying) reset(p.client);
      if (p.client.destroyed) pairs.delete(p);
    });
  }

  const listener = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    track(client);
    if (closing || performance.now() < refuseUntil) {
      reset(client);
      return;
    }
    const p: Pair = { id: ++accepted, client, relaying: false, cut: false };
    pairs.add(p);
    client.once("close", (hadError) => {
      if (hadError || !p.relaying) reset(p.server);
      if (!p.server || p.server.destroyed) pairs.delete(p);
    });
    if (!blackholed) connectUpstream(p);
  });

  await new Promise<void>((resolve, reject) => {
    listener.once("error", reject);
    // Port 0: the kernel picks a free port, so there is no window in which it could be taken.
    listener.listen({ host, port: 0, exclusive: true }, () => {
      listener.off("error", reject);
      resolve();
    });
  });
  const port = (listener.address() as net.AddressInfo).port;

  return {
    port,
    service: `xmpp://${host}:${port}`,
    bytes,
    connections: () => pairs.size,
    cutAll() {
      for (const p of pairs) cut(p);
    },
    cutAfter(n, direction = "any") {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cutAfter: bad byte count ${n}`);
      for (const p of pairs) {
        if (n === 0) cut(p);
        else p.budget = { left: n, direction };
      }
    },
    refuseFor(ms) {
      refuseUntil = performance.now() + ms;
    },
    blackhole(on) {
      blackholed = on;
      for (const p of pairs) {
        if (!on && !p.server && !p.cut) connectUpstream(p);
        else flow(p);
      }
    },
    async close() {
      closing = true;
      const stopped = new Promise<void>((resolve) => listener.close(() => resolve()));
      for (const p of pairs) cut(p);
      await Promise.all([stopped, ...closed]);
    },
  };
}
