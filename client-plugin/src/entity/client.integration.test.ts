// Our client and component entities against a real Prosody 0.12 (the shared test harness):
// login with our SCRAM-SHA-1, IQ round trips without Nagle delays, large stanzas through our
// parser, and a client <-> component exchange across the two xmpp.js trees.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { xml } from "@xmpp/client-core";
import type { Element } from "ltx/lib/ltx.js";
import { createClient, type ClientOptions, type XmppClient } from "./client.js";

// The harness lives in the test package, which depends on this one, and the component package
// is built after this one: no compile-time imports (a cycle, or a wrong build order), so both
// are loaded at run time and typed here by what this test uses.
interface ProsodyServer {
  service: string;
  componentService: string;
  host: string;
  components: Record<string, string>;
  caFile?: string; // started with TLS (the harness's default): the run's CA
  register(user: string, password: string): Promise<void>;
  stop(): Promise<void>;
}
const HARNESS = "@xft/test/dist/harness/prosody.js";
const loadHarness = (): Promise<{ startProsody(): Promise<ProsodyServer> }> => import(HARNESS);

interface Component {
  start(): Promise<{ toString(): string }>;
  stop(): Promise<unknown>;
  iqCaller: XmppClient["iqCaller"];
  iqCallee: XmppClient["iqCallee"];
}
const COMPONENT = "@xft/component/entity/component.js";
const loadComponent = (): Promise<{ createComponent(o: { service: string; domain: string; password: string }): Component }> =>
  import(COMPONENT);

const onPath = (bin: string) =>
  (process.env.PATH ?? "").split(path.delimiter).some((dir) => fs.existsSync(path.join(dir, bin)));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const NS_PING = "urn:xmpp:ping";

describe("client and component entities against Prosody", function () {
  this.timeout(60_000);
  let prosody: ProsodyServer;
  const clients: XmppClient[] = [];

  before(async function () {
    if (!onPath("prosody")) this.skip();
    prosody = await (await loadHarness()).startProsody();
    await prosody.register("alice", "alicepass");
    await prosody.register("bob", "böbpass"); // non-ASCII password: SCRAM over UTF-8
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await prosody?.stop();
  });

  async function login(options: Partial<ClientOptions> & { username: string; password: string }) {
    const tls = prosody.caFile ? { ca: [fs.readFileSync(prosody.caFile)] } : undefined; // over STARTTLS, as deployed
    const xmpp = createClient({ service: prosody.service, domain: prosody.host, tls, ...options });
    clients.push(xmpp);
    const mechanisms: string[] = [];
    xmpp.on("send", (el: Element) => el.name === "auth" && mechanisms.push(el.attrs.mechanism));
    const start = performance.now();
    const address = await xmpp.start();
    return { xmpp, address, ms: performance.now() - start, mechanisms };
  }

  it("logs in with our SCRAM-SHA-1 in milliseconds, the server's signature checked", async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const { xmpp, address, ms, mechanisms } = await login({ username: "alice", password: "alicepass" });
      assert.deepEqual(mechanisms, ["SCRAM-SHA-1"]);
      assert.match(address.toString(), /^alice@localhost\/.+/);
      times.push(ms);
      await xmpp.stop();
    }
    const bob = await login({ username: "bob", password: "böbpass", resource: "phone" });
    assert.equal(bob.address.toString(), "bob@localhost/phone");
    console.log(`      login (connect, SCRAM-SHA-1, bind) median ${median(times).toFixed(1)} ms`);
    assert.ok(median(times) < 1000, `login took ${median(times)} ms`);
  });

  it("rejects a wrong password with SASL not-authorized", async () => {
    await assert.rejects(login({ username: "alice", password: "wrong" }), /not-authorized/);
  });

  it("answers IQs without Nagle's 40 ms delays", async () => {
    const { xmpp } = await login({ username: "alice", password: "alicepass" });
    const rtts: number[] = [];
    for (let i = 0; i < 30; i++) {
      const start = performance.now();
      await xmpp.iqCaller.request(xml("iq", { type: "get", to: prosody.host }, xml("ping", { xmlns: NS_PING })));
      rtts.push(performance.now() - start);
    }
    console.log(`      IQ round trip to the server: median ${median(rtts).toFixed(2)} ms`);
    assert.ok(median(rtts) < 20, `median round trip ${median(rtts)} ms`);
  });

  it("carries a 600 KiB message with entities and non-ASCII text intact", async () => {
    const alice = await login({ username: "alice", password: "alicepass" });
    const bob = await login({ username: "bob", password: "böbpass" });
    const body = "<&>\"' é 😀 ".repeat(1000) + "QUJD".repeat(150_000);
    const received = new Promise<string>((resolve) =>
      bob.xmpp.on("stanza", (el: Element) => el.is("message") && resolve(el.getChildText("body") ?? "")),
    );
    await alice.xmpp.send(xml("message", { to: bob.address.toString(), type: "chat" }, xml("body", {}, body)));
    assert.equal(await received, body);
  });

  it("connects our component and exchanges IQs with a client both ways", async () => {
    const [domain, password] = Object.entries(prosody.components)[0];
    const { createComponent } = await loadComponent();
    const component = createComponent({ service: prosody.componentService, domain, password });
    component.iqCallee.get("urn:xmpp:time", "time", () => xml("time", { xmlns: "urn:xmpp:time" }, xml("utc", {}, "2024-01-01T00:00:00Z")));
    assert.equal((await component.start()).toString(), domain);
    try {
      const { xmpp, address } = await login({ username: "alice", password: "alicepass" });
      const time = await xmpp.iqCaller.get(xml("time", { xmlns: "urn:xmpp:time" }), domain);
      assert.equal(time?.getChildText("utc"), "2024-01-01T00:00:00Z");
      // and the component pings the client (answered by createClient's XEP-0199 handler)
      const pong = await component.iqCaller.request(xml("iq", { type: "get", to: address.toString() }, xml("ping", { xmlns: NS_PING })));
      assert.equal(pong.attrs.type, "result");
    } finally {
      await component.stop().catch(() => undefined);
    }
  });
});
