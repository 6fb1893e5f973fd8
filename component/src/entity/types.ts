// The parts of an xmpp.js 0.13 component entity (@xmpp/component 0.13.1) that we use, typed.
// Real interfaces, so that they reach our emitted .d.ts; xmpp-component.d.ts types the CommonJS
// module in terms of these. Shapes match the client's (xmpp.js 0.14) except for the JID class:
// the two trees have different ones, so compare JIDs as strings, never with instanceof.
import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { Element } from "ltx/lib/ltx.js";

/** @xmpp/jid 0.13 */
export interface Jid {
  local: string;
  domain: string;
  resource: string;
  toString(unescape?: boolean): string;
  bare(): Jid;
  equals(other: Jid): boolean;
}

/** @xmpp/component-core's Component, a @xmpp/connection-tcp 0.13 Connection. */
export interface ComponentEntity extends EventEmitter {
  status: string;
  /** our domain, once the handshake succeeded */
  jid: Jid | null;
  socket: Socket | null;
  options: { service: string; domain: string };
  /** connect, open the stream, handshake (XEP-0114); resolves with our domain as a JID */
  start(): Promise<Jid>;
  stop(): Promise<Element | undefined>;
  /** stanzas without a 'from' get our domain (XEP-0114 requires one) */
  send(element: Element): Promise<void>;
  sendMany(elements: Element[]): Promise<void>;
  sendReceive(element: Element, timeout?: number): Promise<Element>;
}

export interface IncomingContext {
  stanza: Element;
  entity: ComponentEntity;
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
  use<F extends MiddlewareFn>(fn: F): F;
  filter<F extends MiddlewareFn>(fn: F): F;
}

export interface IqCaller {
  request(stanza: Element, timeout?: number): Promise<Element>;
  get(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
  set(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
}

/** Return an Element (the result child), true (empty result), or throw / return an <error/>. */
export type IqHandler = (ctx: IncomingContext & { element: Element }) => unknown;

export interface IqCallee {
  get(ns: string, name: string, handler: IqHandler): void;
  set(ns: string, name: string, handler: IqHandler): void;
}

export interface Reconnect extends EventEmitter {
  delay: number;
  start(): void;
  stop(): void;
  reconnect(): Promise<void>;
}

export interface XmppComponent extends ComponentEntity {
  entity: ComponentEntity;
  /** stopped unless autoReconnect: reconnect.start() / stop() switch it */
  reconnect: Reconnect;
  middleware: Middleware;
  iqCaller: IqCaller;
  iqCallee: IqCallee;
}
