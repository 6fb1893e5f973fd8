// Our component composition root: @xmpp/component 0.13.1's component() (XEP-0114) with our
// linear stream parser and Nagle off, as the client has (client-plugin/src/entity/client.ts).
// component() builds its Component itself, so we cannot hand it subclasses as the client's
// transport does: we set Socket, Parser and _onData on this one instance instead (own
// properties shadow the prototype's; nothing shared between entities changes).
import net from "node:net";
import xmppComponent from "@xmpp/component";
import { noDelay } from "@xft/protocol/net/no-delay-socket.js";
import { StreamParser } from "@xft/protocol/xml/stream-parser.js";
import { refusalReply } from "@xft/protocol/xml/refusal.js";
import type { XmppComponent } from "./types.js";

export interface ComponentOptions {
  /** "xmpp://host:port" of the server's component listener (port 5347 by default) */
  service: string;
  /** our domain, e.g. files.localhost */
  domain: string;
  /** the shared secret of the server's Component entry */
  password: string;
  /** reconnect on every disconnect, 1 s after it (@xmpp/reconnect); default false */
  autoReconnect?: boolean;
  /** largest stanza we accept, in characters (StreamParser's default: 1 MiB + 64 KiB) */
  maxElementSize?: number;
}

export function createComponent(options: ComponentOptions): XmppComponent {
  const { service, domain, password, autoReconnect = false, maxElementSize } = options;
  const xmpp = xmppComponent.component({ service, domain, password });

  class Parser extends StreamParser {
    constructor() {
      super({ maxElementSize });
      // A stanza over the parser's caps (a remote peer's, relayed by the server) is dropped and
      // answered; the stream, which carries everyone's traffic, goes on.
      this.on("stanza-refused", (shell, reason: string) => {
        xmpp.emit("stanza-refused", shell, reason);
        const reply = refusalReply(shell, reason);
        if (reply) xmpp.send(reply).catch(() => {}); // the connection's own error handling reports a dead link
      });
    }
  }
  Object.assign(xmpp, {
    Parser,
    Socket: noDelay(net.Socket),
    // Bytes go to the parser undecoded: it decodes UTF-8 across reads, xmpp.js decodes each
    // read alone (mangling a character split between two). Also, after a parse error the
    // connection detaches the parser while the socket may still deliver data.
    _onData(this: typeof xmpp, data: Buffer) {
      this.parser?.write(data);
    },
  });

  // component() starts @xmpp/reconnect (fixed 1 s delay); a later change brings backoff with
  // jitter, until then reconnecting is the caller's decision, as for the client.
  if (!autoReconnect) xmpp.reconnect.stop();

  return xmpp;
}
