// Recovery figures: N cuts (TCP RST from the fault proxy) of one peer's connection during
// transfers alice -> bob (one file, sent again until N cuts) through a real Prosody, XEP-0198
// off (every reconnect a new login) and on (a resumed stream), side by side in one run.
// Figures, never assertions.
//
// Per cut: "network back" = the cut peer's xmpp "online" (new session) or "resumed" (XEP-0198),
// the last one before bytes flow (a resumed stream that our SM abandons after resumeAckTimeout
// is followed by "online": that one counts, and the cut counts as a new session); "bytes flowing
// again" = the first growth of the receiver's stats.bytesReceived after it, seen by a setter
// installed on that field (exact at the write itself, no polling, no progress throttling).
// Re-sent bytes: each new sender session starts at offset o while the sender had handed bytes up
// to p to the link: p - o is re-sent and charged to the current cut. Their sum must equal
// bytesSent - size (checked). XEP-0198's own re-sending of queued stanzas is not engine traffic.
import { mkdir } from "node:fs/promises";
import { loadavg } from "node:os";
import { basename, join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { autoTransferPlugin, type AutoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES } from "@xft/client-plugin/prefs/preferences.js";
import type { RetransferResult, TransferEvent } from "@xft/protocol";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { startProsody, type ProsodyServer } from "../harness/prosody.js";
import { removeDir, sha256 } from "../helpers/files.js";
import { WINDOW_BYTES } from "../helpers/cuts.js";
import { openTestAccount } from "../helpers/account.js";
import { BENCH_TLS } from "./tls.js";

const MiB = 1024 * 1024;
const STALL_S = 5; // engine stall timeout: a stuck cut shows in seconds, not the default 30
const LIMIT_MS = 60_000; // a cut not recovered by then is reported, and the run ends
/** Cuts are spaced: >= QUIET_MS after the last recovery (longer than the receiver's 300 ms pull
 *  delay, whose timer a cut before it fires into the next recovery: a second session), and not
 *  in a transfer's last 2 gaps (a cut once the receiver holds every byte restarts at 0: a case of
 *  its own, not a sample of cuts during a transfer). */
export const QUIET_MS = 500;

export interface RecoveryRun { label: string; smacks: boolean; cut: "sender" | "receiver" }

interface Cut {
  tCut: number; // performance.now() of the cut, of network back, of bytes flowing again
  tUp?: number;
  flowAt?: number;
  atUp: number; // receiver's bytesReceived at network back
  online: number; // the cut peer's new sessions and resumed streams during this cut
  resumed: number;
  abandoned: number; // sm "timeout" resume-unacked: a resumed stream that never answered
  disconnects: number; // of the cut peer: 1 + one per failed reconnect attempt or abandoned resume
  sessions: number; // sender sessions started (re-offers or receiver pulls)
  resent: number;
}

interface Peer { account: Account; plugin: AutoTransferPlugin; proxy: FaultProxy; disconnects: number }

export interface RecoveryFigures { label: string; cuts: Cut[]; transfers: number; resentTotal: number; ok: boolean; seconds: number; problems: string[] }

type Emitter = { on(e: string, f: (...a: any[]) => void): void };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs = LIMIT_MS): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!cond()) {
    if (performance.now() > deadline) return false;
    await sleep(2);
  }
  return true;
}

async function peer(server: ProsodyServer, user: string, backoffMs: number, inbox?: string): Promise<Peer> {
  const proxy = await startFaultProxy({ host: "127.0.0.1", port: server.c2sPort });
  const account = await openTestAccount({
    jid: `${user}@${server.host}`, password: `${user}pass`, service: proxy.service,
    reconnect: { backoff: { baseMs: backoffMs, maxMs: 20 * backoffMs } },
  });
  const preferences = { ...DEFAULT_PREFERENCES, autoReceive: true, offlineForward: false, confirmTimeout: 15 };
  const plugin = autoTransferPlugin(account.port, { preferences, network: account.network, downloadDir: inbox, stallTimeout: STALL_S });
  await account.sendPresence();
  const p = { account, plugin, proxy, disconnects: 0 };
  (account.xmpp as unknown as Emitter).on("disconnect", () => p.disconnects++);
  return p;
}

