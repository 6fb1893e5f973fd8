// Our client composition root: @xmpp/client 0.14's client() (node_modules/@xmpp/client/index.js)
// rebuilt from its @xmpp/client-core pieces, with our stream parser, Nagle off, our SASL, and
// nothing we do not use. Read top to bottom; where order matters a comment says why.
import { jid } from "@xmpp/client-core";
import _iqCallee from "@xmpp/iq/callee.js";
import _middleware from "@xmpp/middleware";
import _reconnect from "@xmpp/reconnect";
import _resolve from "@xmpp/resolve";
import _resourceBinding from "@xmpp/resource-binding";
import _streamFeatures from "@xmpp/stream-features";
import SASLFactory from "saslmechanisms";
import { Plain } from "./plain.js";
import { sasl } from "./sasl.js";
import { ScramSha1 } from "./scram-sha-1.js";
import { createIqCaller } from "./iq-caller.js";
import { starttls, type TlsOptions } from "./starttls.js";
import { streamManagement, type StreamManagement, type StreamManagementOptions } from "./stream-management.js";
import { tcpTransport, XftClient } from "./transport.js";
import type {
  IqCallee, IqCaller, Middleware, Reconnect, SaslFactory, StreamFeatures, XmppEntity,
} from "./types.js";

export interface ClientOptions {
  /** "xmpp://host:port", or a domain to look up (DNS SRV, then domain:5222) */
  service: string;
  /** the XMPP domain; default: the host of `service` */
  domain?: string;
  username?: string;
  password?: string;
  /** resource to ask for at binding; default: the server picks one */
  resource?: string;
  lang?: string;
  /** ms to wait for the stream to open and close; xmpp.js's default is 2000 */
  timeout?: number;
  /** reconnect on every disconnect, 1 s after it (xmpp.js's @xmpp/reconnect); default false */
  autoReconnect?: boolean;
  /** largest stanza we accept, in characters (StreamParser's default: 1 MiB + 64 KiB) */
  maxElementSize?: number;
  /** XEP-0198 stream management (acks, resumption) when the server offers it; default true.
   *  An object turns it on with those options (stream-management.ts). */
  streamManagement?: boolean | StreamManagementOptions;
  /** TLS is required (STARTTLS), verified against Node's roots plus `ca`, except to a loopback
   *  address or with `insecure` (starttls.ts, tls-policy.ts) */
  tls?: TlsOptions;
}

export interface XmppClient extends XmppEntity {
  entity: XmppEntity;
  /** stopped unless autoReconnect: reconnect.start() / stop() switch it */
  reconnect: Reconnect;
  middleware: Middleware;
  streamFeatures: StreamFeatures;
  iqCaller: IqCaller;
  iqCallee: IqCallee;
  saslFactory: SaslFactory;
  /** undefined when turned off by the streamManagement option */
  streamManagement: StreamManagement | undefined;
}

const NS_PING = "urn:xmpp:ping";

/** The host part of "xmpp://host:port/..." or "host:port". */
export function domainOf(service: string): string {
  const rest = service.includes("://") ? service.slice(service.indexOf("://") + 3) : service;
  return rest.split(/[:/]/)[0];
}

export function createClient(options: ClientOptions): XmppClient {
  const {
    username, password, resource, autoReconnect = false, maxElementSize, streamManagement: smOption = true, tls, ...params
  } = options;
  const domain = params.domain ?? domainOf(params.service);

  const entity = new XftClient({ ...params, domain });
  if (username) entity.jid = jid(username, domain);

  // Only TCP (xmpp://host:port, or a domain looked up by SRV): no WebSocket, no direct TLS (xmpps://).
  entity.transports.push(tcpTransport({ maxElementSize }));

  // @xmpp/reconnect starts listening as soon as it is created. Its fixed 1 s delay is no good
  // against a server that is down (a later change brings backoff with jitter): off by default.
  const reconnect = _reconnect({ entity });
  if (!autoReconnect) reconnect.stop();

  const middleware = _middleware({ entity });
  const streamFeatures = _streamFeatures({ middleware });
  const iqCaller = createIqCaller({ middleware, entity }); // xmpp.js's, a reply-before-write race closed
  const iqCallee = _iqCallee({ middleware, entity });
  _resolve({ entity });

  // SASL mechanisms, most preferred first. SCRAM-SHA-1 is ours (node:crypto, checks the
  // server's signature); PLAIN is used only on a TLS stream.
  const saslFactory = new SASLFactory();
  saslFactory.use("SCRAM-SHA-1", ScramSha1);
  saslFactory.use("PLAIN", Plain);

  // Stream features, handled in the order they are registered (XEP-0170): TLS first, so that
  // nothing is authenticated in the clear (and, when the server offers no TLS, the stream ends
  // here unless the address is loopback or tls.insecure); then SASL; then, on the restarted
  // stream, stream management and resource binding.
  starttls({ middleware, streamFeatures }, tls);
  sasl({ streamFeatures, saslFactory }, { username, password });
  // XEP-0198 before binding: it tries <resume/> first, and binds (then enables) only if that fails.
  // Ours, not @xmpp/stream-management 0.14, which counts wrong (SERVERS.md). It listens to the
  // entity itself, ahead of the middleware: the order of this line does not matter for counting.
  const sm = smOption ? streamManagement({ entity, streamFeatures }, smOption === true ? {} : smOption) : undefined;
  _resourceBinding({ iqCaller, streamFeatures }, resource);
  // The engine's port listens on the entity: a resumed stream is "resumed", a new one "online".
  sm?.on("resumed", (info) => entity.emit("resumed", info));

  // XEP-0199: answer pings from the server or peers.
  iqCallee.get(NS_PING, "ping", () => true);

  return Object.assign(entity, {
    entity,
    reconnect,
    middleware,
    streamFeatures,
    iqCaller,
    iqCallee,
    saslFactory,
    streamManagement: sm,
  });
}
