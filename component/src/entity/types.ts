// The parts of an xmpp.js 0.13 component entity (@xmpp/component 0.13.1) that we use, typed.
// Real interfaces, so that they reach our emitted .d.ts; xmpp-component.d.ts types the CommonJS
// module in terms of these. What it shares with the client is in @xft/protocol/xmppjs/types.ts;
// the JID classes of the two trees differ, so compare JIDs as strings, never with instanceof.
import type { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import type { Element } from "ltx/lib/ltx.js";
import type * as Shared from "@xft/protocol/xmppjs/types.js";
import type { IqCaller, Jid, Reconnect } from "@xft/protocol/xmppjs/types.js";

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
  /** opens the socket only (status "connect"); reconnecting is connect + open, as start() does */
  connect(service: string): Promise<void>;
  /** opens the stream; the "open" event then runs the handshake and ends "online" */
  open(options: { domain: string; lang?: string }): Promise<Element>;
  /** ends the socket */
  disconnect(timeout?: number): Promise<void>;
  /** stanzas without a 'from' get our domain (XEP-0114 requires one) */
  send(element: Element): Promise<void>;
  sendMany(elements: Element[]): Promise<void>;
  sendReceive(element: Element, timeout?: number): Promise<Element>;
}

export type { IqCaller, Jid, Next, Reconnect } from "@xft/protocol/xmppjs/types.js";
export type IncomingContext = Shared.IncomingContext<ComponentEntity>;
export type MiddlewareFn = Shared.MiddlewareFn<ComponentEntity>;
export type Middleware = Shared.Middleware<ComponentEntity>;
export type IqHandler = Shared.IqHandler<ComponentEntity>;
export type IqCallee = Shared.IqCallee<ComponentEntity>;

export interface XmppComponent extends ComponentEntity {
  entity: ComponentEntity;
  /** stopped unless autoReconnect: reconnect.start() / stop() switch it */
  reconnect: Reconnect;
  middleware: Middleware;
  iqCaller: IqCaller;
  iqCallee: IqCallee;
}
