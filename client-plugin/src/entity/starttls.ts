// STARTTLS (RFC 6120 §5) as a stream feature, with the rule for a server that does not offer it
// (issue 12 item 9: tls-policy.ts). Ours rather than @xmpp/starttls 0.14, which
// - went on in clear, SASL included, whenever a server did not offer TLS;
// - could not be given a CA to trust, nor be told not to check (rejectUnauthorized);
// - attached @xmpp/tls's wrapper socket, which has no destroy(), pause() or resume(): closing
//   threw (issue 13 item 1), our stream management could not drop a dead link, and the engine's
//   backpressure (pauseInput) did nothing. We attach Node's TLSSocket itself.
import net from "node:net";
import tls from "node:tls";
import { xml } from "@xmpp/client-core";
import { isLoopbackAddress, tlsPolicy } from "./tls-policy.js";
import type { Middleware, StreamFeatures, XmppEntity } from "./types.js";

export const NS_TLS = "urn:ietf:params:xml:ns:xmpp-tls";
const NS_STREAMS = "http://etherx.jabber.org/streams";

export interface TlsOptions {
  /** CAs to trust besides Node's roots (PEM), e.g. a private server's own CA */
  ca?: (string | Buffer)[];
  /** no certificate check, and plaintext allowed where TLS is not offered (callers should warn) */
  insecure?: boolean;
  /** whether the address the socket is connected to is loopback (default isLoopbackAddress);
   *  a seam for tests, whose servers are all on loopback */
  isLoopback?: (address: string | undefined) => boolean;
  /** ms for the TLS handshake; default 10000 */
  handshakeTimeout?: number;
}

export type TlsErrorKind = "certificate" | "plaintext-refused" | "handshake";

/** Why the stream did not become one we may authenticate on; nothing was sent to SASL. */
export class TlsError extends Error {
  constructor(readonly kind: TlsErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TlsError";
  }
}

// Node's codes for a certificate that does not verify (tls.connect's 'error', X509 names) or
// does not name the host (checkServerIdentity)
const CERTIFICATE_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/;

export function starttls(
  { middleware, streamFeatures }: { middleware: Middleware; streamFeatures: StreamFeatures },
  options: TlsOptions = {},
): void {
  const isLoopback = options.isLoopback ?? isLoopbackAddress;
  // Every <stream:features/> of a stream that is not TLS yet passes here first (this is
  // registered before SASL): with <starttls/> it goes on to the handler below, without it only
  // where the policy allows plaintext. The address is the socket's, never a name.
  middleware.use(({ stanza, entity }, next) => {
    if (!stanza.is("features", NS_STREAMS) || entity.isSecure()) return next();
    const decision = tlsPolicy({
      offered: Boolean(stanza.getChild("starttls", NS_TLS)),
      loopback: isLoopback(entity.socket?.remoteAddress),
      insecure: options.insecure === true,
    });
    if (decision === "refuse") {
      throw new TlsError("plaintext-refused", "the server offers no TLS; refusing to send the password in clear");
    }
    return next();
  });

  streamFeatures.use("starttls", NS_TLS, async ({ entity }, next) => {
    if (entity.isSecure()) return next();
    const answer = await entity.sendReceive(xml("starttls", { xmlns: NS_TLS }));
    // RFC 6120 §5.4.2.2: <failure/>, and the server closes the stream
    if (!answer.is("proceed", NS_TLS)) throw new TlsError("handshake", `the server answered <starttls/> with <${answer.name}/>`);
    const secure = await handshake(entity, options);
    entity._attachSocket(secure); // first: from here the connection handles the socket's errors
    // As @xmpp/tls does: Openfire with TLS 1.3 needs a moment before the stream header
    // (xmpp.js issue 889); 1 ms costs nothing elsewhere.
    if (secure.getProtocol() === "TLSv1.3") await new Promise((resolve) => setTimeout(resolve, 1));
    await entity.restart();
  });
}

async function handshake(entity: XmppEntity, options: TlsOptions): Promise<tls.TLSSocket> {
  const host = entity.options.domain ?? "";
  const timeoutMs = options.handshakeTimeout ?? 10_000;
  const secure = tls.connect({
    socket: entity.socket as net.Socket,
    host, // the name the certificate must carry (checkServerIdentity)
    servername: net.isIP(host) ? undefined : host, // SNI takes no address
    ...(options.ca?.length ? { ca: [...tls.rootCertificates, ...options.ca] } : {}),
    rejectUnauthorized: options.insecure !== true,
  });
  await new Promise<void>((resolve, reject) => {
    // the connection's own listeners take over once it is attached: ours go when this settles
    const settle = (err?: TlsError) => {
      clearTimeout(timer);
      secure.off("secureConnect", onSecure).off("error", onError);
      if (!err) return resolve();
      secure.destroy();
      reject(err);
    };
    const onSecure = () => settle();
    const onError = (err: NodeJS.ErrnoException) => settle(CERTIFICATE_CODES.test(err.code ?? "")
      ? new TlsError("certificate", `TLS: the certificate of ${host} is not trusted: ${err.message}`, { cause: err })
      : new TlsError("handshake", `TLS handshake with ${host} failed: ${err.message}`, { cause: err }));
    const timer = setTimeout(() => settle(new TlsError("handshake", `TLS: no handshake with ${host} within ${timeoutMs} ms`)), timeoutMs);
    secure.on("secureConnect", onSecure).on("error", onError);
  });
  return secure;
}
