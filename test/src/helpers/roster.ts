// Makes test accounts each other's contacts the way two users do: a subscription request each
// way, each approved (RFC 6121 §3.1), then waits until both servers' rosters say "both".
import { createElement as xml } from "ltx/lib/ltx.js";
import { NS_ROSTER, parseRosterItems, makeRosterGet } from "@xft/client-plugin/roster/items.js";
import type { Account } from "@xft/client-plugin/account.js";
import { sleep } from "./wait.js";

const bareOf = (jid: string) => jid.split("/")[0].toLowerCase();

async function subscriptionOf(account: Account, other: string): Promise<string | undefined> {
  const result = await account.port.request(makeRosterGet(), 10_000);
  const query = result.getChild("query", NS_ROSTER);
  const item = query ? parseRosterItems(query).find((i) => i.jid === bareOf(other)) : undefined;
  return item && !("remove" in item) ? item.subscription : undefined;
}

/** a and b become mutual contacts (subscription "both" on both rosters), within timeoutMs. */
export async function befriend(a: Account, b: Account, timeoutMs = 20_000): Promise<void> {
  const [ja, jb] = [bareOf(a.jid), bareOf(b.jid)];
  for (const [from, to] of [[a, jb], [b, ja]] as const) await from.port.send(xml("presence", { to, type: "subscribe" }));
  // the approvals, sent after the requests reached the server (they are stored as pending)
  for (const [from, to] of [[b, ja], [a, jb]] as const) await from.port.send(xml("presence", { to, type: "subscribed" }));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [sa, sb] = await Promise.all([subscriptionOf(a, jb), subscriptionOf(b, ja)]);
    if (sa === "both" && sb === "both") return;
    if (Date.now() > deadline) throw new Error(`befriend ${ja} <-> ${jb}: rosters say ${sa} / ${sb} after ${timeoutMs} ms`);
    await sleep(50);
  }
}
