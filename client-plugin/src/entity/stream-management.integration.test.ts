// XEP-0198 against a real Prosody 0.12 with mod_smacks and a real ejabberd 23.01 with
// mod_stream_mgmt (the shared test harness, once per server kind): exact counts
// over more than 10000 stanzas each way, resumption after the socket dies, and the fallback to a
// new session when the server lost the old one. Prosody checks our 'h' on every <a/> and closes
// the session if it goes back or beyond what it sent (ejabberd only checks "beyond"); on <resume/>
// both re-send whatever our 'h' does not cover, so an 'h' that is too low shows as duplicates and
// one too high as <failed/>.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { once } from "node:events";
import { xml } from "@xmpp/client-core";
import type { Element } from "ltx/lib/ltx.js";
import { createClient, type XmppClient } from "./client.js";
import type { StreamManagementOptions } from "./stream-management.js";

// The harness lives in the test package, which depends on this one: loaded at run time (see
// client.integration.test.ts) and typed here by what this test uses.
interface XmppServer {
  kind: string;
  service: string;
  host: string;
  caFile?: string; // started with TLS (the harness's default): the run's CA
  register(user: string, password: string): Promise<void>;
  restart(): Promise<void>;
  log(): Promise<string>;
  stop(): Promise<void>;
}
const HARNESS = "@xft/test/dist/harness/servers.js";
const harness: {
  SERVER_KINDS: string[];
  serverName(kind: string): string;
  startServer(kind: string): Promise<XmppServer>;
} = await import(HARNESS); // at load time: the kinds name the suites

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const NS_PING = "urn:xmpp:ping";
/** what mod_smacks (Prosody) and mod_stream_mgmt (ejabberd: "X acknowledged N stanzas, but only M
 *  were sent", "Too many unacked stanzas", "Cannot resume session") log when they find a
 *  client's counts wrong */
const SMACKS_COMPLAINTS = /acknowledged (less|more) stanzas|acknowledged \d+ stanzas, but only|handled \d+ new stanzas, but we sent|Too many unacked|can't be resumed|Cannot resume session|Missing or invalid 'h'/i;

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A TCP relay to the server that can go silent: cut() drops all bytes both ways on the current
 *  connections, as a dead network path would, while both sockets stay open. */
