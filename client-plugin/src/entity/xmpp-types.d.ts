// Types for the xmpp.js 0.14 modules our client composes (they ship no .d.ts), in terms of
// the interfaces in types.ts. Only what client.ts, sasl.ts and transport.ts use.

declare module "@xmpp/client-core" {
  import type { Element } from "ltx/lib/ltx.js";
  type Jid = import("./types.js").Jid;
  type XmppEntity = import("./types.js").XmppEntity;

  // Client extends Connection: the transport's Socket and Parser are copied onto it on connect().
  export class Client {
    constructor(options: { service?: string; domain?: string; lang?: string; timeout?: number });
    /** transport classes, tried in order by connect(service) (the first whose socketParameters() accepts it) */
    transports: (abstract new (...args: never[]) => unknown)[];
    parser: { write(data: string | Uint8Array): void } | null;
    _onData(data: Buffer): void;
    write(data: string): Promise<void>;
  }
  export interface Client extends XmppEntity {}

  export function xml(name: string, attrs?: Record<string, unknown> | null, ...children: unknown[]): Element;
  export function jid(local: string, domain: string, resource?: string): Jid;
  export function jid(address: string): Jid;
}

declare module "@xmpp/tcp/lib/Connection.js" {
  import type { Socket } from "node:net";
  /** @xmpp/connection-tcp 0.14 with NS jabber:client and port 5222 by default. */
  export default class ConnectionTCP {
    // these three live on the prototype: Client copies Socket and Parser from there on connect()
    Socket: new () => Socket;
    Parser: new () => { write(data: string | Uint8Array): void; end(data?: string): void };
    socketParameters(service: string): { port: number; host: string } | undefined;
  }
}

declare module "@xmpp/middleware" {
  type Middleware = import("./types.js").Middleware;
  type XmppEntity = import("./types.js").XmppEntity;
  export default function middleware(deps: { entity: XmppEntity }): Middleware;
}

declare module "@xmpp/stream-features" {
  type Middleware = import("./types.js").Middleware;
  type StreamFeatures = import("./types.js").StreamFeatures;
  export default function streamFeatures(deps: { middleware: Middleware }): StreamFeatures;
}

declare module "@xmpp/iq/caller.js" {
  type IqCaller = import("./types.js").IqCaller;
  type Middleware = import("./types.js").Middleware;
  type XmppEntity = import("./types.js").XmppEntity;
  export default function iqCaller(deps: { entity: XmppEntity; middleware: Middleware }): IqCaller;
}

declare module "@xmpp/iq/callee.js" {
  type IqCallee = import("./types.js").IqCallee;
  type Middleware = import("./types.js").Middleware;
  type XmppEntity = import("./types.js").XmppEntity;
  export default function iqCallee(deps: { entity: XmppEntity; middleware: Middleware }): IqCallee;
}

declare module "@xmpp/reconnect" {
  type Reconnect = import("./types.js").Reconnect;
  type XmppEntity = import("./types.js").XmppEntity;
  /** Creates the reconnector and starts it (listens for "disconnect"). */
  export default function reconnect(deps: { entity: XmppEntity }): Reconnect;
}

declare module "@xmpp/resolve" {
  type XmppEntity = import("./types.js").XmppEntity;
  /** Wraps entity.connect(): a service without "://" is looked up (DNS SRV, then host:5222). */
  export default function resolve(deps: { entity: XmppEntity }): void;
}

declare module "@xmpp/resource-binding" {
  type IqCaller = import("./types.js").IqCaller;
  type StreamFeatures = import("./types.js").StreamFeatures;
  export default function resourceBinding(
    deps: { iqCaller: IqCaller; streamFeatures: StreamFeatures },
    resource?: string | (() => string | Promise<string>),
  ): void;
}

declare module "@xmpp/sasl/lib/SASLError.js" {
  import type { Element } from "ltx/lib/ltx.js";
  export default class SASLError extends Error {
    constructor(condition: string, text?: string, application?: Element);
    condition: string;
    text?: string;
    element?: Element;
    static fromElement(element: Element): SASLError;
  }
}

declare module "@xmpp/events" {
  import type { Element } from "ltx/lib/ltx.js";
  type XmppEntity = import("./types.js").XmppEntity;
  /** Sends `stanza` (if any), then feeds each incoming nonza to `handler` until it calls done(). */
  export function procedure<T = void>(
    entity: XmppEntity,
    stanza: Element | null,
    handler: (element: Element, done: (value?: T) => void) => unknown,
  ): Promise<T>;
}

declare module "saslmechanisms" {
  type SaslFactory = import("./types.js").SaslFactory;
  const Factory: new () => SaslFactory;
  export default Factory;
}
