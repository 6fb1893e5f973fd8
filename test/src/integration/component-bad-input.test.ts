// Hostile and malformed stanzas from a real account through a real server (Prosody, ejabberd) to
// the running `xft-component`: each IQ gets its stanza error, nothing else gets an answer, and the
// component stays up and still answers disco afterwards.
import assert from "node:assert/strict";
import { join } from "node:path";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import {
  IqError, makeClose, makeData, makeDescription, makeIbbTransport, makeInfoQuery, makeJingle, makeOpen, makeRecipient, NS_JINGLE, parseInfo, parseJingle,
} from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { componentEnv, runComponentBin, type ComponentRun } from "../helpers/component.js";
import { removeDir, tempDir } from "../helpers/files.js";
import { openTestAccount } from "../helpers/account.js";

for (const kind of SERVER_KINDS) describe(`bad input to xft-component through ${serverName(kind)}`, function () {
  this.timeout(60_000);
  let server: XmppServer;
  let work: string;
  let component: ComponentRun;
  let mallory: Account;
  const jingleToMallory: Element[] = [];
  const domain = () => `files.${server.host}`;

  before(async () => {
    server = await startServer(kind);
    await server.register("mallory", "mallorypass");
    work = await tempDir();
    component = runComponentBin([], componentEnv(server, join(work, "store.sqlite")));
    await component.waitForLog(/online as /);
    mallory = await openTestAccount({ jid: `mallory@${server.host}`, password: "mallorypass", service: server.service });
    mallory.port.onIqSet(NS_JINGLE, "jingle", async (_iq, el) => void jingleToMallory.push(el));
  });
  afterEach(() => assert.equal(component.child.exitCode, null, `the component exited:\n${component.stderr()}`));
  after(async () => {
    await mallory?.close();
    await component?.stop();
    await server?.stop();
    await removeDir(work);
  });

  const iq = (type: "get" | "set", ...children: Element[]) => xml("iq", { type, to: domain() }, ...children);

  async function expectError(stanza: Element, condition: string): Promise<IqError> {
    try {
      await mallory.port.request(stanza, 10_000);
    } catch (err) {
      assert.ok(err instanceof IqError, String(err));
      assert.equal(err.condition, condition, err.message);
      return err;
    }
    assert.fail(`expected ${condition}, got a result`);
  }

  async function answersDisco() {
    const info = parseInfo(await mallory.port.request(iq("get", makeInfoQuery()), 5000));
    assert.ok(info.features.includes("urn:xmpp:jingle-ft-recovery:forward:0"));
  }

  it("malformed Jingle (no sid) -> bad-request", async () => {
    await expectError(iq("set", xml("jingle", { xmlns: NS_JINGLE, action: "session-initiate" })), "bad-request");
  });

  it("an unknown Jingle action -> bad-request", async () => {
    await expectError(iq("set", xml("jingle", { xmlns: NS_JINGLE, action: "dance", sid: "x" })), "bad-request");
  });

  it("a Jingle action for an unknown session -> item-not-found", async () => {
    await expectError(iq("set", makeJingle({ action: "session-info", sid: "nope", contents: [] })), "item-not-found");
  });

  it("IBB open, data and close for unknown sids -> item-not-found", async () => {
    await expectError(iq("set", makeOpen("no-such-stream", 4096)), "item-not-found");
    await expectError(iq("set", makeData("no-such-stream", 0, Buffer.from("hi"))), "item-not-found");
    await expectError(iq("set", makeClose("no-such-stream")), "item-not-found");
  });

  it("IBB data in a message for an unknown sid, garbage messages and presences: no crash", async () => {
    await mallory.port.send(xml("message", { to: domain() }, makeData("no-such-stream", 0, Buffer.from("hi"))));
    await mallory.port.send(xml("message", { to: domain(), type: "chat" }, xml("body", {}, "hello?"), xml("x", { xmlns: "urn:example:junk" }, "\u00e9\u{1F600}")));
    await mallory.port.send(xml("presence", { to: domain(), type: "bogus" }));
    await mallory.port.send(xml("presence", { to: domain(), type: "subscribe" }));
    await mallory.port.send(xml("presence", { to: domain() }, xml("show", {}, "x".repeat(10_000))));
    await answersDisco();
  });

  it("an IQ in an unknown namespace -> service-unavailable; with two children or none -> bad-request", async () => {
    await expectError(iq("get", xml("query", { xmlns: "urn:example:unknown" })), "service-unavailable");
    await expectError(iq("set", xml("a", { xmlns: "urn:example:a" }), xml("b", { xmlns: "urn:example:b" })), "bad-request");
    await expectError(iq("get"), "bad-request");
  });

  it("a huge garbage IQ (900 KiB of deep junk) -> service-unavailable", async () => {
    let junk = xml("junk", { xmlns: "urn:example:junk", a: "<&>'\"" }, "x".repeat(900 * 1024));
    for (let i = 0; i < 200; i++) junk = xml("junk", { xmlns: "urn:example:junk" }, junk);
    await expectError(iq("set", junk), "service-unavailable");
  });

  it("disco#info of a node, or of another address at the component -> item-not-found / service-unavailable", async () => {
    await expectError(iq("get", makeInfoQuery("some-node")), "item-not-found");
    await expectError(xml("iq", { type: "get", to: `nobody@${domain()}` }, makeInfoQuery()), "service-unavailable");
  });

  it("an offer without <recipient/> is refused in the session-initiate's reply (bad-request), and no session is started", async () => {
    const j = makeJingle({
      action: "session-initiate", sid: "offer1", initiator: mallory.jid,
      contents: [{
        creator: "initiator", name: "f", senders: "initiator",
        description: makeDescription({ name: "a.bin", size: 3, hashes: [{ algo: "sha-256", value: Buffer.alloc(32, 7).toString("base64") }], range: {}, extensions: [] }),
        transport: makeIbbTransport({ sid: "ibb1", blockSize: 4096, stanza: "iq" }),
      }],
    });
    const err = await expectError(iq("set", j), "bad-request");
    assert.match(err.text ?? "", /<recipient\/>/);
    // no session behind the refusal: its sid is unknown to the component
    await expectError(iq("set", makeJingle({ action: "session-terminate", sid: "offer1", contents: [], reason: { condition: "cancel" } })), "item-not-found");
    assert.equal(jingleToMallory.filter((el) => el.attrs.sid === "offer1").length, 0, "no session-terminate for a refused offer");
  });

  it("an offer for a recipient named like a receiver's partial download (x.XFT-PART) is refused: not-acceptable (modify), no session", async () => {
    const j = makeJingle({
      action: "session-initiate", sid: "offer2", initiator: mallory.jid,
      contents: [{
        creator: "initiator", name: "f", senders: "initiator",
        description: makeDescription({
          name: "x.XFT-PART\u200B", size: 3, hashes: [{ algo: "sha-256", value: Buffer.alloc(32, 7).toString("base64") }], range: {},
          extensions: [makeRecipient(`bob@${server.host}`)],
        }),
        transport: makeIbbTransport({ sid: "ibb2", blockSize: 4096, stanza: "iq" }),
      }],
    });
    const err = await expectError(iq("set", j), "not-acceptable");
    assert.equal(err.errorType, "modify");
    assert.match(err.text ?? "", /partial download/);
    await expectError(iq("set", makeJingle({ action: "session-terminate", sid: "offer2", contents: [], reason: { condition: "cancel" } })), "item-not-found");
  });

  it("an upload offered without a hash (receivers take those now; the store cannot keep a file it cannot check) is refused: bad-request, no session", async () => {
    const j = makeJingle({
      action: "session-initiate", sid: "offer3", initiator: mallory.jid,
      contents: [{
        creator: "initiator", name: "f", senders: "initiator",
        description: makeDescription({ name: "a.bin", size: 3, hashes: [], range: {}, extensions: [makeRecipient(`bob@${server.host}`)] }),
        transport: makeIbbTransport({ sid: "ibb3", blockSize: 4096, stanza: "iq" }),
      }],
    });
    const err = await expectError(iq("set", j), "bad-request");
    assert.match(err.text ?? "", /sha-256/);
    await expectError(iq("set", makeJingle({ action: "session-terminate", sid: "offer3", contents: [], reason: { condition: "cancel" } })), "item-not-found");
  });

  it("still answers disco after all of it", async () => {
    await answersDisco();
  });
});
