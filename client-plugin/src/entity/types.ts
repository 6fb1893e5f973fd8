// The parts of an xmpp.js 0.14 client entity that we use, typed (xmpp.js ships no .d.ts).
// Real interfaces rather than ambient ones so that they reach our packages' emitted .d.ts;
// xmpp-types.d.ts types the JS modules in terms of these.
import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { Element } from "ltx/lib/ltx.js";

/** @xmpp/jid 0.14. Not the 0.13 JID class of the component: compare strings, never instanceof. */
export interface Jid {
  local: string;
  domain: string;
  resource: string;
  toString(unescape?: boolean): string;
  bare(): Jid;
  equals(other: Jid): boolean;
}

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
  isSecure(): boolean;
  /** status "online": emits "online" after binding; `resumed` (XEP-0198) sets it silently */
  _ready(resumed?: boolean): void;
  /** @xmpp/connection's hooks: "close" handlers run before </stream:stream> is written */
  hook(event: "close", handler: () => unknown): void;
}

/** @xmpp/middleware's context of an incoming stanza. */
export interface IncomingContext {
  stanza: Element;
  entity: XmppEntity;
  name: string;
  id: string;
  type: string;
  from: Jid | null;
  to: Jid | null;
  local: string;
  domain: string;
  resource: string;
}

export type Next = () => Promise<unknown>;
export type MiddlewareFn = (ctx: IncomingContext, next: Next) => unknown;

export interface Middleware {
  /** incoming stanzas; a handler's resolved Element is sent as the reply */
  use<F extends MiddlewareFn>(fn: F): F;
  /** outgoing stanzas */
  filter<F extends MiddlewareFn>(fn: F): F;
}

export interface StreamFeatures {
  use(name: string, xmlns: string, handler: (ctx: IncomingContext, next: Next, feature: Element) => unknown): unknown;
}

export interface IqCaller {
  /** sends an <iq/> (an id is added if missing); resolves with the result, rejects with a StanzaError */
  request(stanza: Element, timeout?: number): Promise<Element>;
  /** wraps `element` in <iq type="get"/>; resolves with the result's child of the same name and xmlns */
  get(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
  set(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
}

/** Return an Element (the result child), true (empty result), or throw / return an <error/>. */
export type IqHandler = (ctx: IncomingContext & { element: Element }) => unknown;

export interface IqCallee {
  get(ns: string, name: string, handler: IqHandler): void;
  set(ns: string, name: string, handler: IqHandler): void;
}

/** @xmpp/reconnect: on "disconnect", waits `delay` ms, then reconnects and reopens the stream. */
export interface Reconnect extends EventEmitter {
  delay: number;
  start(): void;
  stop(): void;
  reconnect(): Promise<void>;
}

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
