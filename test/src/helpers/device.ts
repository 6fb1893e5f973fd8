// A recipient's device as Dino and Gajim look from outside (shared/INTEROP.md): online with a
// presence (priority, XEP-0115 caps or none), answering disco#info with the features it is given,
// taking Jingle file offers with the real engine, and ignoring XEP-0353 file proposals (it
// only records them). Built from our client stack without the plugin, which would answer them.
import { once } from "node:events";
import { discoResponder, fileTransfer, makeCaps, xmppPortFrom, type DiscoInfo, type TransferEvent } from "@xft/protocol";
import { CLIENT_DISCO_INFO } from "@xft/client-plugin/account.js";
import { createClient } from "@xft/client-plugin/entity/client.js";
import { parseJmi } from "@xft/client-plugin/xep0353/jmi.js";
import { testTls } from "./account.js";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";

export interface DeviceOptions {
  /** what its disco#info says; default: what xft says (Jingle FT over IBB) */
  features?: string[];
  priority?: number;
  /** a <c/> in its presence (as Gajim); false: none, peers must ask disco#info (as Dino). Default true */
  caps?: boolean;
  /** offers are taken into this dir; none: declined */
  dir?: string;
}

export interface Device {
  jid: string;
  /** XEP-0353 proposals it got (and did not answer) */
  proposals: () => number;
  /** Jingle session-initiates it got */
  offers: () => number;
  /** the first file it received, once completed */
  received(timeoutMs?: number): Promise<TransferEvent & { path?: string }>;
  close(): Promise<void>;
}

export async function quietDevice(service: string, jid: string, password: string, opts: DeviceOptions = {}): Promise<Device> {
  const [local, rest] = jid.split("@");
  const [domain, resource] = rest.split("/");
  const xmpp = createClient({ service, domain, username: local, password, resource, streamManagement: false, tls: testTls() });
  xmpp.on("error", () => undefined);
  const port = xmppPortFrom(xmpp);
  const info: DiscoInfo = { identities: CLIENT_DISCO_INFO.identities, features: opts.features ?? CLIENT_DISCO_INFO.features };
  discoResponder(xmpp.iqCallee, (to) => to === "" || to.toLowerCase() === xmpp.jid?.toString().toLowerCase(), info);
  const ft = fileTransfer(port);
  let proposals = 0;
  let offers = 0;
  port.onMessage((m: Element) => {
    if (parseJmi(m)?.action === "propose") proposals++;
  });
  const completed: Array<TransferEvent & { path?: string }> = [];
  ft.on("offer", (offer) => {
    offers++;
    if (!opts.dir) return offer.decline("this device takes no files");
    void offer.accept(opts.dir).then((t) => t.done).then((e) => void (e.type === "completed" && completed.push(e)), () => undefined);
  });
  await xmpp.start();
  const priority = opts.priority === undefined ? undefined : xml("priority", {}, String(opts.priority));
  await xmpp.send(xml("presence", {}, priority, opts.caps === false ? undefined : makeCaps(info)));
  return {
    jid: xmpp.jid!.toString(),
    proposals: () => proposals,
    offers: () => offers,
    async received(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!completed.length) {
        if (Date.now() > deadline) throw new Error(`${jid}: no file received within ${timeoutMs} ms (offers: ${offers})`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return completed[0];
    },
    async close() {
      if (xmpp.status === "online") await xmpp.send(xml("presence", { type: "unavailable" })).catch(() => undefined);
      const stopped = once(xmpp, "offline").catch(() => undefined);
      await xmpp.stop().catch(() => undefined);
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}