export async function recoveryRun(run: RecoveryRun, o: { cuts: number; src: string; size: number; sha: string; work: string; backoffMs: number; gap: number }): Promise<RecoveryFigures> {
  const t0 = performance.now();
  const problems: string[] = [];
  const inbox = join(o.work, "inbox");
  await mkdir(inbox, { recursive: true });
  const server = await startProsody({ smacks: run.smacks, tls: BENCH_TLS });
  const peers: Peer[] = [];
  try {
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
    const alice = await peer(server, "alice", o.backoffMs);
    const bob = await peer(server, "bob", o.backoffMs, inbox);
    peers.push(alice, bob);
    bob.plugin.events.on("offer", (offer) => void offer.accept(inbox)); // the first offer: the application's
    const cutPeer = run.cut === "sender" ? alice : bob;
    const cuts: Cut[] = [];
    let cur: Cut | undefined;

    // bytes flowing again: a setter on the receiver's counter, called by the engine's write
    const stats = bob.plugin.ft.stats;
    let received = stats.bytesReceived;
    Object.defineProperty(stats, "bytesReceived", {
      enumerable: true,
      get: () => received,
      set: (n: number) => {
        received = n;
        if (cur && cur.tUp !== undefined && cur.flowAt === undefined && n > cur.atUp) cur.flowAt = performance.now();
      },
    });
    // network back: the cut peer's new session or resumed stream (a later one re-arms the cut)
    const up = (kind: "online" | "resumed") => {
      if (!cur) return;
      cur[kind]++;
      cur.tUp = performance.now();
      cur.atUp = received;
      cur.flowAt = undefined;
    };
    const xmpp = cutPeer.account.xmpp as unknown as Emitter;
    xmpp.on("online", () => up("online"));
    xmpp.on("resumed", () => up("resumed"));
    xmpp.on("disconnect", () => cur && cur.disconnects++);
    cutPeer.account.xmpp.streamManagement?.on("timeout", (i: { reason: string }) => {
      if (cur && i.reason === "resume-unacked") cur.abandoned++;
    });

    // re-sent bytes, per sender session start
    const sent = () => alice.plugin.ft.stats.bytesSent;
    let sessStart = -1;
    let sentAtStart = 0;
    const session = (e: TransferEvent) => {
      if (sessStart >= 0) {
        const re = Math.max(0, sessStart + (sent() - sentAtStart) - e.offset);
        if (cur) {
          cur.resent += re;
          cur.sessions++;
        } else if (re) problems.push(`${re} bytes re-sent before any cut`);
      }
      sessStart = e.offset;
      sentAtStart = sent();
    };
    alice.plugin.ft.on("transfer-started", session);
    alice.plugin.ft.on("transfer-resumed", session);
    let stalls = 0;
    for (const p of peers) p.plugin.ft.on("transfer-interrupted", (e: TransferEvent) => void (/stalled/.test(e.reason ?? "") && stalls++));

    // Transfers one after another until N cuts: at >= QUIET_MS between cuts a large file would
    // take a GiB; each transfer must have had a cut, or it would loop for ever.
    let resentTotal = 0;
    let transfers = 0;
    let ok = true;
    let lastFlow = -Infinity;
    while (ok && cuts.length < o.cuts) {
      transfers++;
      const sentBefore = sent();
      const cutsBefore = cuts.length;
      sessStart = -1;
      const r = await alice.plugin.sendFile(`bob@${server.host}`, o.src);
      let final: RetransferResult | undefined;
      void r.done.then((f) => (final = f));
      let base = received;
      const end = received + o.size - 2 * o.gap; // no cut with less than that left: see QUIET_MS
      while (cuts.length < o.cuts && !final) {
        if (!(await until(() => !!final || (received >= base + o.gap && received < end && performance.now() - lastFlow >= QUIET_MS)))) {
          problems.push(`no progress before cut ${cuts.length + 1}`);
          break;
        }
        if (final) break;
        const c: Cut = { tCut: performance.now(), atUp: received, online: 0, resumed: 0, abandoned: 0, disconnects: 0, sessions: 0, resent: 0 };
        cuts.push((cur = c));
        cutPeer.proxy.cutAll();
        if (!(await until(() => !!final || c.flowAt !== undefined))) {
          problems.push(`cut ${cuts.length}: no bytes within ${LIMIT_MS / 1000} s (online ${c.online}, resumed ${c.resumed})`);
          break;
        }
        lastFlow = c.flowAt ?? performance.now();
        base = received;
      }
      await until(() => !!final, 120_000);
      ok = !!final && final.outcome === "completed" && (await sha256(join(inbox, basename(o.src))).catch(() => "")) === o.sha;
      if (!final) problems.push(`transfer ${transfers} did not settle within 120 s after its last cut`);
      else if (final.outcome !== "completed") problems.push(`transfer ${transfers} ${final.outcome}: ${final.reason}`);
      resentTotal += sent() - sentBefore - o.size;
      await removeDir(inbox); // with any second copy a late re-offer may have written
      await mkdir(inbox);
      if (cuts.length === cutsBefore) {
        problems.push(`transfer ${transfers} ended before its first cut: use a larger file`);
        break;
      }
    }
    const ledger = cuts.reduce((s, c) => s + c.resent, 0);
    if (ok && ledger !== resentTotal) problems.push(`per-cut re-sent sum ${ledger} != bytesSent - sizes ${resentTotal}`);
    const other = run.cut === "sender" ? bob : alice;
    if (other.disconnects) problems.push(`the uncut peer disconnected ${other.disconnects} times`);
    const retried = cuts.filter((c) => c.disconnects - c.abandoned > 1);
    if (retried.length) problems.push(`${retried.length} cut(s) needed more than one reconnect attempt (cuts ${retried.map((c) => cuts.indexOf(c) + 1).join(", ")})`);
    const odd = cuts.filter((c) => c.sessions > 1 || c.resent > WINDOW_BYTES);
    if (odd.length) problems.push(`cuts with more than one sender session or window re-sent: ${odd.map((c) => `${cuts.indexOf(c) + 1} (${c.sessions} sessions, ${c.resent} bytes)`).join(", ")}`);
    if (stalls) problems.push(`${stalls} stall interruption(s) (${STALL_S} s each)`);
    return { label: run.label, cuts, transfers, resentTotal, ok, seconds: (performance.now() - t0) / 1000, problems };
  } finally {
    for (const p of peers) {
      await p.account.close();
      await p.proxy.close();
    }
    await server.stop();
    await removeDir(inbox);
  }
}

