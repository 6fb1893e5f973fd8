// XEP-0363 HTTP File Upload 1.1.0 (urn:xmpp:http:upload:0), the client's XMPP half: find the
// server's upload service and ask it for a slot. What most clients use instead of Jingle, so
// the benchmark measures it beside our transfers (the HTTP half is http-file.ts). Test code,
// not product: the engine never uploads by HTTP.
import { randomBytes } from "node:crypto";
import { createElement as xml, type Element } from "ltx/lib/ltx.js";
import type { XmppPort } from "@xft/protocol";
import { discoverComponent } from "@xft/client-plugin/xep0030/discover-component.js";

export const NS_HTTP_UPLOAD = "urn:xmpp:http:upload:0";

export interface SlotRequest { filename: string; size: number; contentType: string }
export interface Slot { put: string; get: string; putHeaders: Record<string, string> }

// https://xmpp.org/extensions/xep-0363.html#request (Example 4)
export function makeSlotRequest(r: SlotRequest): Element {
  return xml("request", { xmlns: NS_HTTP_UPLOAD, filename: r.filename, size: String(r.size), "content-type": r.contentType });
}

// §5: only these headers of <put/> may be sent; a client ignores the others
const PUT_HEADERS = new Set(["authorization", "cookie", "expires"]);

/** the <slot/> of an IQ result (Example 5); throws if it has no put or get URL */
export function parseSlot(iq: Element): Slot {
  const slot = iq.getChild("slot", NS_HTTP_UPLOAD);
  const put = slot?.getChild("put")?.attrs.url as string | undefined;
  const get = slot?.getChild("get")?.attrs.url as string | undefined;
  if (!put || !get) throw new Error(`no slot with put and get URLs in ${iq.toString().slice(0, 300)}`);
  const putHeaders: Record<string, string> = {};
  for (const h of slot!.getChild("put")!.getChildren("header")) {
    const name = String(h.attrs.name ?? "").toLowerCase();
    if (PUT_HEADERS.has(name)) putHeaders[name] = h.getText().replace(/[\r\n]/g, "");
  }
  return { put, get, putHeaders };
}

/** the upload service of a server (§2: disco#items, then the item whose disco#info has the feature) */
export async function findUploadService(port: XmppPort, serverDomain: string): Promise<string> {
  const service = await discoverComponent(port, serverDomain, { feature: NS_HTTP_UPLOAD });
  if (!service) throw new Error(`${serverDomain} lists no ${NS_HTTP_UPLOAD} service`);
  return service;
}

export async function requestSlot(port: XmppPort, service: string, r: SlotRequest): Promise<Slot> {
  const iq = xml("iq", { type: "get", to: service, id: randomBytes(6).toString("hex") }, makeSlotRequest(r));
  return parseSlot(await port.request(iq, 10_000));
}
