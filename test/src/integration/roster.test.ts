// The roster every receive-side policy asks (who is a contact, who sees our presence), against
// real servers: fetched at login, kept current by the server's pushes, and deaf to a stranger's
// forged push, which must not make him a contact.
import assert from "node:assert/strict";
import { createElement as xml } from "ltx/lib/ltx.js";
import { IqError } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { createContacts, type Contacts } from "@xft/client-plugin/roster/roster.js";
import { NS_ROSTER } from "@xft/client-plugin/roster/items.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { befriend } from "../helpers/roster.js";
import { until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

for (const kind of SERVER_KINDS) describe(`roster through ${serverName(kind)}`, function () {
  this.timeout(60_000);
  let server: XmppServer;
  const accounts: Account[] = [];
  const login = async (user: string) => {
    const a = await openTestAccount({ jid: `${user}@${server.host}`, password: `${user}pass`, service: server.service });
    accounts.push(a);
    return a;
  };

  before(async () => {
    server = await startServer(kind);
    for (const u of ["alice", "bob", "mallory", "carol"]) await server.register(u, `${u}pass`);
  });
  after(async () => {
    for (const a of accounts) await a.close();
    await server?.stop();
  });

  it("knows the contacts at login and learns a new one from the server's push", async () => {
    const alice = await login("alice");
    const bob = await login("bob");
    await befriend(alice, bob);
    const bobAgain = await login("bob");
    const contacts: Contacts = createContacts(bobAgain.port);
    await contacts.ready;
    assert.equal(contacts.isContact(alice.jid), true);
    assert.equal(contacts.seesOurPresence(alice.jid), true);
    assert.equal(contacts.isContact(`carol@${server.host}`), false);
    const carol = await login("carol");
    await befriend(carol, bobAgain);
    await until("the push that makes carol a contact", () => contacts.seesOurPresence(carol.jid), 10_000);
  });

  it("a stranger's forged roster push is refused and makes nobody a contact", async () => {
    const bob = await login("bob");
    const contacts = createContacts(bob.port);
    await contacts.ready;
    const mallory = await login("mallory");
    const forged = xml("iq", { type: "set", to: bob.jid }, xml("query", { xmlns: NS_ROSTER }, xml("item", { jid: mallory.jid.split("/")[0], subscription: "both" })));
    await assert.rejects(mallory.port.request(forged, 10_000), (err: unknown) => err instanceof IqError && err.condition === "service-unavailable");
    assert.equal(contacts.isContact(mallory.jid), false);
    assert.equal(contacts.seesOurPresence(mallory.jid), false);
  });
});
