// Checks the harness against the real Prosody with raw sockets only, so a failure here points at
// the harness or the server config, never at our XMPP client code.
import assert from "node:assert/strict";
import fs from "node:fs";
import { canConnect } from "./ports.js";
import { startProsody, type ProsodyServer } from "./prosody.js";
import { clientHeader, componentHandshake, plainLogin, Raw } from "../helpers/raw-xmpp.js";

/** SASL PLAIN login; returns the post-auth stream features, or null if auth failed. */
const login = (srv: ProsodyServer, user: string, password: string) => plainLogin(srv.c2sPort, srv.host, user, password);

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("harness: prosody", function () {
  this.timeout(30000);
  const started: ProsodyServer[] = [];
  const start = async (opts?: Parameters<typeof startProsody>[0]) => {
    // plaintext: these check the harness's own configuration with raw plaintext logins
    // (plainLogin); its TLS configuration has harness/tls.test.ts
    const srv = await startProsody({ tls: false, ...opts });
    started.push(srv);
    return srv;
  };
  after(() => Promise.all(started.map((s) => s.stop()))); // also if a test failed half-way

  let srv: ProsodyServer;
  before(async () => {
    srv = await start();
  });

  it("renders the template with distinct free loopback ports", async () => {
    const ports = [srv.c2sPort, srv.s2sPort, srv.componentPort, srv.httpPort];
    assert.equal(new Set(ports).size, 4);
    assert.equal(srv.service, `xmpp://127.0.0.1:${srv.c2sPort}`);
    const config = fs.readFileSync(srv.configFile, "utf8");
    assert.ok(!config.includes("${"), "unrendered placeholder left");
    assert.match(config, new RegExp(`c2s_ports = \\{ ${srv.c2sPort} \\}`));
    assert.match(config, /^Component "files\.localhost"$/m);
  });

  it("answers a stream header with features for its host", async () => {
    const raw = await Raw.open(srv.c2sPort);
    const reply = await raw.send(clientHeader("localhost"), /<\/stream:features>/);
    raw.close();
    assert.match(reply, /<stream:stream[^>]*from=['"]localhost['"]/);
    assert.match(reply, /<stream:features/);
    assert.match(reply, /<mechanism>PLAIN<\/mechanism>/); // plain auth allowed without TLS
  });

  it("registers users who can then log in, with stream management offered", async () => {
    await srv.register("alice", "alicepass");
    await srv.register("bob", "bobpass");
    const features = await login(srv, "alice", "alicepass");
    assert.ok(features, "alice could not log in");
    assert.match(features, /urn:xmpp:sm:3/);
    assert.ok(await login(srv, "bob", "bobpass"), "bob could not log in");
    assert.equal(await login(srv, "bob", "wrong"), null);
    assert.equal(await login(srv, "carol", "carolpass"), null);
  });

  it("accepts the component with its secret (XEP-0114 handshake)", async () => {
    const [[domain, secret]] = Object.entries(srv.components);
    const handshake = (pw: string) => componentHandshake(srv.componentPort, domain, pw);
    assert.match(await handshake(secret), /<handshake\/>/);
    assert.match(await handshake("not-the-secret"), /not-authorized/);
  });

  it("can leave stream management out", async () => {
    const bare = await start({ smacks: false, components: {} });
    await bare.register("alice", "alicepass");
    const features = await login(bare, "alice", "alicepass");
    assert.ok(features, "alice could not log in");
    assert.doesNotMatch(features, /urn:xmpp:sm/);
    assert.match(features, /urn:ietf:params:xml:ns:xmpp-bind/);
  });

  it("restarts on the same ports and data dir", async () => {
    const own = await start();
    await own.register("alice", "alicepass");
    const before = { pid: own.pid!, c2s: own.c2sPort, component: own.componentPort, dir: own.dir };
    await own.restart();
    assert.ok(!pidAlive(before.pid), "old prosody still running");
    assert.notEqual(own.pid, before.pid);
    assert.ok(pidAlive(own.pid!));
    assert.deepEqual(
      { pid: before.pid, c2s: own.c2sPort, component: own.componentPort, dir: own.dir },
      before,
    );
    assert.ok(await login(own, "alice", "alicepass"), "account lost over restart");
    assert.ok(await canConnect(own.componentPort), "component port not listening after restart");
  });

  it("stop kills the process and removes the temp dir", async () => {
    const own = await start();
    const { pid, dir, c2sPort } = { pid: own.pid!, dir: own.dir, c2sPort: own.c2sPort };
    assert.ok(pidAlive(pid) && fs.existsSync(dir));
    await own.stop();
    assert.ok(!pidAlive(pid), `prosody ${pid} still running`);
    assert.equal(own.pid, undefined);
    assert.ok(!fs.existsSync(dir), `${dir} left behind`);
    assert.equal(await canConnect(c2sPort), false);
    await own.stop(); // idempotent: after() calls it again
    await assert.rejects(own.restart(), /was stopped/);
  });
});
