// The parts of xmpp.js (0.13 for the component, 0.14 for the client) that we use, typed once
// (xmpp.js ships no .d.ts). Generic over the entity, because the two trees differ there: the
// component and the client are different classes, and their JID classes are not the same
// (compare JIDs as strings, never with instanceof).
import type { EventEmitter } from "node:events";
import type { Element } from "ltx/lib/ltx.js";

/** @xmpp/jid (0.13 and 0.14 have the same shape, not the same class) */
export interface Jid {
  local: string;
  domain: string;
  resource: string;
  toString(unescape?: boolean): string;
  bare(): Jid;
  equals(other: Jid): boolean;
}

/** @xmpp/middleware's context of an incoming stanza. */
export interface IncomingContext<E = unknown> {
  stanza: Element;
  entity: E;
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
export type MiddlewareFn<E = unknown> = (ctx: IncomingContext<E>, next: Next) => unknown;

export interface Middleware<E = unknown> {
  /** incoming stanzas; a handler's resolved Element is sent as the reply */
  use<F extends MiddlewareFn<E>>(fn: F): F;
  /** outgoing stanzas */
  filter<F extends MiddlewareFn<E>>(fn: F): F;
}

export interface IqCaller {
  /** sends an <iq/> (an id is added if missing); resolves with the result, rejects with a StanzaError */
  request(stanza: Element, timeout?: number): Promise<Element>;
  /** wraps `element` in <iq type="get"/>; resolves with the result's child of the same name and xmlns */
  get(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
  set(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
}

/** Return an Element (the result child), true (empty result), or throw / return an <error/>. */
export type IqHandler<E = unknown> = (ctx: IncomingContext<E> & { element: Element }) => unknown;

export interface IqCallee<E = unknown> {
  get(ns: string, name: string, handler: IqHandler<E>): void;
  set(ns: string, name: string, handler: IqHandler<E>): void;
}

/** @xmpp/reconnect: on "disconnect", waits `delay` ms, then reconnects and reopens the stream. */
export interface Reconnect extends EventEmitter {
  delay: number;
  start(): void;
  stop(): void;
  reconnect(): Promise<void>;
}
