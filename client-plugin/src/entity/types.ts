// The parts of an xmpp.js 0.14 client entity that we use, typed (xmpp.js ships no .d.ts).
// Real interfaces rather than ambient ones so that they reach our packages' emitted .d.ts;
// xmpp-types.d.ts types the JS modules in terms of these. What the component shares with the
// client (middleware, iq caller/callee, JID, reconnect) is in @xft/protocol/xmppjs/types.ts.
import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { Element } from "ltx/lib/ltx.js";
import type * as Shared from "@xft/protocol/xmppjs/types.js";
import type { Jid, Next } from "@xft/protocol/xmppjs/types.js";

export type Status =
  | "offline" | "connecting" | "connect" | "opening" | "open" | "online"
  | "closing" | "close" | "disconnecting" | "disconnect";

/** @xmpp/connection's Connection as @xmpp/client-core's Client extends it. */
export interface XmppEntity extends EventEmitter {
  status: Status;
  jid: Jid | null;
  socket: Socket | null;
  options: { service?: string; domain?: string; lang?: string; timeout?: number };
  /** connect, open the stream, negotiate features; resolves with our bound JID */
  start(): Promise<Jid>;
  /** close the stream and the socket; the status becomes "offline" */
  stop(): Promise<Element | undefined>;
  /** close the stream and the socket, status "disconnect" (what reconnect reacts to) */
  disconnect(): Promise<Element | undefined>;
  connect(service: string): Promise<void>;
  open(options: { domain?: string; lang?: string }): Promise<Element>;
  /** a new stream on the same socket (after STARTTLS and SASL) */
  restart(): Promise<Element>;
  send(element: Element): Promise<void>;
  sendMany(elements: Element[]): Promise<void>;
  sendReceive(element: Element, timeout?: number): Promise<Element>;
  /** a TLS stream: after our STARTTLS the socket is a node:tls TLSSocket (transport.ts) */
  isSecure(): boolean;
  /** @xmpp/connection's: makes `socket` the connection's socket (our STARTTLS gives it the TLSSocket) */
  _attachSocket(socket: Socket): void;
  /** status "online": emits "online" after binding; `resumed` (XEP-0198) sets it silently */
  _ready(resumed?: boolean): void;
  /** @xmpp/connection's hooks: "close" handlers run before </stream:stream> is written */
  hook(event: "close", handler: () => unknown): void;
}

export type IncomingContext = Shared.IncomingContext<XmppEntity>;
export type { Next } from "@xft/protocol/xmppjs/types.js";
export type MiddlewareFn = Shared.MiddlewareFn<XmppEntity>;
export type Middleware = Shared.Middleware<XmppEntity>;

export interface StreamFeatures {
  use(name: string, xmlns: string, handler: (ctx: IncomingContext, next: Next, feature: Element) => unknown): unknown;
}

export type { IqCaller, Jid, Reconnect } from "@xft/protocol/xmppjs/types.js";
export type IqHandler = Shared.IqHandler<XmppEntity>;
export type IqCallee = Shared.IqCallee<XmppEntity>;

/** A saslmechanisms mechanism (what saslmechanisms' Factory creates). Strings are byte strings. */
export interface SaslMechanism {
  readonly name: string;
  readonly clientFirst: boolean;
  response(credentials: SaslCredentials): string | Promise<string>;
  challenge(challenge: string): unknown;
  /** Ours, optional: the server's additional data with <success/> (RFC 6120 §6.3.10); throw to refuse it. */
  serverFinal?(data: string): void;
}

export interface SaslCredentials {
  username?: string;
  password?: string;
  authzid?: string;
}

export interface SaslFactory {
  use(name: string, mechanism: new () => SaslMechanism): SaslFactory;
  use(mechanism: new () => SaslMechanism): SaslFactory;
  create(offered: string[]): SaslMechanism | null;
  /** internal list, read by @xmpp/sasl's getAvailableMechanisms */
  _mechs: { name: string; mech: new () => SaslMechanism }[];
}
