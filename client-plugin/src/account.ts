// Logs an account in with our client stack and hands back the engine's port.
import { xmppPortFrom, type XmppPort } from "@xft/protocol";
import { createElement } from "ltx/lib/ltx.js";
import { createClient } from "./entity/client.js";

export interface AccountOptions {
  jid: string;
  password: string;
  /** xmpp://host:port; default: the JID's domain on port 5222 */
  service?: string;
  resource?: string;
}

export interface Account {
  port: XmppPort;
  /** our full JID after binding */
  jid: string;
  xmpp: ReturnType<typeof createClient>;
  sendPresence(): Promise<void>;
  close(): Promise<void>;
}

export function splitJid(jid: string): { local: string; domain: string; resource?: string } {
  const at = jid.indexOf("@");
  const slash = jid.indexOf("/", at);
  return {
    local: jid.slice(0, at),
    domain: jid.slice(at + 1, slash === -1 ? undefined : slash),
    resource: slash === -1 ? undefined : jid.slice(slash + 1),
  };
}

export async function openAccount(opts: AccountOptions): Promise<Account> {
  const { local, domain, resource } = splitJid(opts.jid);
  const xmpp = createClient({
    service: opts.service ?? `xmpp://${domain}:5222`,
    domain,
    username: local,
    password: opts.password,
    resource: opts.resource ?? resource,
  });
  // connection errors surface through start() and the engine's events; an 'error' event
  // without a listener would otherwise crash the process
  xmpp.on("error", () => undefined);
  const port = xmppPortFrom(xmpp);
  const address = await xmpp.start();
  return {
    port,
    jid: String(address),
    xmpp,
    async sendPresence() {
      await xmpp.send(createElement("presence", {}));
    },
    async close() {
      await xmpp.stop().catch(() => undefined);
    },
  };
}
