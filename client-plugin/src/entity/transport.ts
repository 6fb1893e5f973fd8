// Our TCP transport for @xmpp/client-core: xmpp.js 0.14's own (jabber:client, port 5222 by
// default) with our linear stream parser and Nagle off. Classes are made per client, so
// nothing shared (xmpp.js's prototypes) is mutated.
import tls from "node:tls";
import { Client } from "@xmpp/client-core";
import ConnectionTCP from "@xmpp/tcp/lib/Connection.js";
import { noDelay } from "@xft/protocol/net/no-delay-socket.js";
import { StreamParser, type StreamParserOptions } from "@xft/protocol/xml/stream-parser.js";
import { refusalReply } from "@xft/protocol/xml/refusal.js";

export function tcpTransport(parserOptions: StreamParserOptions = {}) {
  // Connection creates `new this.Parser()` without arguments on each stream (re)start.
  class Parser extends StreamParser {
    constructor() {
      super(parserOptions);
    }
  }
  class Transport extends ConnectionTCP {}
  Transport.prototype.Parser = Parser;
  Transport.prototype.Socket = noDelay(ConnectionTCP.prototype.Socket);
  return Transport;
}

const STREAM_CLOSE = "</stream:stream>"; // what ConnectionTCP.footer() writes

/** @xmpp/client-core's Client with two fixes of @xmpp/connection 0.14's I/O. */
export class XftClient extends Client {
  private streamClosed = false;

  // Socket bytes go to the parser undecoded: xmpp.js decodes each read on its own, which
  // mangles a UTF-8 character split between two reads; our parser decodes across reads.
  _onData(data: Buffer): void {
    // After a parse error the connection detaches the parser while the socket may still deliver.
    this.parser?.write(data);
  }

  // RFC 6120 §4.4: after </stream:stream> nothing more may be sent. xmpp.js refuses writes
  // only once the close tag is flushed (status "closing"), so an iq reply written meanwhile
  // followed it; Prosody then reset the connection and the next write failed with EPIPE.
  async write(data: string): Promise<void> {
    if (this.streamClosed) throw new Error("Connection is closing");
    if (data === STREAM_CLOSE) this.streamClosed = true;
    return super.write(data);
  }

  // A stanza over the parser's caps (a peer's, relayed by our server) is dropped and, if an IQ
  // request, answered; the stream goes on, so one peer cannot disconnect us. "stanza-refused" on
  // the entity lets stream management count it (stream-management.ts: the server counted it too).
  _attachParser(parser: StreamParser): void {
    (Client.prototype as unknown as { _attachParser(p: StreamParser): void })._attachParser.call(this, parser);
    parser.on("stanza-refused", (shell, reason: string) => {
      this.emit("stanza-refused", shell, reason);
      const reply = refusalReply(shell, reason);
      if (reply) this.send(reply).catch(() => {});
    });
  }

  // xmpp.js asks its own TLS wrapper's `secure` flag; our STARTTLS attaches Node's TLSSocket
  isSecure(): boolean {
    return this.socket instanceof tls.TLSSocket || super.isSecure();
  }

  async open(options: { domain?: string; lang?: string }) {
    this.streamClosed = false; // a new stream: after (re)connecting, and on restarts
    return super.open(options);
  }
}
