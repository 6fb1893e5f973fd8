// Makes test accounts each other's contacts the way two users do: a subscription request each
// way, each approved (RFC 6121 §3.1), then waits until both servers' rosters say "both".
import { readFileSync } from "node:fs";
import { createElement as xml } from "ltx/lib/ltx.js";
import { NS_ROSTER, parseRosterItems, makeRosterGet } from "@xft/client-plugin/roster/items.js";
import { openAccount, type Account } from "@xft/client-plugin/account.js";
import { bare } from "@xft/protocol";
import { sleep } from "./wait.js";

async function subscriptionOf(account: Account, other: string): Promise<string | undefined> {
  const result = await account.port.request(makeRosterGet(), 10_000);
  const query = result.getChild("query", NS_ROSTER);
  const item = query ? parseRosterItems(query).find((i) => i.jid === bare(other)) : undefined;
  return item && !("remove" in item) ? item.subscription : undefined;
}

/** a and b become mutual contacts (subscription "both" on both rosters), within timeoutMs. */
export async function befriend(a: Account, b: Account, timeoutMs = 20_000): Promise<void> {
  const [ja, jb] = [bare(a.jid), bare(b.jid)];
  for (const [from, to] of [[a, jb], [b, ja]] as const) await from.port.send(xml("presence", { to, type: "subscribe" }));
  // the approvals, sent after the requests reached the server (they are stored as pending)
  for (const [from, to] of [[b, ja], [a, jb]] as const) await from.port.send(xml("presence", { to, type: "subscribed" }));
  const deadline = Date.now() + timeoutMs;
  for (let round = 1; ; round++) {
    const [sa, sb] = await Promise.all([subscriptionOf(a, jb), subscriptionOf(b, ja)]);
    if (sa === "both" && sb === "both") return;
    if (Date.now() > deadline) throw new Error(`befriend ${ja} <-> ${jb}: rosters say ${sa} / ${sb} after ${timeoutMs} ms`);
    // An approval that overtook the request it answers is not recorded on the approver's roster
    // (seen with ejabberd 23.01: "both" on one side, "to" on the other): approve again, which a
    // server ignores once the subscription exists (RFC 6121 §3.1.4).
    if (round % 10 === 0) for (const [from, to] of [[b, ja], [a, jb]] as const) await from.port.send(xml("presence", { to, type: "subscribed" }));
    await sleep(50);
  }
}

/** The same for two users given by their `xft` environments (accountEnv): each logs in for it, then out. */
export async function befriendUsers(a: Record<string, string>, b: Record<string, string>, timeoutMs = 20_000): Promise<void> {
  const login = (env: Record<string, string>) => openAccount({
    jid: env.XFT_JID, password: env.XFT_PASSWORD, service: env.XFT_SERVICE, reconnect: false,
    tls: env.XFT_CA ? { ca: [readFileSync(env.XFT_CA)] } : undefined, // a TLS server: trust the run's CA as xft does
  });
  const [ua, ub] = await Promise.all([login(a), login(b)]);
  try {
    await befriend(ua, ub, timeoutMs);
  } finally {
    await Promise.all([ua.close(), ub.close()]);
  }
}
