// Our XEP-0198 plugin inside a real client entity, against a scripted server on loopback that
// keeps its own counts as a server does. What Prosody and ejabberd enforce (SERVERS.md) is
// checked here without them: h never goes back nor beyond what was sent, every <r/> is answered,
// so a server's unacked queue stays small (ejabberd kills sessions past 5000).
import assert from "node:assert/strict";
import { EventEmitter, once } from "node:events";
import net from "node:net";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import { StreamParser } from "@xft/protocol/xml/stream-parser.js";
import { createClient, type XmppClient } from "./client.js";
import { NS_SM } from "./stream-management-core.js";
import { smOptions, type StreamManagement, type StreamManagementOptions } from "./stream-management.js";

const NS_BIND = "urn:ietf:params:xml:ns:xmpp-bind";
const NS_PING = "urn:xmpp:ping";
const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'" +
  " id='s1' from='localhost' version='1.0'>";
const FULL_JID = "alice@localhost/r1";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isStanza = (el: Element) => ["iq", "message", "presence"].includes(el.name);

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

interface Session {
  id: string;
  /** the server's h: stanzas it handled from the client */
  handled: number;
}

/** One client connection as the server sees it. Answers bind, enable, r and iq gets by itself. */
class Conn extends EventEmitter {
  readonly received: Element[] = [];
  /** the client's <a h/> values, in order */
  readonly acks: number[] = [];
  session?: Session;
  answerR = true;
  /** server -> client stanzas since <enabled/>: what the client's h must reach */
  sent = 0;

  constructor(readonly socket: net.Socket, private readonly server: FakeServer) {
    super();
    const parser = new StreamParser();
    parser.on("start", () => this.write(HEADER + server.features()));
    parser.on("element", (el: Element) => this.onElement(el));
    parser.on("end", () => this.socket.end("</stream:stream>"));
    parser.on("error", () => this.socket.destroy());
    socket.on("data", (d) => parser.write(d));
    socket.on("error", () => undefined);
  }

  write(s: string): void {
    if (!this.socket.destroyed) this.socket.write(s);
  }

  /** a stanza to the client, counted */
  stanza(s: string): void {
    this.sent++;
    this.write(s);
  }

  sm(name: string, attrs: Record<string, string> = {}): string {
    return xml(name, { xmlns: NS_SM, ...attrs }).toString();
  }

  private onElement(el: Element): void {
    this.received.push(el);
    if (isStanza(el) && this.session) this.session.handled++;
    if (el.is("iq") && el.getChild("bind", NS_BIND)) {
      this.write(`<iq type='result' id='${el.attrs.id}'><bind xmlns='${NS_BIND}'><jid>${FULL_JID}</jid></bind></iq>`);
    } else if (el.is("iq") && el.attrs.type === "get") {
      this.stanza(`<iq type='result' id='${el.attrs.id}' from='localhost'/>`);
    } else if (el.is("enable", NS_SM)) {
      this.session = { id: `sm-${++this.server.ids}`, handled: 0 };
      this.server.sessions.set(this.session.id, this.session);
      this.sent = 0;
      this.write(this.sm("enabled", { id: this.session.id, resume: "true" }) + this.server.afterEnabled);
    } else if (el.is("r", NS_SM) && this.answerR && this.session) {
      this.write(this.sm("a", { h: String(this.session.handled) }));
    } else if (el.is("a", NS_SM)) {
      this.acks.push(Number(el.attrs.h));
    }
    this.emit("element", el);
  }

  async next(pred: (el: Element) => boolean, what = "an element"): Promise<Element> {
    const found = this.received.find(pred);
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 5000);
      const listener = (el: Element) => {
        if (!pred(el)) return;
        clearTimeout(timer);
        this.off("element", listener);
        resolve(el);
      };
      this.on("element", listener);
    });
  }

  /** the client's stanzas, by name, in the order received */
  stanzas(): Element[] {
    return this.received.filter(isStanza);
  }
}

