// Raw-socket XMPP for harness tests, so a failure points at the harness or the server config,
// never at our XMPP client code.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";

const STREAM_NS = "xmlns:stream='http://etherx.jabber.org/streams'";

/** A plain TCP connection with "send, then read until a pattern shows up". */
export class Raw {
  private buf = "";
  private readonly onData = (d: string) => (this.buf += d);
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding("utf8");
    sock.on("data", this.onData);
  }
  static async open(port: number, host = "127.0.0.1"): Promise<Raw> {
    const sock = net.connect(port, host);
    await new Promise((resolve, reject) => sock.once("connect", resolve).once("error", reject));
    return new Raw(sock);
  }
  async send(xml: string, until: RegExp, timeoutMs = 5000): Promise<string> {
    this.buf = "";
    this.sock.write(xml);
    const deadline = Date.now() + timeoutMs;
    while (!until.test(this.buf)) {
      if (Date.now() > deadline) throw new Error(`timeout waiting for ${until}; got: ${this.buf}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.buf;
  }
  /** everything received since the last send() */
  text(): string {
    return this.buf;
  }
  close() {
    this.sock.destroy();
  }

  /** RFC 6120 §5.4: <starttls/>, <proceed/>, then a TLS handshake on this socket that verifies the
   *  certificate for `host` against `ca` only. The TLS connection as a new Raw (this one is spent);
   *  a certificate that does not verify rejects with Node's error (e.g. code SELF_SIGNED_CERT_IN_CHAIN). */
  async startTls(host: string, ca: string | Buffer, timeoutMs = 5000): Promise<Raw & { tls: tls.TLSSocket }> {
    await this.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", /<proceed[^>]*\/>|<failure/, timeoutMs);
    if (!/<proceed/.test(this.buf)) throw new Error(`STARTTLS refused: ${this.buf}`);
    this.sock.off("data", this.onData); // from here the bytes are TLS records
    const secure = tls.connect({ socket: this.sock, servername: host, host, ca: [ca] });
    const timer = setTimeout(() => secure.destroy(new Error(`no TLS handshake within ${timeoutMs} ms`)), timeoutMs);
    try {
      await new Promise((resolve, reject) => secure.once("secureConnect", resolve).once("error", reject));
    } finally {
      clearTimeout(timer);
    }
    return Object.assign(new Raw(secure), { tls: secure });
  }
}

export const clientHeader = (host: string) =>
  `<?xml version='1.0'?><stream:stream to='${host}' xmlns='jabber:client' ${STREAM_NS} version='1.0'>`;

/** SASL PLAIN login; the post-auth stream features, or null if auth failed. */
export async function plainLogin(port: number, host: string, user: string, password: string, ip?: string): Promise<string | null> {
  const raw = await Raw.open(port, ip);
  try {
    await raw.send(clientHeader(host), /<\/stream:features>/);
    const creds = Buffer.from(`\0${user}\0${password}`).toString("base64");
    const answer = await raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`, /<success|<failure/);
    if (!answer.includes("<success")) return null;
    return await raw.send(clientHeader(host), /<\/stream:features>/);
  } finally {
    raw.close();
  }
}

/** XEP-0114 handshake; the server's answer (<handshake/> or a stream error). */
export async function componentHandshake(port: number, domain: string, secret: string, ip?: string): Promise<string> {
  const raw = await Raw.open(port, ip);
  try {
    const header = `<stream:stream xmlns='jabber:component:accept' ${STREAM_NS} to='${domain}'>`;
    const id = /<stream:stream[^>]*\sid=['"]([^'"]+)/.exec(await raw.send(header, /<stream:stream[^>]*>/))![1];
    const digest = createHash("sha1").update(id + secret).digest("hex");
    return await raw.send(`<handshake>${digest}</handshake>`, /<handshake\/>|<stream:error/);
  } finally {
    raw.close();
  }
}

/**
 * A peer that logs in, binds `resource`, says it is available, and then never answers anything
 * (what a client that crashes on an incoming offer looks like from outside, Gajim 1.7.3 among
 * them): the stanzas it gets are kept for the test to read. SASL PLAIN, test servers only: over
 * STARTTLS verified against the server's caFile when the server offers it, else in clear.
 */
export async function silentPeer(server: { c2sPort: number; host: string; ip?: string; caFile?: string }, user: string, password: string, resource: string) {
  const { host } = server;
  let raw = await Raw.open(server.c2sPort, server.ip);
  const features = await raw.send(clientHeader(host), /<\/stream:features>/);
  if (/<starttls/.test(features)) {
    if (!server.caFile) throw new Error(`silent peer: ${host} offers STARTTLS but the server has no caFile`);
    raw = await raw.startTls(host, readFileSync(server.caFile));
    await raw.send(clientHeader(host), /<\/stream:features>/);
  }
  const creds = Buffer.from(`\0${user}\0${password}`).toString("base64");
  const answer = await raw.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${creds}</auth>`, /<success|<failure/);
  if (!answer.includes("<success")) throw new Error(`silent peer: login as ${user} failed: ${answer}`);
  await raw.send(clientHeader(host), /<\/stream:features>/);
  await raw.send(`<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`, /id=['"]bind1['"]/);
  await raw.send("<presence/>", /./, 2000).catch(() => undefined); // its own presence comes back, or nothing
  const peer = raw;
  return { jid: `${user}@${host}/${resource}`, received: () => peer.text(), close: () => peer.close() };
}
