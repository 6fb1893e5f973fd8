// Logs an account in with our client stack and hands back the engine's port.
import { discoResponder, xmppPortFrom, type XmppPort } from "@xft/protocol";
import { createElement } from "ltx/lib/ltx.js";
import { availablePresence, CLIENT_DISCO_INFO } from "./xep0115/caps-presence.js";
import { createClient } from "./entity/client.js";
import { keepConnected, type ConnectionKeeper, type KeepConnectedOptions } from "./entity/keep-connected.js";
import type { TlsOptions } from "./entity/starttls.js";

export interface AccountOptions {
  jid: string;
  password: string;
  /** xmpp://host:port; default: the JID's domain on port 5222 */
  service?: string;
  resource?: string;
  /** reconnect by itself when the connection drops (backoff with jitter, resuming the stream
   *  where the server allows); false: a drop is final. Default true. */
  reconnect?: boolean | KeepConnectedOptions;
  /** XEP-0198 (stream resumption), default on; off, every reconnect is a new session */
  streamManagement?: boolean;
  /** TLS: required except to loopback; `ca` to trust besides Node's roots; `insecure` allows
   *  plaintext and skips the certificate check (entity/starttls.ts) */
  tls?: TlsOptions;
}

export interface Account {
  port: XmppPort;
  /** our full JID after binding (a new session after a reconnect may have a new resource) */
  readonly jid: string;
  xmpp: ReturnType<typeof createClient>;
  /** the reconnecting edge, when reconnect is on: what recovery waits on for "network back" */
  network?: ConnectionKeeper;
  /** available presence (with caps): what makes the server send us our contacts' presence and
   *  route messages to our bare JID here (unless priority < 0, RFC 6121 §8.5.2.1.1); sent again
   *  after a reconnect that started a new session */
  sendPresence(opts?: { priority?: number }): Promise<void>;
  close(): Promise<void>;
}

export { CLIENT_DISCO_INFO };

export function splitJid(jid: string): { local: string; domain: string; resource?: string } {
  const at = jid.indexOf("@");
  const slash = jid.indexOf("/", at);
  return {
    local: jid.slice(0, at),
    domain: jid.slice(at + 1, slash === -1 ? undefined : slash),
    resource: slash === -1 ? undefined : jid.slice(slash + 1),
  };
}

/** The node socket under xmpp.js's: after STARTTLS it is @xmpp/tls's wrapper (an EventEmitter
 *  holding the TLSSocket in `.socket`, without destroy()), which made every close throw. */
function destroySocket(socket: unknown): void {
  const s = socket as { destroy?: () => void; socket?: { destroy?: () => void } } | null | undefined;
  if (typeof s?.destroy === "function") s.destroy();
  else s?.socket?.destroy?.();
}

export async function openAccount(opts: AccountOptions): Promise<Account> {
  const { local, domain, resource } = splitJid(opts.jid);
  const xmpp = createClient({
    service: opts.service ?? `xmpp://${domain}:5222`,
    domain,
    username: local,
    password: opts.password,
    resource: opts.resource ?? resource,
    streamManagement: opts.streamManagement,
    tls: opts.tls,
  });
  // connection errors surface through start() and the engine's events; an 'error' event
  // without a listener would otherwise crash the process
  xmpp.on("error", () => undefined);
  const port = xmppPortFrom(xmpp);
  // XEP-0030: peers (and the xep-draft's 'Determining Support') learn what this device speaks
  discoResponder(xmpp.iqCallee, (to) => to === "" || to.toLowerCase() === xmpp.jid?.toString().toLowerCase(), CLIENT_DISCO_INFO);
  let address;
  try {
    address = await xmpp.start();
  } catch (err) {
    // e.g. a TLS refusal (entity/starttls.ts) or a wrong password: the socket must not linger
    const socket = xmpp.socket;
    await xmpp.stop().catch(() => undefined);
    destroySocket(socket);
    throw err;
  }
  const network = opts.reconnect === false ? undefined : keepConnected(xmpp, opts.reconnect === true ? {} : opts.reconnect);
  // A new session after a reconnect starts unavailable: without our presence again, messages to
  // the bare JID (a sender's XEP-0353 propose) would not reach us. A resumed stream keeps it.
  let available = false;
  let priority: number | undefined;
  xmpp.on("online", () => {
    if (available) xmpp.send(availablePresence({}, priority)).catch(() => undefined);
  });
  return {
    port,
    get jid() {
      return xmpp.jid?.toString() ?? String(address);
    },
    xmpp,
    network,
    async sendPresence(opts = {}) {
      available = true;
      priority = opts.priority;
      await xmpp.send(availablePresence({}, priority));
    },
    async close() {
      network?.stop();
      const socket = xmpp.socket;
      // RFC 6121 §4.5.1: unavailable before the stream ends, so peers learn it from the presence
      // (bounded: a socket that cannot take it any more must not keep the process from ending)
      if (available && xmpp.status === "online") {
        const said = xmpp.send(createElement("presence", { type: "unavailable" })).catch(() => undefined);
        await Promise.race([said, new Promise((done) => setTimeout(done, 1000).unref())]);
      }
      available = false;
      await xmpp.stop().catch(() => undefined);
      // when the server did not close in time, xmpp.js lets go of a socket that is still open and
      // no longer has its 'error' listener: a reset arriving later would crash the process
      destroySocket(socket);
    },
  };
}
