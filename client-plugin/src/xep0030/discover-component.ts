// Finds the user's offline store (XEP-0030 §4 then §3): disco#items on the user's own server,
// then disco#info on each item; the first, in the server's order, that announces our forward
// feature. Prosody lists its external components in the host's disco#items by itself (ejabberd
// too); a server that does not can list it with its disco items option (Prosody: disco_items).
import { randomBytes } from "node:crypto";
import { createElement as xml } from "ltx/lib/ltx.js";
import { makeInfoQuery, makeItemsQuery, NS_FT_FORWARD, parseInfo, parseItems, type XmppPort } from "@xft/protocol";

export interface DiscoverOptions {
  /** per request; default 10 s */
  timeoutMs?: number;
  /** the feature that marks the store; default ours */
  feature?: string;
}

const get = (to: string, query: ReturnType<typeof makeInfoQuery>) => xml("iq", { type: "get", to, id: randomBytes(6).toString("hex") }, query);

/**
 * The JID of the first item of serverDomain that has the feature, or undefined if none has.
 * Rejects only if the server's own items cannot be read; an item that errs or times out is
 * skipped (a gateway that is down must not hide the store).
 */
export async function discoverComponent(port: XmppPort, serverDomain: string, options: DiscoverOptions = {}): Promise<string | undefined> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const feature = options.feature ?? NS_FT_FORWARD;
  const items = parseItems(await port.request(get(serverDomain, makeItemsQuery()), timeoutMs));
  // items without a node are entities; nodes of the server itself (§4.2) are not components
  const candidates = [...new Set(items.filter((i) => i.node === undefined).map((i) => i.jid))];
  // asked all at once (one slow item costs one timeout, not one each), answered in the server's order
  const infos = await Promise.allSettled(candidates.map((jid) => port.request(get(jid, makeInfoQuery()), timeoutMs).then(parseInfo)));
  const found = infos.findIndex((r) => r.status === "fulfilled" && r.value.features.includes(feature));
  return found === -1 ? undefined : candidates[found];
}