const quantile = (xs: number[], q: number) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};
const ms = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(1)).padStart(6);

export const RECOVERY_HEADER =
  `${"mode".padEnd(38)} cuts  resumed/new (abandoned)  latency ms med    p90    max  outage ms med    max  re-sent total  per cut mean    max  max/window  sha-256`;

export function recoveryRow(f: RecoveryFigures): string {
  const done = f.cuts.filter((c) => c.flowAt !== undefined);
  const lat = done.map((c) => c.flowAt! - c.tUp!);
  const outage = done.map((c) => c.flowAt! - c.tCut);
  const resumed = f.cuts.filter((c) => c.online === 0 && c.resumed > 0).length;
  const abandoned = f.cuts.reduce((s, c) => s + c.abandoned, 0);
  const max = f.cuts.length ? Math.max(...f.cuts.map((c) => c.resent)) : 0;
  return [
    f.label.padEnd(38),
    String(f.cuts.length).padStart(4),
    `  ${`${resumed}/${f.cuts.length - resumed} (${abandoned})`.padEnd(23)}`,
    `           ${ms(quantile(lat, 0.5))} ${ms(quantile(lat, 0.9))} ${ms(quantile(lat, 1))}`,
    `         ${ms(quantile(outage, 0.5))} ${ms(quantile(outage, 1))}`,
    String(f.resentTotal).padStart(14),
    String(f.cuts.length ? Math.round(f.resentTotal / f.cuts.length) : 0).padStart(13),
    String(max).padStart(7),
    (max / WINDOW_BYTES).toFixed(2).padStart(11),
    ` ${f.ok ? "ok" : "FAILED"}`,
  ].join(" ");
}

export const RECOVERY_RUNS: RecoveryRun[] = [
  { label: "(a) XEP-0198 off (new login), recv cut", smacks: false, cut: "receiver" },
  { label: "(a) XEP-0198 off (new login), send cut", smacks: false, cut: "sender" },
  { label: "(b) XEP-0198 on (resume), recv cut", smacks: true, cut: "receiver" },
  { label: "(b) XEP-0198 on (resume), send cut", smacks: true, cut: "sender" },
];

export function recoveryIntro(o: { cuts: number; size: number; backoffMs: number; gap: number }): string {
  return [
    `# recovery: ${o.cuts} cuts (TCP RST, fault proxy) of one peer per line, over transfers of a ${o.size / MiB} MiB file alice -> bob (one after another) through Prosody 0.12 on loopback, ${new Date().toISOString()}, load average ${loadavg()[0].toFixed(2)}`,
    `# reconnect backoff baseMs ${o.backoffMs} (first retry after ${o.backoffMs / 2}-${o.backoffMs} ms), maxMs ${20 * o.backoffMs}; receiver pull delay 300 ms (default); a cut once ${o.gap / MiB} MiB more arrived, >= ${QUIET_MS} ms after the last recovery, >= ${(2 * o.gap) / MiB} MiB before the end`,
    `# latency = cut peer's "online"/"resumed" -> first growth of the receiver's bytesReceived (setter on the counter: exact, no polling); outage = cut -> that growth`,
    `# resumed/new: how each cut recovered; abandoned: resumed streams that never answered (resumeAckTimeout 3 s) before a new session; window = 16 x 32766 = ${WINDOW_BYTES} bytes`,
  ].join("\n");
}
