// The ejabberd harness against the real ejabberd 23.01, with raw sockets only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { canConnect } from "./ports.js";
import { startEjabberd, type EjabberdServer } from "./ejabberd.js";
import { groupAlive } from "./lifecycle.js";
import { SERVER_KINDS } from "./servers.js";
import { clientHeader, componentHandshake, plainLogin, Raw } from "../helpers/raw-xmpp.js";

const epmdPids = () => {
  try {
    return execFileSync("pgrep", ["-x", "epmd"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
};

(SERVER_KINDS.includes("ejabberd") ? describe : describe.skip)("harness: ejabberd", function () {
  this.timeout(60_000);
  const started: EjabberdServer[] = [];
  const start = async () => {
    // plaintext: these check the harness's own configuration with raw plaintext logins
    // (plainLogin); its TLS configuration has harness/tls.test.ts
    const srv = await startEjabberd({ tls: false });
    started.push(srv);
    return srv;
  };
  after(() => Promise.all(started.map((s) => s.stop())));

  let srv: EjabberdServer;
  let epmdBefore: string[];
  before(async () => {
    epmdBefore = epmdPids();
    srv = await start();
  });

  it("renders the template with distinct free loopback ports", () => {
    assert.equal(new Set([srv.c2sPort, srv.s2sPort, srv.componentPort]).size, 3);
    const config = fs.readFileSync(srv.configFile, "utf8");
    assert.ok(!config.includes("${"), "unrendered placeholder left");
    assert.match(config, new RegExp(`port: ${srv.c2sPort}\\n\\s+ip: "127.0.0.1"\\n\\s+module: ejabberd_c2s`));
    assert.match(config, /hosts: \{"files\.localhost": \{password: "[0-9a-f]+"\}\}/);
  });

  it("starts no epmd (the node listens on its own distribution port)", () => {
    assert.deepEqual(epmdPids(), epmdBefore);
  });

  it("answers a stream header with PLAIN offered without TLS", async () => {
    const raw = await Raw.open(srv.c2sPort);
    const reply = await raw.send(clientHeader("localhost"), /<\/stream:features>/);
    raw.close();
    assert.match(reply, /<mechanism>PLAIN<\/mechanism>/);
    assert.doesNotMatch(reply, /starttls/);
  });

  it("registers users who can then log in, with stream management offered", async () => {
    await srv.register("alice", "alicepass");
    const features = await plainLogin(srv.c2sPort, srv.host, "alice", "alicepass");
    assert.ok(features, "alice could not log in");
    assert.match(features, /urn:xmpp:sm:3/);
    assert.equal(await plainLogin(srv.c2sPort, srv.host, "alice", "wrong"), null);
    await assert.rejects(srv.register("alice", "again"), /already registered|conflict/i);
  });

  it("accepts the component with its secret only", async () => {
    const [[domain, secret]] = Object.entries(srv.components);
    assert.match(await componentHandshake(srv.componentPort, domain, secret), /<handshake\/>/);
    assert.match(await componentHandshake(srv.componentPort, domain, "not-the-secret"), /not-authorized/);
  });

  it("restarts on the same ports and spool: accounts survive", async () => {
    const own = await start();
    await own.register("bob", "bobpass");
    const before = { pid: own.pid!, c2s: own.c2sPort };
    await own.restart();
    assert.ok(!groupAlive(before.pid), "old ejabberd still running");
    assert.notEqual(own.pid, before.pid);
    assert.equal(own.c2sPort, before.c2s);
    assert.ok(await plainLogin(own.c2sPort, own.host, "bob", "bobpass"), "account lost over restart");
  });

  it("stop ends every process of the server and removes the temp dir", async () => {
    const own = await start();
    const { pid, dir, c2sPort } = { pid: own.pid!, dir: own.dir, c2sPort: own.c2sPort };
    await own.stop();
    assert.ok(!groupAlive(pid), `ejabberd group ${pid} still running`);
    assert.equal(own.pid, undefined);
    assert.ok(!fs.existsSync(dir), `${dir} left behind`);
    assert.equal(await canConnect(c2sPort), false);
    await own.stop();
    await assert.rejects(own.restart(), /was stopped/);
    assert.deepEqual(epmdPids(), epmdBefore);
  });
});
