// The stock @xmpp/xml 0.14 stream parser (ltx-based; the package ships no types), which our
// tests and benchmark compare StreamParser against. Only what they use.
declare module "@xmpp/xml" {
  import type { EventEmitter } from "node:events";
  export class Parser extends EventEmitter {
    write(data: string): void;
    end(data?: string): void;
  }
}
