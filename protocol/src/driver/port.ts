// The one edge between the protocol engine and an XMPP connection. Both our client (xmpp.js
// 0.14) and our component (xmpp.js 0.13) are adapted to it, so the engine is written once.
import type { Element } from "ltx/lib/ltx.js";
import { ProtocolError, parseStanzaError } from "../errors/stanza-error.js";
import type { IqCallee, IqCaller, Middleware } from "../xmppjs/types.js";

export interface XmppPort {
  /** our own address as the server knows it (full JID for a client, domain for a component) */
  readonly jid: () => string;
  send(stanza: Element): Promise<void>;
  /** sends an IQ and resolves with the result stanza; rejects with IqError on an error reply */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
  /** handles IQ sets whose child is {ns}name; resolve to a result payload or nothing, throw ProtocolError for an error reply */
  onIqSet(ns: string, name: string, handler: (iq: Element, child: Element) => Promise<Element | void>): void;
  onMessage(handler: (message: Element) => void): void;
  /** presence stanzas addressed to us (a peer's unavailable presence ends its sessions) */
  onPresence?(handler: (presence: Element) => void): void;
  /** the connection is gone (socket closed); running sessions are interrupted */
  onDisconnect?(handler: (reason: string) => void): void;
  /** the entity is online again: `resumed` true when XEP-0198 resumed the old stream (nothing
   *  in flight was lost), false for a new session */
  onOnline?(handler: (resumed: boolean) => void): void;
  /** stop / start reading the connection (TCP flow control), so a receiver never holds more
   *  received blocks than its sinks can take (FileTransferOptions.maxPendingInput) */
  pauseInput?(): void;
  resumeInput?(): void;
}

export class IqError extends Error {
  constructor(readonly condition: string, readonly errorType: string, readonly text?: string) {
    super(text ? `${condition}: ${text}` : condition);
    this.name = "IqError";
  }
}

/** The pieces every xmpp.js entity (client 0.14, component 0.13) has. */
export interface XmppJsEntity {
  entity: {
    send(el: Element): Promise<void>;
    jid?: { toString(): string } | null;
    emit(event: string, ...args: unknown[]): boolean;
    on(event: string, fn: (...args: any[]) => void): unknown;
    /** the current connection's socket (a net.Socket for TCP; absent while offline) */
    socket?: { pause?(): unknown; resume?(): unknown } | null;
  };
  iqCaller: Pick<IqCaller, "request">;
  iqCallee: Pick<IqCallee<any>, "set">;
  middleware: Pick<Middleware<any>, "use">;
}

export function xmppPortFrom({ entity, iqCaller, iqCallee, middleware }: XmppJsEntity): XmppPort {
  let watchingClose = false;
  return {
    jid: () => entity.jid?.toString() ?? "",
    send: (stanza) => entity.send(stanza),
    async request(iq, timeoutMs = 30_000) {
      try {
        return await iqCaller.request(iq, timeoutMs);
      } catch (err: any) {
        // xmpp.js rejects with a StanzaError carrying .condition/.type, or a TimeoutError
        if (err?.name === "TimeoutError") throw new IqError("timeout", "wait", "no answer in time");
        if (err?.condition) throw new IqError(err.condition, err.type ?? "cancel", err.text || undefined);
        if (err?.element) {
          const parsed = parseStanzaError(err.element);
          if (parsed) throw new IqError(parsed.condition, parsed.type, parsed.text);
        }
        throw new IqError("remote-server-timeout", "wait", err?.message ?? String(err));
      }
    },
    onIqSet(ns, name, handler) {
      iqCallee.set(ns, name, async ({ stanza, element }) => {
        try {
          return (await handler(stanza, element)) ?? true;
        } catch (err) {
          if (err instanceof ProtocolError) return err.toElement();
          entity.emit("error", err);
          return new ProtocolError("cancel", "internal-server-error", "internal error").toElement();
        }
      });
    },
    // on whichever socket is current: a new one after a reconnect starts out reading
    pauseInput() {
      entity.socket?.pause?.();
      if (watchingClose) return;
      watchingClose = true;
      // a socket left paused would never read the server's </stream> nor its FIN: a close
      // would wait out xmpp.js's timeouts and leave the socket open behind it
      entity.on("status", (status: string) => {
        if (status === "closing" || status === "disconnecting") entity.socket?.resume?.();
      });
    },
    resumeInput: () => void entity.socket?.resume?.(),
    onDisconnect(handler) {
      entity.on("disconnect", (info: { clean?: boolean; reason?: unknown } | undefined) =>
        handler(info?.reason ? `connection lost: ${String((info.reason as any)?.message ?? info.reason)}` : "connection lost"));
    },
    onOnline(handler) {
      // xmpp.js emits "online" after resource binding, which a resumed stream skips; our
      // stream management emits "resumed" on the entity for that case
      entity.on("online", () => handler(false));
      entity.on("resumed", () => handler(true));
    },
    onMessage(handler) {
      middleware.use((ctx, next) => {
        if (ctx.stanza.name === "message") handler(ctx.stanza);
        return next();
      });
    },
    onPresence(handler) {
      middleware.use((ctx, next) => {
        if (ctx.stanza.name === "presence") handler(ctx.stanza);
        return next();
      });
    },
  };
}
