// Nagle's algorithm off on every connection an entity makes. With it on, each small stanza
// written after another waits for the peer's delayed ACK: an IQ round trip on loopback took
// 44 ms instead of 0.7 ms (SERVERS.md). A mixin over the socket class a transport uses
// (net.Socket for xmpp.js 0.13, @xmpp/connection-tcp's subclass of it for 0.14), so that every
// socket the entity creates, including on reconnect and SRV fallback, gets it.
import type { Socket } from "node:net";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mixin's constructor must take any[]
type SocketClass = new (...args: any[]) => Socket;

/** A subclass of `Base` whose sockets set TCP_NODELAY once connected. */
export function noDelay<T extends SocketClass>(Base: T): T {
  return class NoDelaySocket extends Base {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    constructor(...args: any[]) {
      super(...args);
      this.on("connect", () => this.setNoDelay(true));
    }
  };
}
