// Offline store figures (issue 4): the real `xft-component` process behind a real Prosody or ejabberd on
// loopback. (1) one big upload into the store, (2) its delivery to bob when he logs in, (3) many
// concurrent 1 MiB uploads from several sender accounts; beside them the engine's plain
// client-to-client transfer of the same big file in the same run. The senders and bob are in
// this process (offline-path.ts). Figures, never assertions.
import { loadavg } from "node:os";
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { describeLocalFile, fileTransfer } from "@xft/protocol";
import { serverName, startServer, type ServerKind } from "../harness/servers.js";
import type { ComponentRun } from "../helpers/component.js";
import { randomFile, removeDir, sha256 } from "../helpers/files.js";
import { latencyText, login, prepareDelivery, smallFiles, startStore, uploadRound, uploadToStore } from "./offline-path.js";
import { cpuText, rssPhases, withCpu as measure } from "./proc.js";
import { timedTransfer } from "./transfer-bench.js";
import { BENCH_TLS } from "./tls.js";

const MiB = 1024 * 1024;
export const TARGET_RSS_MIB = 100;
export const TARGET_CONCURRENT_MIBPS = 50;

export interface ComponentBenchOptions { kind: ServerKind; work: string; bigSize: number; uploads: number; senders: number; smallSize: number }

interface Row { label: string; mibPerSec: number; latency?: string; rssMiB?: number; cpu: string; target: string; ok: boolean }

/** CPU use of the component, the server and this process (the senders, bob) during fn, in % of one core. */
async function withCpu<T>(pids: { component: number; server: number }, fn: () => Promise<T>): Promise<{ value: T; cpu: string; seconds: number; share: { component: number; server: number } }> {
  const m = await measure([{ pid: pids.component }, { pid: pids.server, tree: true }], fn);
  return { value: m.value, cpu: cpuText([...m.shares, m.self]), seconds: m.seconds, share: { component: m.shares[0], server: m.shares[1] } };
}

