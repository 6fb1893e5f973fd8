// A stand-in for the XMPP server, for one benchmark figure only: what the component can do when
// it does not share the machine's two cores with Prosody or ejabberd. It accepts the real
// `xft-component` process over XEP-0114 (§3 handshake) and relays stanzas between it and
// senders' engines in this process, each given an XmppPort here: what a server does for them
// (stamps `from`, routes by `to`, answers an IQ nobody handles with service-unavailable), and
// nothing else: no rosters, no presence, no federation. Every other figure goes through a real
// server; this one says how far the component alone is from being the limit.
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import type { Element } from "ltx/lib/ltx.js";
import type { XmppPort } from "@xft/protocol";
import { closeEndpoint, endpoint, receiveAt, type Endpoint } from "@xft/protocol/fixtures/stanza-endpoint.js";
import { StreamParser } from "@xft/protocol/xml/stream-parser.js";

export interface Relay {
  /** xmpp://127.0.0.1:PORT, for XFT_COMPONENT_SERVICE */
  service: string;
  secret: string;
  /** a port for the full JID `jid`, as a client logged in through this relay would have */
  port(jid: string): XmppPort;
  close(): Promise<void>;
}

export async function startRelay(componentDomain: string): Promise<Relay> {
  const secret = randomBytes(12).toString("hex");
  const endpoints = new Map<string, Endpoint>();
  let socket: net.Socket | undefined;

  // everything our endpoints send goes to the component (the only other entity here)
  const toComponent = (stanza: Element) => {
    if (!socket) throw new Error("the component is not connected");
    socket.write(stanza.toString());
  };

  const server = net.createServer((s) => {
    if (socket) return void s.destroy(); // one component
    socket = s;
    s.setNoDelay(true);
    s.on("error", () => undefined);
    const id = randomBytes(8).toString("hex");
    const parser = new StreamParser();
    parser.on("start", () => s.write(`<stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:component:accept' from='${componentDomain}' id='${id}'>`));
    parser.on("element", (el: Element) => {
      if (el.name === "handshake") {
        const ok = el.getText() === createHash("sha1").update(id + secret).digest("hex");
        s.write(ok ? "<handshake/>" : "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
        return;
      }
      // the store's presence (subscribe, probes) finds no roster here; stanzas to nobody are dropped
      const to = endpoints.get(String(el.attrs.to ?? ""));
      if (to) receiveAt(to, el, toComponent);
    });
    parser.on("error", () => s.destroy());
    s.on("data", (d) => parser.write(d));
    s.on("close", () => (socket = undefined));
  });
  server.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const { port } = server.address() as net.AddressInfo;

  return {
    service: `xmpp://127.0.0.1:${port}`,
    secret,
    port(jid) {
      const e = endpoint(jid, toComponent);
      endpoints.set(jid, e.endpoint);
      return e.port;
    },
    async close() {
      socket?.destroy();
      for (const e of endpoints.values()) closeEndpoint(e);
      await new Promise((r) => server.close(r));
    },
  };
}
