// The offline store component as an operator runs it (`xft-component`, options from the
// environment) against a real server (Prosody, ejabberd): it comes online, a client's disco finds
// it, it survives a server restart by reconnecting itself, and SIGTERM closes its database.
import assert from "node:assert/strict";
import { join } from "node:path";
import { createElement as xml } from "ltx/lib/ltx.js";
import { makeInfoQuery, parseInfo } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { discoverComponent } from "@xft/client-plugin/xep0030/discover-component.js";
import { COMPONENT_DISCO_INFO } from "@xft/component/xep0030/disco.js";
import { createStore } from "@xft/component/store/index.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { componentEnv, runComponentBin, type ComponentRun } from "../helpers/component.js";
import { removeDir, tempDir } from "../helpers/files.js";
import { openTestAccount } from "../helpers/account.js";

const EXPECTED_FEATURES = [
  "http://jabber.org/protocol/disco#info",
  "urn:xmpp:jingle:1",
  "urn:xmpp:jingle:apps:file-transfer:5",
  "urn:xmpp:jingle:transports:ibb:1",
  "http://jabber.org/protocol/ibb",
  "urn:xmpp:hashes:2",
  "urn:xmpp:hash-function-text-names:sha-256",
  "urn:xmpp:jingle-ft-recovery:0",
  "urn:xmpp:jingle-ft-recovery:forward:0",
];

for (const kind of SERVER_KINDS) describe(`xft-component against ${serverName(kind)}`, function () {
  this.timeout(90_000);
  let server: XmppServer;
  let work: string;
  let component: ComponentRun;
  let alice: Account | undefined;
  const domain = () => `files.${server.host}`;

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
    work = await tempDir();
    component = runComponentBin([], componentEnv(server, join(work, "store.sqlite")));
    await component.waitForLog(/online as /);
  });
  afterEach(async () => {
    await alice?.close();
    alice = undefined;
  });
  after(async () => {
    await component?.stop();
    await server?.stop();
    await removeDir(work);
  });

  const login = () => openTestAccount({ jid: `alice@${server.host}`, password: "alicepass", service: server.service });
  const info = async (account: Account) =>
    parseInfo(await account.port.request(xml("iq", { type: "get", to: domain(), id: "i1" }, makeInfoQuery()), 5000));

  it("is found by a client's disco on its server, with the store identity and every feature", async () => {
    alice = await login();
    assert.equal(await discoverComponent(alice.port, server.host, { timeoutMs: 5000 }), domain());
    const got = await info(alice);
    assert.deepEqual(got.identities, [{ category: "store", type: "file", name: "Offline file store" }]);
    assert.deepEqual(got.features, EXPECTED_FEATURES);
    assert.deepEqual(COMPONENT_DISCO_INFO.features, EXPECTED_FEATURES);
  });

  it(`reconnects by itself when ${serverName(kind)} is restarted on the same ports, and answers disco again`, async () => {
    const down = Date.now();
    await server.restart();
    await component.waitForLog(/online as /, 2, 30_000);
    assert.ok(Date.now() - down < 30_000);
    assert.match(component.stderr(), /reconnecting in \d+ ms \(attempt 1\)/);
    alice = await login();
    assert.equal(await discoverComponent(alice.port, server.host, { timeoutMs: 5000 }), domain());
    assert.deepEqual((await info(alice)).features, EXPECTED_FEATURES);
  });

  it("retries with growing, jittered delays while the server stays down (backoff, not @xmpp/reconnect's fixed 1 s)", async () => {
    const from = component.stderr().length;
    await server.restart(4000);
    await component.waitForLog(/online as /, 3, 40_000);
    const delays = [...component.stderr().slice(from).matchAll(/reconnecting in (\d+) ms \(attempt (\d+)\)/g)].map((m) => ({ ms: Number(m[1]), attempt: Number(m[2]) }));
    assert.ok(delays.length >= 3, `attempts while down: ${JSON.stringify(delays)}`);
    delays.forEach(({ ms, attempt }, i) => {
      assert.equal(attempt, i + 1, "the count starts over after the last time online");
      const ceiling = Math.min(30_000, 500 * 2 ** i); // RECONNECT_BACKOFF
      assert.ok(ms >= ceiling / 2 && ms <= ceiling, `attempt ${attempt}: ${ms} ms not in [${ceiling / 2}, ${ceiling}]`);
    });
  });

  it("SIGTERM: exits 0 and leaves the database closed (another process can open it)", async () => {
    assert.equal(await component.stop(), 0);
    assert.match(component.stderr(), /SIGTERM: stopping/);
    const store = createStore({ path: join(work, "store.sqlite") });
    assert.deepEqual(store.pendingFor(`alice@${server.host}`), []);
    await store.close();
  });
});
