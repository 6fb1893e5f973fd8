// Types for @xmpp/component 0.13.1 (CommonJS, no .d.ts): `import xmppComponent from
// "@xmpp/component"` gives its module.exports, { component, xml, jid }. Only what we use.
declare module "@xmpp/component" {
  import type { Element } from "ltx/lib/ltx.js";
  type XmppComponent = import("./types.js").XmppComponent;
  type Jid = import("./types.js").Jid;

  interface ComponentInternals {
    // Connection creates `new this.Socket()` / `new this.Parser()` per connection and stream,
    // and hands every socket read to `_onData`: own properties here shadow the prototype's.
    Socket: new () => import("node:net").Socket;
    Parser: new () => { write(data: string | Uint8Array): void; end(data?: string): void };
    parser: { write(data: string | Uint8Array): void } | null;
    _onData(data: Buffer): void;
  }

  const xmppComponent: {
    /** XEP-0114: connects to service (default port 5347) as `domain`, handshake with `password`. */
    component(options: { service: string; domain: string; password: string }): XmppComponent & ComponentInternals;
    xml(name: string, attrs?: Record<string, unknown> | null, ...children: unknown[]): Element;
    jid(address: string): Jid;
  };
  export default xmppComponent;
}