class FakeServer {
  readonly conns: Conn[] = [];
  readonly sessions = new Map<string, Session>();
  ids = 0;
  offerSm = true;
  /** written right after <enabled/>, in the same socket write */
  afterEnabled = "";
  private server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const conn = new Conn(socket, this);
    this.conns.push(conn);
    this.connected.emit("conn", conn);
  });
  readonly connected = new EventEmitter();
  service = "";

  features(): string {
    return `<stream:features><bind xmlns='${NS_BIND}'/>${this.offerSm ? `<sm xmlns='${NS_SM}'/>` : ""}</stream:features>`;
  }

  async listen(): Promise<void> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.service = `xmpp://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async nextConn(): Promise<Conn> {
    const [conn] = (await once(this.connected, "conn")) as [Conn];
    return conn;
  }

  close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe("stream management (XEP-0198) in our client, against a scripted server", function () {
  this.timeout(20_000);
  let server: FakeServer;
  let clients: XmppClient[];

  beforeEach(async () => {
    server = new FakeServer();
    clients = [];
    await server.listen();
  });
  afterEach(async () => {
    for (const c of clients) {
      c.reconnect.stop();
      c.socket?.destroy();
    }
    await server.close();
  });

  /** A client without SASL (the server offers none), started; resolves once SM is enabled. */
  async function start(options: StreamManagementOptions = {}) {
    const xmpp = createClient({ service: server.service, domain: "localhost", streamManagement: options });
    xmpp.on("error", () => undefined);
    clients.push(xmpp);
    const sm = xmpp.streamManagement!;
    const events = record(sm);
    const connP = server.nextConn();
    const enabled = once(sm, "enabled");
    await xmpp.start();
    const conn = await connP;
    await enabled;
    return { xmpp, sm, conn, events };
  }

  function record(sm: StreamManagement) {
    const events = { acked: [] as Element[], invalid: [] as unknown[], fail: [] as [Element[], string][], resumed: [] as unknown[], timeout: [] as unknown[] };
    sm.on("ack", (s: Element) => events.acked.push(s));
    sm.on("invalid-ack", (i: unknown) => events.invalid.push(i));
    sm.on("fail", (stanzas: Element[], reason: string) => events.fail.push([stanzas, reason]));
    sm.on("resumed", (info: unknown) => events.resumed.push(info));
    sm.on("timeout", (info: unknown) => events.timeout.push(info));
    return events;
  }

  const message = (i: number) => xml("message", { to: "bob@localhost", id: `m${i}` }, xml("body", {}, `${i}`));
  const ids = (els: readonly Element[]) => els.map((e) => e.attrs.id);

  it("enables SM with resume='true' right after binding, before anything the app sends after start()", async () => {
    const xmpp = createClient({ service: server.service, domain: "localhost" }); // the default: SM on
    clients.push(xmpp);
    const connP = server.nextConn();
    await xmpp.start();
    await xmpp.send(message(0));
    const conn = await connP;
    await conn.next((el) => el.is("message"), "the message");
    const names = conn.received.map((el) => el.name);
    assert.deepEqual(names, ["iq", "enable", "message"]);
    assert.equal(conn.received[1].attrs.resume, "true");
    assert.equal(conn.session!.handled, 1); // the server counts the message; the bind iq was before <enable/>
  });

  it("does not enable SM when the server does not offer it, nor when turned off", async () => {
    server.offerSm = false;
    const a = createClient({ service: server.service, domain: "localhost" });
    const b = createClient({ service: server.service, domain: "localhost", streamManagement: false });
    clients.push(a, b);
    await a.start();
    server.offerSm = true;
    await b.start();
    await sleep(50);
    assert.equal(a.streamManagement!.enabled, false);
    assert.equal(b.streamManagement, undefined);
    assert.ok(server.conns.every((c) => !c.received.some((el) => el.is("enable", NS_SM))));
  });

  it("counts a stanza that arrives in the same socket read as <enabled/> (the reset race of xmpp.js)", async () => {
    server.afterEnabled = `<message from='bob@localhost/x' id='early'><body>hi</body></message>`;
    const { sm, conn } = await start();
    conn.sent = 1;
    await until(() => sm.inbound === 1, "h = 1");
    conn.write(conn.sm("r"));
    await until(() => conn.acks.length === 1, "<a/>");
    assert.deepEqual(conn.acks, [1]);
  });

  it("counts the iq results that iqCaller takes, and every other stanza, exactly once", async () => {
    const { xmpp, sm, conn } = await start();
    for (let i = 0; i < 20; i++) {
      await xmpp.iqCaller.request(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS_PING })));
    }
    conn.stanza(`<message from='bob@localhost/x'><body>1</body></message>`);
    conn.stanza(`<presence from='bob@localhost/x'/>`);
    conn.stanza(`<iq type='get' id='p1' from='localhost'><ping xmlns='${NS_PING}'/></iq>`); // answered by iqCallee
    conn.write(conn.sm("r"));
    await until(() => conn.acks.length === 1, "<a/>");
    assert.deepEqual(conn.acks, [23]);
    assert.equal(sm.inbound, 23);
    await conn.next((el) => el.is("iq") && el.attrs.id === "p1", "the pong");
    assert.equal(await sm.requestAck(), 21); // 20 pings and the pong
    assert.equal(sm.outbound, 21);
    assert.equal(sm.unacked.length, 0);
  });

  it("asks for acks every N stanzas and after T ms, and drops what the server acks", async () => {
    const { xmpp, sm, conn, events } = await start({ requestAckEvery: 5, requestAckAfter: 100 });
    for (let i = 0; i < 12; i++) await xmpp.send(message(i));
    await conn.next((el) => el.is("message") && el.attrs.id === "m11");
    await sleep(20);
    // <r/> after the 5th and the 10th message; the last two are waiting for the timer
    const order = conn.received.filter((el) => el.is("message") || el.is("r", NS_SM)).map((el) => (el.name === "r" ? "r" : el.attrs.id));
    assert.deepEqual(order, ["m0", "m1", "m2", "m3", "m4", "r", "m5", "m6", "m7", "m8", "m9", "r", "m10", "m11"]);
    assert.deepEqual(ids(sm.unacked), ["m10", "m11"]);
    assert.deepEqual(ids(events.acked), ["m0", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9"]);
    await until(() => sm.unacked.length === 0, "the timed <r/> answered", 1000);
    assert.equal(ids(events.acked).length, 12);
    assert.equal(sm.acked, 12);
  });

  it("reports an impossible h and goes on: too high, backwards, malformed", async () => {
    const { xmpp, sm, conn, events } = await start({ requestAckEvery: 1000 });
    conn.answerR = false;
    for (let i = 0; i < 3; i++) await xmpp.send(message(i));
    await conn.next((el) => el.attrs.id === "m2");
    conn.write(conn.sm("a", { h: "2" }));
    conn.write(conn.sm("a", { h: "100" })); // more than we sent
    conn.write(conn.sm("a", { h: "1" })); // behind the last ack
    conn.write(conn.sm("a", { h: "-3" }));
    conn.write(conn.sm("a", { h: "3" }));
    await until(() => sm.acked === 3, "the good ack");
    assert.deepEqual(events.invalid, [
      { problem: "too-high", value: "100", lastAcked: 2, sent: 3, element: "a" },
      { problem: "backwards", value: "1", lastAcked: 2, sent: 3, element: "a" },
      { problem: "malformed", value: "-3", lastAcked: 2, sent: 3, element: "a" },
    ]);
    assert.deepEqual(ids(events.acked), ["m0", "m1", "m2"]);
    assert.equal(xmpp.status, "online");
  });

  it("keeps an ejabberd-like server's unacked queue small and h monotonic over 6000 stanzas of every kind", async () => {
    // ejabberd (mod_stream_mgmt, max_ack_queue 5000) kills a session whose queue of stanzas the
    // client has not acked grows past its limit, and h must never go back or past what it sent.
    const { xmpp, sm, conn } = await start();
    const LIMIT = 5000;
    let maxQueue = 0;
    let lastH = 0;
    const problems: string[] = [];
    conn.on("element", (el: Element) => {
      if (!el.is("a", NS_SM)) return;
      const h = Number(el.attrs.h);
      if (h < lastH) problems.push(`h went back: ${lastH} -> ${h}`);
      if (h > conn.sent) problems.push(`h ${h} > sent ${conn.sent}`);
      lastH = h;
    });
    // the client's own requests: 2000 iq results the server sends back
    const requests = Array.from({ length: 2000 }, () =>
      xmpp.iqCaller.request(xml("iq", { type: "get", to: "localhost" }, xml("ping", { xmlns: NS_PING }))));
    // and 4000 stanzas the server sends unprompted: messages, and pings that iqCallee answers
    for (let i = 0; i < 4000; i++) {
      conn.stanza(i % 2
        ? `<message from='bob@localhost/x' id='s${i}'><body>${i}</body></message>`
        : `<iq type='get' id='s${i}' from='localhost'><ping xmlns='${NS_PING}'/></iq>`);
      if (i % 10 === 9) conn.write(conn.sm("r")); // ejabberd asks as it goes
      maxQueue = Math.max(maxQueue, conn.sent - lastH);
      assert.ok(conn.sent - lastH <= LIMIT, "Too many unacked stanzas");
      if (i % 100 === 99) await sleep(0);
    }
    await Promise.all(requests);
    conn.write(conn.sm("r"));
    await until(() => lastH === 6000, `the last <a h='6000'/> (got ${lastH})`);
    assert.deepEqual(problems, []);
    assert.equal(sm.inbound, 6000);
    assert.ok(maxQueue < LIMIT, `max server queue ${maxQueue}`);
    // and the other way: the server's h for the client = 2000 pings + 2000 pongs
    await until(() => conn.received.filter((el) => el.is("iq") && el.attrs.type === "result").length === 2000, "the pongs");
    assert.equal(await sm.requestAck(), 4000);
    assert.equal(sm.unacked.length, 0);
  });

  it("resumes: <resume previd h/>, acks what the server handled, re-sends the rest, no binding", async () => {
    const { xmpp, sm, conn, events } = await start({ requestAckEvery: 1000, requestAckAfter: 60_000 });
    const id = conn.session!.id;
    conn.answerR = false;
    for (let i = 0; i < 5; i++) await xmpp.send(message(i));
    await conn.next((el) => el.attrs.id === "m4");
    conn.write(conn.sm("a", { h: "2" }));
    for (let i = 0; i < 3; i++) conn.stanza(`<message from='bob@localhost/x' id='in${i}'/>`);
    await until(() => sm.inbound === 3 && sm.acked === 2, "h = 3, acked = 2");

    const next = server.nextConn();
    const disconnected = once(xmpp, "disconnect");
    conn.socket.destroy(); // the connection dies under the client
    await disconnected;
    assert.equal(xmpp.status, "disconnect");
    const resumed = once(sm, "resumed");
    void xmpp.reconnect.reconnect();
    const conn2 = await next;
    const resume = await conn2.next((el) => el.is("resume", NS_SM), "<resume/>");
    assert.deepEqual(resume.attrs, { xmlns: NS_SM, previd: id, h: "3" });
    // the server had handled m0..m3 (its last <a/> said 2)
    conn2.session = server.sessions.get(id);
    conn2.session!.handled = 4;
    conn2.write(conn2.sm("resumed", { previd: id, h: "4" }));
    assert.deepEqual(await resumed, [{ h: 4, resent: 1 }]);
    await conn2.next((el) => el.is("message"), "the re-sent message");
    assert.equal(xmpp.status, "online");
    assert.deepEqual(ids(conn2.stanzas()), ["m4"]); // only the unacked one, and no bind iq
    assert.deepEqual(ids(events.acked), ["m0", "m1", "m2", "m3"]);
    // the stream goes on with both counters where they were
    conn2.stanza(`<message from='bob@localhost/x' id='in3'/>`);
    conn2.write(conn2.sm("r"));
    await until(() => conn2.acks.length === 1, "<a/>");
    assert.deepEqual(conn2.acks, [4]);
    assert.equal(await sm.requestAck(), 5);
    assert.equal(sm.unacked.length, 0);
    assert.deepEqual(events.fail, []);
  });

  it("abandons a resumed stream that never answers its first <r/> (Prosody 0.12 after a mid-stanza cut)", async () => {
    const { xmpp, sm, conn, events } = await start({ requestAckEvery: 1000, requestAckAfter: 60_000, resumeAckTimeout: 200 });
    const id = conn.session!.id;
    conn.answerR = false;
    await xmpp.send(message(0));
    await conn.next((el) => el.attrs.id === "m0");
    const next = server.nextConn();
    conn.socket.destroy();
    await once(xmpp, "disconnect");
    void xmpp.reconnect.reconnect();
    const conn2 = await next;
    await conn2.next((el) => el.is("resume", NS_SM), "<resume/>");
    conn2.session = server.sessions.get(id);
    conn2.answerR = false; // the server swallows everything after <resumed/>
    const gone = once(xmpp, "disconnect");
    conn2.write(conn2.sm("resumed", { previd: id, h: "0" }));
    const r = await conn2.next((el) => el.is("r", NS_SM), "the probe");
    assert.ok(conn2.received.indexOf(r) < conn2.received.findIndex((el) => el.attrs.id === "m0"), "the probe goes before the re-sent queue");
    await gone;
    assert.deepEqual(events.timeout, [{ reason: "resume-unacked", unacked: 1 }]);
    assert.equal(sm.id, "", "not resumed again");
    // the next connection binds a new session and reports the stanza as lost
    const next3 = server.nextConn();
    const online = once(xmpp, "online");
    void xmpp.reconnect.reconnect();
    const conn3 = await next3;
    await online;
    assert.ok(!conn3.received.some((el) => el.is("resume", NS_SM)), "no <resume/> on the third connection");
    assert.deepEqual(events.fail.map(([s, why]) => [ids(s), why]), [[["m0"], "the resumed stream did not answer"]]);
  });

  it("falls back to a new session when resumption fails, and lists the stanzas never acked", async () => {
    const { xmpp, sm, conn, events } = await start({ requestAckEvery: 1000, requestAckAfter: 60_000 });
    conn.answerR = false;
    for (let i = 0; i < 5; i++) await xmpp.send(message(i));
    await conn.next((el) => el.attrs.id === "m4");
    conn.write(conn.sm("a", { h: "1" }));
    await until(() => sm.acked === 1, "acked = 1");

    const next = server.nextConn();
    conn.socket.destroy();
    await once(xmpp, "disconnect");
    const online = once(xmpp, "online");
    let failedAt = "";
    sm.once("fail", () => (failedAt = xmpp.status));
    void xmpp.reconnect.reconnect();
    const conn2 = await next;
    await conn2.next((el) => el.is("resume", NS_SM), "<resume/>");
    // the server lost the session but remembers it handled 3 (XEP-0198 §5: <failed h/>)
    conn2.write(`<failed xmlns='${NS_SM}' h='3'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></failed>`);
    await online;
    await conn2.next((el) => el.is("enable", NS_SM), "a new <enable/>");
    assert.deepEqual(conn2.received.map((el) => el.name), ["resume", "iq", "enable"]);
    assert.equal(events.fail.length, 1);
    const [lost, reason] = events.fail[0];
    assert.deepEqual(ids(lost), ["m3", "m4"]);
    assert.match(reason, /item-not-found/);
    assert.equal(failedAt, "online"); // reported once they can be sent again
    assert.deepEqual(ids(events.acked), ["m0", "m1", "m2"]);
    await until(() => sm.enabled, "enabled again");
    assert.equal(sm.unacked.length, 0);
    assert.equal(sm.outbound, 0);
  });

  it("sends <a h/> before </stream:stream> and reports what stayed unacked when going offline", async () => {
    const { xmpp, sm, conn, events } = await start({ requestAckEvery: 1000, requestAckAfter: 60_000 });
    conn.answerR = false;
    conn.stanza(`<message from='bob@localhost/x' id='in0'/>`);
    await until(() => sm.inbound === 1, "h = 1");
    await xmpp.send(message(0));
    await conn.next((el) => el.attrs.id === "m0");
    await xmpp.stop();
    assert.deepEqual(conn.acks, [1]);
    assert.equal(conn.received.at(-1)!.name, "a");
    assert.deepEqual(events.fail.map(([s, r]) => [ids(s), r]), [[["m0"], "offline"]]);
    assert.equal(sm.id, "");
  });

  it("gives up on a connection whose server does not ack: ackTimeout, maxUnacked", async () => {
    const quiet = await start({ requestAckEvery: 1, ackTimeout: 100 });
    quiet.conn.answerR = false;
    const gone = once(quiet.xmpp, "disconnect");
    await quiet.xmpp.send(message(0));
    await gone;
    assert.deepEqual(quiet.events.timeout, [{ reason: "ack-timeout", unacked: 1 }]);
    assert.equal(quiet.sm.id, quiet.conn.session!.id); // still resumable

    const full = await start({ maxUnacked: 10, requestAckEvery: 1000 });
    full.conn.answerR = false;
    const gone2 = once(full.xmpp, "disconnect");
    for (let i = 0; i < 11; i++) full.xmpp.send(message(i)).catch(() => undefined);
    await gone2;
    assert.deepEqual(full.events.timeout, [{ reason: "queue-full", unacked: 11 }]);
  });

  it("checks its options at creation", () => {
    assert.throws(() => smOptions({ requestAckEvery: 0 }), RangeError);
    assert.throws(() => smOptions({ maxUnacked: 1.5 }), RangeError);
    assert.throws(() => createClient({ service: server.service, streamManagement: { ackTimeout: -1 } }), RangeError);
    assert.deepEqual(smOptions(), { resume: true, requestAckEvery: 50, requestAckAfter: 1000, ackTimeout: 60_000, maxUnacked: 10_000, resumeAckTimeout: 3000 });
  });
});
