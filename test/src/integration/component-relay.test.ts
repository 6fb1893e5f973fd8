// The store is not an open relay and its quotas hold (issue 12 items 3, 4, 12's file modes),
// against the real component through a real server of each kind, with a hostile account
// ("mallory") that sends raw session-initiates it builds itself: every refusal is the IQ's
// stanza error, before any session or byte.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { statfs } from "node:fs/promises";
import { join } from "node:path";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { fileTransfer, IqError, makeDescription, makeIbbTransport, makeJingle, makeRecipient, NS_JINGLE } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import type { RunningComponent } from "@xft/component/main.js";
import { createComponent } from "@xft/component/entity/component.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { runComponentHere } from "../helpers/component.js";
import { randomFile, removeDir, tempDir } from "../helpers/files.js";
import { until } from "../helpers/wait.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;
const EVIL = "evil.example";
const EMPTY_SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

for (const kind of SERVER_KINDS) describe(`the store is no open relay, its quotas hold, through ${serverName(kind)}`, function () {
  this.timeout(120_000);
  let server: XmppServer;
  let work: string;
  let here: RunningComponent | undefined;
  const accounts: Account[] = [];
  let mallory: Account;
  const jingleToMallory: Element[] = [];
  const domain = () => `files.${server.host}`;
  const bob = () => `bob@${server.host}`;
  let n = 0;

  before(async () => {
    // a second component plays a foreign server's user: stanzas from mallory@evil.example
    server = await startServer(kind, { components: { "files.localhost": randomBytes(12).toString("hex"), [EVIL]: randomBytes(12).toString("hex") } });
    await server.register("mallory", "mallorypass");
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
  });
  beforeEach(async () => {
    work = await tempDir();
    jingleToMallory.length = 0;
    mallory = await openTestAccount({ jid: `mallory@${server.host}`, password: "mallorypass", service: server.service, reconnect: false });
    accounts.push(mallory);
    mallory.port.onIqSet(NS_JINGLE, "jingle", async (_iq, el) => void jingleToMallory.push(el));
  });
  afterEach(async () => {
    for (const a of accounts.splice(0)) await a.close();
    await here?.stop();
    here = undefined;
    await removeDir(work);
  });
  after(async () => {
    await server?.stop();
  });

  async function startHere(...extra: string[]): Promise<RunningComponent> {
    here = (await runComponentHere([
      "--jid", domain(), "--secret", server.components[domain()], "--service", server.componentService, "--db", join(work, "store.sqlite"), ...extra,
    ])).running;
    return here;
  }

  function sessionInitiate(sid: string, initiator: string, recipient: string, size: number, sha256: string): Element {
    return makeJingle({
      action: "session-initiate", sid, initiator,
      contents: [{
        creator: "initiator", name: "f", senders: "initiator",
        description: makeDescription({ name: "URGENT invoice.pdf", size, hashes: [{ algo: "sha-256", value: sha256 }], range: {}, extensions: [makeRecipient(recipient)] }),
        transport: makeIbbTransport({ sid: `ibb-${sid}`, blockSize: 4096, stanza: "iq" }),
      }],
    });
  }

  /** mallory's raw offer of a file of `size` for recipient: the sid, and the IQ's error if refused */
  async function offer(recipient: string, size: number, sha256 = EMPTY_SHA256): Promise<{ sid: string; error?: IqError }> {
    const sid = `m${n++}`;
    const j = sessionInitiate(sid, mallory.jid, recipient, size, sha256);
    try {
      await mallory.port.request(xml("iq", { type: "set", to: domain() }, j), 10_000);
      return { sid };
    } catch (error) {
      assert.ok(error instanceof IqError, String(error));
      return { sid, error };
    }
  }

  it("301 zero-byte forwards to 301 JIDs: 20 taken (new recipients per hour), 281 refused with resource-constraint and a text, nothing stored for them", async () => {
    const component = await startHere();
    const results = [];
    for (let i = 0; i < 301; i++) results.push(await offer(`victim${i}@evil-example.com`, 0));
    const refused = results.filter((r) => r.error);
    assert.equal(results.length - refused.length, 20, "taken");
    for (const r of refused) {
      assert.equal(r.error!.condition, "resource-constraint");
      assert.match(r.error!.text ?? "", /new recipients in the last hour/);
    }
    const sent = component.store.sentBy(mallory.jid);
    assert.equal(new Set(sent.map((f) => f.recipient)).size, 20);
  });

  it("files per sender: the 6th waiting file for one recipient is refused with resource-constraint (--sender-max-files 5)", async () => {
    await startHere("--sender-max-files", "5");
    const results = [];
    for (let i = 0; i < 8; i++) results.push(await offer(bob(), i)); // distinct sizes: distinct files
    assert.deepEqual(results.map((r) => r.error?.condition ?? "ok"), ["ok", "ok", "ok", "ok", "ok", "resource-constraint", "resource-constraint", "resource-constraint"]);
    assert.match(results[5].error!.text ?? "", /5 files waiting/);
  });

  it("open uploads per sender: mallory's 4th upload that sends no byte is refused with resource-constraint (wait) before the store holds it (--max-uploads-per-sender 3); alice's forward still goes through", async () => {
    const component = await startHere("--max-uploads-per-sender", "3");
    const results = [];
    for (let i = 1; i <= 5; i++) results.push(await offer(bob(), i * MiB, randomBytes(32).toString("base64"))); // never a byte
    assert.deepEqual(results.map((r) => r.error?.condition ?? "ok"), ["ok", "ok", "ok", "resource-constraint", "resource-constraint"]);
    assert.equal(results[3].error!.errorType, "wait");
    assert.match(results[3].error!.text ?? "", /too many open file offers from you \(3\)/);
    assert.equal(component.store.sentBy(mallory.jid).length, 3, "the refused ones were never reserved");
    const alice = await openTestAccount({ jid: `alice@${server.host}`, password: "alicepass", service: server.service, reconnect: false });
    accounts.push(alice);
    const src = join(work, "a.bin");
    await randomFile(src, 64 * 1024);
    const through = await (await fileTransfer(alice.port).send(domain(), src, { extensions: [makeRecipient(bob())] })).done;
    assert.equal(through.type, "completed", JSON.stringify(through));
  });

  it("an idle 8 MiB reservation for bob blocks alice only until --reservation-idle-seconds: then it is removed, mallory's session ended, and alice's forward goes through", async () => {
    const component = await startHere("--recipient-quota", "10MiB", "--reservation-idle-seconds", "2");
    const held = await offer(bob(), 8 * MiB);
    assert.equal(held.error, undefined);
    const alice = await openTestAccount({ jid: `alice@${server.host}`, password: "alicepass", service: server.service, reconnect: false });
    accounts.push(alice);
    const ft = fileTransfer(alice.port);
    const src = join(work, "a.bin");
    await randomFile(src, 4 * MiB);
    const blocked = await (await ft.send(domain(), src, { extensions: [makeRecipient(bob())] })).done;
    assert.equal(blocked.type, "failed", JSON.stringify(blocked));
    assert.match(blocked.reason ?? "", /^resource-constraint: recipient quota/);
    await until("mallory's reservation removed", () => component.store.sentBy(mallory.jid).length === 0, 15_000);
    await until("mallory's session ended by the store", () => jingleToMallory.some((el) => el.attrs.sid === held.sid && el.attrs.action === "session-terminate"), 5000);
    const through = await (await ft.send(domain(), src, { extensions: [makeRecipient(bob())] })).done;
    assert.equal(through.type, "completed", JSON.stringify(through));
    assert.equal(component.store.pendingFor(bob()).length, 1);
  });

  it("a forward the free-space floor cannot hold is refused with resource-constraint before any byte", async () => {
    const s = await statfs(work);
    const free = s.bavail * s.bsize;
    const component = await startHere("--min-free-disk", String(free - 8 * MiB));
    const r = await offer(bob(), 64 * MiB, Buffer.alloc(32, 1).toString("base64"));
    assert.equal(r.error?.condition, "resource-constraint", String(r.error));
    assert.match(r.error!.text ?? "", /disk is nearly full/);
    assert.deepEqual(component.store.sentBy(mallory.jid), []);
  });

  it("a sender whose domain is not allowed is refused with forbidden (here: --allowed-sender-domains example.org)", async () => {
    await startHere("--allowed-sender-domains", "example.org");
    const r = await offer(bob(), 0);
    assert.equal(r.error?.condition, "forbidden", String(r.error));
  });

  // Prosody only: ejabberd 23.01 answers most stanzas between two of its external components with
  // service-unavailable (seen in 3 of 4 runs, retries did not help): that route is not what is
  // tested here, so the foreign-domain case runs where the route works. Open: a real second server.
  if (kind === "prosody") it("by default a sender of another domain (mallory@evil.example, through a federated-like route) is refused with forbidden; the server's own users are served", async () => {
    const component = await startHere();
    const evil = createComponent({ service: server.componentService, domain: EVIL, password: server.components[EVIL] });
    evil.on("error", () => undefined);
    await evil.start();
    try {
      // the reply by its id and type (sendReceive takes whatever stanza comes next). ejabberd at
      // times bounces the first stanza between two components with service-unavailable (the
      // route is not there yet): sent again, 10 times at most
      const ask = (id: string) => {
        const reply = new Promise<Element>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error("no reply to the foreign offer in 10 s")), 10_000);
          evil.on("stanza", (st: Element) => {
            if (st.is("iq") && st.attrs.id === id && (st.attrs.type === "result" || st.attrs.type === "error")) clearTimeout(timer), resolve(st);
          });
        });
        void evil.send(xml("iq", { type: "set", id, from: `mallory@${EVIL}/x`, to: domain() }, sessionInitiate(id, `mallory@${EVIL}/x`, bob(), 0, EMPTY_SHA256)));
        return reply;
      };
      let answer = await ask("evil0");
      for (let i = 1; i < 10 && answer.getChild("error")?.getChild("service-unavailable"); i++) {
        await new Promise((r) => setTimeout(r, 300));
        answer = await ask(`evil${i}`);
      }
      assert.equal(answer.attrs.type, "error", answer.toString());
      assert.ok(answer.getChild("error")?.getChild("forbidden"), answer.toString());
      assert.deepEqual(component.store.sentBy(`mallory@${EVIL}`), []);
    } finally {
      await evil.stop();
    }
    assert.equal((await offer(bob(), 0)).error, undefined, "mallory@localhost is a user of the server: served");
  });

  it("the database, its WAL and shm are 0600, the files directory 0700", async () => {
    await startHere();
    assert.equal((await offer(bob(), 0)).error, undefined);
    const db = join(work, "store.sqlite");
    for (const p of [db, `${db}-wal`, `${db}-shm`]) assert.equal(statSync(p).mode & 0o777, 0o600, p);
    assert.equal(statSync(`${db}-files`).mode & 0o777, 0o700);
  });
});