async function relay(target: string) {
  const { hostname, port } = new URL(target);
  const pairs: { client: net.Socket; upstream: net.Socket; cut: boolean }[] = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    const pair = { client, upstream, cut: false };
    pairs.push(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.on("data", (d) => pair.cut || upstream.write(d));
    upstream.on("data", (d) => pair.cut || client.write(d));
    for (const [a, b] of [[client, upstream], [upstream, client]]) {
      a.on("error", () => undefined);
      a.on("close", () => b.destroy());
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    service: `xmpp://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cut: () => pairs.forEach((p) => (p.cut = true)),
    close: () => {
      pairs.forEach((p) => p.client.destroy());
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

for (const kind of harness.SERVER_KINDS) describe(`stream management (XEP-0198) against ${harness.serverName(kind)}`, function () {
  this.timeout(180_000);
  let server: XmppServer;
  const clients: XmppClient[] = [];

  before(async function () {
    server = await harness.startServer(kind); // stream management is on by default on both
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await server?.stop();
  });

  /** Logs in with SM; records what it receives and anything SM reports as wrong. */
  async function login(user: string, options: { service?: string; sm?: StreamManagementOptions } = {}) {
    const xmpp = createClient({
      service: options.service ?? server.service, domain: server.host, username: user, password: `${user}pass`,
      streamManagement: options.sm ?? true,
      tls: server.caFile ? { ca: [readFileSync(server.caFile)] } : undefined, // over STARTTLS, as deployed
    });
    clients.push(xmpp);
    xmpp.on("error", () => undefined);
    const sm = xmpp.streamManagement!;
    const problems: unknown[] = [];
    sm.on("invalid-ack", (info: unknown) => problems.push(["invalid-ack", info]));
    sm.on("timeout", (info: unknown) => problems.push(["timeout", info]));
    const fails: [Element[], string][] = [];
    sm.on("fail", (stanzas: Element[], reason: string) => fails.push([stanzas, reason]));
    const messages: string[] = []; // ids of the messages received, in order
    xmpp.on("stanza", (el: Element) => el.is("message") && messages.push(el.attrs.id));
    const enabled = once(sm, "enabled");
    const address = (await xmpp.start()).toString();
    await enabled;
    return { xmpp, sm, address, problems, fails, messages };
  }
  type Peer = Awaited<ReturnType<typeof login>>;

  const ping = (from: Peer, to: string) =>
    from.xmpp.iqCaller.request(xml("iq", { type: "get", to }, xml("ping", { xmlns: NS_PING })));
  const message = (to: string, id: string) => xml("message", { to, id }, xml("body", {}, id));

  /** Kills the socket under the client and reconnects; resolves with "resumed"'s info, or
   *  rejects when a new session was bound instead or the server hung up (resumption failed). */
  async function dropAndResume(peer: Peer): Promise<{ h: number; resent: number }> {
    const resumed = once(peer.sm, "resumed");
    const bound = once(peer.xmpp, "online").then(() => {
      throw new Error(`no resumption, a new session instead: ${JSON.stringify(peer.fails.map(([s, r]) => [s.length, r]))}`);
    });
    peer.xmpp.socket!.destroy();
    await once(peer.xmpp, "disconnect");
    const closed = once(peer.xmpp, "disconnect").then(() => {
      throw new Error("the server closed the connection instead of resuming");
    });
    await peer.xmpp.reconnect.reconnect();
    const [info] = await Promise.race([resumed, bound, closed]);
    return info;
  }

  async function smacksComplaints(): Promise<string[]> {
    return (await server.log()).split("\n").filter((line) => SMACKS_COMPLAINTS.test(line));
  }

  it("counts exactly over >10000 stanzas each way (iq get/result pairs and messages), in both directions at once", async () => {
    const alice = await login("alice");
    const bob = await login("bob");
    const MESSAGES = 5000; // each way
    const PINGS = 3000; // each way; each is a get one way and a result the other way
    const WINDOW = 16; // pings in flight per side
    let maxUnacked = 0;

    async function run(from: Peer, to: Peer) {
      const pings = (async () => {
        for (let i = 0; i < PINGS; i += WINDOW) {
          await Promise.all(Array.from({ length: Math.min(WINDOW, PINGS - i) }, () => ping(from, to.address)));
        }
      })();
      for (let i = 0; i < MESSAGES; i++) {
        await from.xmpp.send(message(to.address, `${from.address}-${i}`));
        maxUnacked = Math.max(maxUnacked, from.sm.unacked.length);
        // a sender's window: no more than 1000 messages ahead of what the peer got
        if (i % 250 === 249) await until(() => to.messages.length >= i - 1000, "the peer to catch up");
      }
      await pings;
    }
    const start = performance.now();
    await Promise.all([run(alice, bob), run(bob, alice)]);
    await until(() => alice.messages.length === MESSAGES && bob.messages.length === MESSAGES, "all messages");
    const seconds = (performance.now() - start) / 1000;

    // What each side sent and received, by the test's own bookkeeping (no presence was sent, so
    // the server sent nothing else): messages, pings, and the pongs iqCallee answered.
    const SENT = MESSAGES + PINGS + PINGS;
    const RECEIVED = MESSAGES + PINGS + PINGS;
    for (const peer of [alice, bob]) {
      const h = await peer.sm.requestAck(); // the server's count of our stanzas
      assert.equal(h, SENT, `${peer.address}: the server's h`);
      assert.equal(peer.sm.outbound, SENT, `${peer.address}: our count of sent stanzas`);
      assert.equal(peer.sm.unacked.length, 0, `${peer.address}: queue empty after the final ack`);
      assert.equal(peer.sm.inbound, RECEIVED, `${peer.address}: our h`);
      assert.deepEqual(peer.problems, []);
      assert.equal(peer.xmpp.status, "online");
      await ping(peer, server.host); // the session is alive: a final round trip
      assert.deepEqual(new Set(peer.messages).size, MESSAGES, "no message twice");
    }
    assert.deepEqual(await smacksComplaints(), []);
    console.log(`      ${2 * (SENT + RECEIVED)} stanzas in ${seconds.toFixed(1)} s; largest unacked queue ${maxUnacked}`);

    // The server's own count of what it sent alice agrees with our h: resuming makes it re-send all
    // that our h does not cover (none), or fail if our h claims more.
    const inbound = alice.sm.inbound;
    assert.deepEqual(await dropAndResume(alice), { h: SENT + 1, resent: 0 }); // + the final ping
    await ping(alice, server.host);
    await sleep(100);
    assert.equal(alice.sm.inbound, inbound + 1, "the server re-sent nothing: only the pong came");
    assert.equal(alice.messages.length, MESSAGES);
    assert.deepEqual(alice.fails, []);
    await Promise.all([alice.xmpp.stop(), bob.xmpp.stop()]);
  });

  it("resumes after the connection dies: unacked stanzas re-sent both ways, nothing duplicated", async () => {
    const net1 = await relay(server.service);
    try {
      const alice = await login("alice", { service: net1.service });
      const bob = await login("bob");
      // before: 50 messages each way, delivered
      for (let i = 0; i < 50; i++) {
        await alice.xmpp.send(message(bob.address, `a${i}`));
        await bob.xmpp.send(message(alice.address, `b${i}`));
      }
      await until(() => alice.messages.length === 50 && bob.messages.length === 50, "the first 50");

      // the path goes dead: alice's next 100 go nowhere, and so do the 100 bob sends her
      net1.cut();
      for (let i = 50; i < 150; i++) await alice.xmpp.send(message(bob.address, `a${i}`));
      for (let i = 50; i < 150; i++) await bob.xmpp.send(message(alice.address, `b${i}`));
      await ping(bob, server.host); // the server has routed bob's 100 into alice's dead stream
      await sleep(200);
      assert.equal(bob.messages.length, 50);
      assert.equal(alice.messages.length, 50);
      assert.ok(alice.sm.unacked.length >= 100, `alice holds her 100 (${alice.sm.unacked.length})`);

      // the socket dies under the client; a reconnect resumes the session
      const info = await dropAndResume(alice);
      assert.equal(info.resent, 100, "exactly the 100 the server never got");
      assert.equal(alice.xmpp.status, "online");

      await until(() => bob.messages.length === 150 && alice.messages.length === 150, "all 150 each way", 10_000);
      await sleep(300); // room for a duplicate to show up
      const expected = (p: string) => Array.from({ length: 150 }, (_, i) => `${p}${i}`);
      assert.deepEqual(bob.messages, expected("a"), "bob got each of alice's messages once, in order");
      assert.deepEqual(alice.messages, expected("b"), "alice got each of bob's once, in order (the server re-sent from her h)");

      for (const peer of [alice, bob]) {
        assert.equal(await peer.sm.requestAck(), peer.sm.outbound);
        assert.equal(peer.sm.unacked.length, 0);
        assert.deepEqual(peer.problems, []);
        assert.deepEqual(peer.fails, []);
      }
      assert.deepEqual(await smacksComplaints(), []);
      await Promise.all([alice.xmpp.stop(), bob.xmpp.stop()]);
    } finally {
      await net1.close();
    }
  });

  it("falls back to a new session after a server restart and lists the stanzas it never acked", async () => {
    const net1 = await relay(server.service);
    try {
      const alice = await login("alice", { service: net1.service });
      for (let i = 0; i < 10; i++) await alice.xmpp.send(message(`nobody@${server.host}`, `x${i}`));
      assert.equal(await alice.sm.requestAck(), 10);
      const oldId = alice.sm.id;
      net1.cut();
      for (let i = 0; i < 5; i++) await alice.xmpp.send(message(`nobody@${server.host}`, `lost${i}`));
      const disconnected = once(alice.xmpp, "disconnect");
      await server.restart(); // the session is gone; mod_smacks keeps its h for <failed h/>
      await disconnected;

      const online = once(alice.xmpp, "online");
      await alice.xmpp.reconnect.reconnect();
      await online;
      await until(() => alice.sm.enabled, "SM enabled on the new session");
      assert.equal(alice.fails.length, 1);
      const [lost, reason] = alice.fails[0];
      assert.deepEqual(lost.map((s) => s.attrs.id), ["lost0", "lost1", "lost2", "lost3", "lost4"]);
      assert.match(reason, /item-not-found/);
      assert.notEqual(alice.sm.id, oldId);
      assert.equal(alice.sm.outbound, 0);
      await ping(alice, server.host);
      assert.deepEqual(alice.problems, []);
      await alice.xmpp.stop();
    } finally {
      await net1.close();
    }
  });
});