export async function componentBench(o: ComponentBenchOptions): Promise<void> {
  const server = await startServer(o.kind, { tls: BENCH_TLS });
  const name = serverName(o.kind);
  const senders = Array.from({ length: o.senders }, (_, i) => `sender${i}`);
  const accounts: Account[] = [];
  let component: ComponentRun | undefined;
  try {
    for (const u of ["alice", "bob", "carol", ...senders]) await server.register(u, `${u}pass`);
    const big = join(o.work, "big.bin");
    const bigSha = await randomFile(big, o.bigSize);
    const bigMiB = o.bigSize / MiB;
    const rows: Row[] = [];

    // 0. the engine alone, client to client (two `xft` processes), same file, same server
    const c2c = await timedTransfer(server, "", big, o.bigSize, bigSha, join(o.work, "c2c"), []);
    rows.push({ label: `plain c2c ${bigMiB} MiB alice -> bob (xft)`, mibPerSec: c2c.mibPerSec, cpu: "", target: "", ok: c2c.ok });
    await removeDir(join(o.work, "c2c"));

    const started = await startStore(server, join(o.work, "store.sqlite"));
    component = started.component;
    const store = started.store;
    const pids = { component: component.child.pid!, server: server.pid! };
    const rss = rssPhases(pids.component);
    await new Promise((r) => setTimeout(r, 500));
    const idleRss = rss.phase();

    // 1. one big upload: alice's engine offers the file to the store for bob (offline)
    const alice = await login(server, "alice");
    accounts.push(alice);
    const aliceFt = fileTransfer(alice.port);
    const bigLocal = await describeLocalFile(big); // hashing is the sender's, before the clock
    const up = await withCpu(pids, () => uploadToStore(aliceFt, store, big, bigLocal, `bob@${server.host}`));
    await component.waitForLog(/stored \S+: \d+ bytes from alice@/);
    rows.push({ label: `upload ${bigMiB} MiB -> store`, mibPerSec: bigMiB / up.seconds, rssMiB: rss.phase(), cpu: up.cpu, target: `RSS <= ${TARGET_RSS_MIB} MiB`, ok: up.value });

    // 2. its delivery: bob logs in with the plugin; the store offers the file at his presence
    const inbox = join(o.work, "bob");
    const bob = await prepareDelivery(server, "bob", store, inbox);
    accounts.push(bob.account);
    const down = await withCpu(pids, () => bob.deliver());
    const delivered = (await sha256(down.value.path)) === bigSha;
    rows.push({
      label: `delivery ${bigMiB} MiB store -> bob`, mibPerSec: bigMiB / down.value.streamingSeconds, latency: `login->offer ${down.value.toOfferMs.toFixed(0)} ms`,
      rssMiB: rss.phase(), cpu: down.cpu, target: `RSS <= ${TARGET_RSS_MIB} MiB`, ok: delivered,
    });
    await removeDir(inbox);
    await removeDir(big);

    // 3. concurrent small uploads: o.uploads files, spread evenly over the sender accounts, all
    //    offered at once, for carol (offline: nothing is delivered meanwhile)
    const small = await smallFiles(o.work, "small", o.uploads, o.smallSize, senders.length);
    const fts: ReturnType<typeof fileTransfer>[] = [];
    for (const u of senders) {
      const a = await login(server, u);
      accounts.push(a);
      fts.push(fileTransfer(a.port));
    }
    const many = await withCpu(pids, () => uploadRound(fts, store, small, `carol@${server.host}`));
    rows.push({
      label: `${o.uploads} x ${o.smallSize / MiB} MiB concurrent uploads (${senders.length} senders)`, mibPerSec: many.value.mibPerSec,
      latency: latencyText(many.value.ms), rssMiB: rss.phase(), cpu: many.cpu,
      target: `>= ${TARGET_CONCURRENT_MIBPS} MiB/s`, ok: many.value.ok,
    });
    for (const s of small) await removeDir(s.path);

    const hwm = await rss.hwmMiB();
    rss.stop();
    console.log(`# component: the xft-component process behind ${name} on loopback, senders and bob in the bench process, ${new Date().toISOString()}, load average ${loadavg()[0].toFixed(2)}`);
    console.log(`# peak RSS: the component's largest VmRSS sampled every 20 ms in that part (idle ${idleRss.toFixed(0)} MiB; VmHWM over the whole run ${hwm.toFixed(0)} MiB); CPU: % of one core, component/${name}/bench process`);
    console.log(`${"part".padEnd(46)} ${"MiB/s".padStart(7)}  ${"latency".padEnd(26)} ${"peak RSS".padStart(8)}  ${"CPU c/s/b".padEnd(11)}  target`);
    for (const r of rows) {
      const rssText = r.rssMiB === undefined ? "" : `${r.rssMiB.toFixed(0)} MiB`;
      console.log(`${r.label.padEnd(46)} ${r.mibPerSec.toFixed(1).padStart(7)}  ${(r.latency ?? "").padEnd(26)} ${rssText.padStart(8)}  ${r.cpu.padEnd(11)}  ${r.target}${r.ok ? "" : "  FAILED"}`);
    }
    const c = rows[0].mibPerSec;
    const ceiling = (share: number) => (rows[3].mibPerSec / share).toFixed(0);
    console.log(`${o.uploads} concurrent uploads if CPU-bound, at one whole core each: component ${ceiling(many.share.component)} MiB/s, ${name} ${ceiling(many.share.server)} MiB/s`);
    console.log(`ratios to plain c2c: upload ${(rows[1].mibPerSec / c).toFixed(2)}, delivery ${(rows[2].mibPerSec / c).toFixed(2)}, ${o.uploads} concurrent uploads ${(rows[3].mibPerSec / c).toFixed(2)}`);
  } finally {
    for (const a of accounts) await a.close();
    await component?.stop();
    await server.stop();
  }
}
