// XEP-0115 caps in our presence (issue 13 item 3): Gajim decides from the caps alone whether it may
// send us a file, and without them its UI cannot. Against real servers: another resource of the
// same account (which gets every presence the first one sends) reads the <c/>, asks disco#info at
// node#ver, and the answer hashes to the same ver by the XEP-0115 algorithm.
import assert from "node:assert/strict";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { capsVer, IqError, makeInfoQuery, NS_CAPS, NS_JINGLE_FT, NS_JINGLE_IBB, parseCaps, parseInfo } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

for (const kind of SERVER_KINDS) describe(`XEP-0115 caps in our presence through ${serverName(kind)} (issue 13 item 3)`, function () {
  this.timeout(60_000);
  let server: XmppServer;
  const accounts: Account[] = [];
  const login = async (resource: string) => {
    const a = await openTestAccount({ jid: `alice@${server.host}/${resource}`, password: "alicepass", service: server.service });
    accounts.push(a);
    return a;
  };

  before(async () => {
    server = await startServer(kind);
    await server.register("alice", "alicepass");
  });
  after(async () => {
    for (const a of accounts) await a.close();
    await server?.stop();
  });

  it("every presence carries <c hash='sha-1'/>; disco#info at node#ver answers with info that hashes to ver", async () => {
    const watcher = await login("watcher");
    const presences: Element[] = [];
    watcher.port.onPresence!((p) => presences.push(p));
    await watcher.sendPresence();
    const xft = await login("xft");
    await xft.sendPresence();
    await until("xft's presence at the other resource", () => presences.some((p) => p.attrs.from === xft.jid), 10_000);
    const caps = parseCaps(presences.find((p) => p.attrs.from === xft.jid)!);
    assert.ok(caps, "a <c/> with hash, node and ver");
    assert.equal(caps.hash, "sha-1");

    const reply = await watcher.port.request(xml("iq", { type: "get", to: xft.jid, id: "caps1" }, makeInfoQuery(`${caps.node}#${caps.ver}`)));
    const query = reply.getChild("query")!;
    assert.equal(query.attrs.node, `${caps.node}#${caps.ver}`, "§6.2: the node is echoed");
    const info = parseInfo(reply);
    assert.equal(capsVer(info), caps.ver, "the answer hashes to the ver we announced");
    for (const feature of [NS_CAPS, NS_JINGLE_FT, NS_JINGLE_IBB]) assert.ok(info.features.includes(feature), feature);
  });

  it("disco#info at any other node is item-not-found", async () => {
    const watcher = await login("watcher2");
    const xft = await login("xft2");
    const err = await watcher.port.request(xml("iq", { type: "get", to: xft.jid, id: "caps2" }, makeInfoQuery("urn:other#abc"))).then(() => undefined, (e) => e);
    assert.ok(err instanceof IqError, String(err));
    assert.equal(err.condition, "item-not-found");
  });
});
