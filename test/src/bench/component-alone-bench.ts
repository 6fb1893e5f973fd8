// The component's own capacity for concurrent uploads (issue 4's 50 MiB/s target): the same 100
// concurrent 1 MiB uploads as component-bench.ts part 3, into the real `xft-component` process,
// but through relay.ts instead of Prosody or ejabberd, which otherwise take 80-95 % of one of
// this machine's two cores. The senders' engines are in this process, as there. A figure, never
// an assertion; the end-to-end ones through the real servers stay the reference.
import { loadavg } from "node:os";
import { join } from "node:path";
import { describeLocalFile, fileTransfer, makeRecipient, type LocalFile } from "@xft/protocol";
import { runComponentBin, type ComponentRun } from "../helpers/component.js";
import { randomFile, removeDir } from "../helpers/files.js";
import { TARGET_CONCURRENT_MIBPS, TARGET_RSS_MIB } from "./component-bench.js";
import { cpuText, rssPhases, withCpu } from "./proc.js";
import { startRelay } from "./relay.js";

const MiB = 1024 * 1024;
const DOMAIN = "bench.test";

export async function componentAloneBench(o: { work: string; uploads: number; senders: number; smallSize: number; runs: number }): Promise<void> {
  const relay = await startRelay(`files.${DOMAIN}`);
  let component: ComponentRun | undefined;
  const paths: string[] = [];
  try {
    component = runComponentBin([], {
      XFT_COMPONENT_JID: `files.${DOMAIN}`, XFT_COMPONENT_SECRET: relay.secret, XFT_COMPONENT_SERVICE: relay.service, XFT_DB: join(o.work, "alone.sqlite"),
      NODE_OPTIONS: process.env.XFT_BENCH_COMPONENT_NODE_OPTIONS ?? "",
    });
    await component.waitForLog(/online as /);
    const pid = component.child.pid!;
    const rss = rssPhases(pid);
    const fts = Array.from({ length: o.senders }, (_, i) => fileTransfer(relay.port(`sender${i}@${DOMAIN}/bench`)));
    const files: { from: number; local: LocalFile; path: string }[] = [];
    for (let i = 0; i < o.uploads; i++) {
      const path = join(o.work, `alone-${i}.bin`);
      paths.push(path);
      await randomFile(path, o.smallSize);
      files.push({ from: i % o.senders, local: await describeLocalFile(path), path });
    }
    console.log(`# component alone: ${o.uploads} x ${o.smallSize / MiB} MiB concurrent uploads from ${o.senders} senders into the xft-component process through relay.ts (no XMPP server), ${o.runs} runs, ${new Date().toISOString()}, load average ${loadavg()[0].toFixed(2)}`);
    console.log(`${"run".padEnd(6)} ${"MiB/s".padStart(7)}  ${"latency".padEnd(26)} ${"peak RSS".padStart(8)}  ${"CPU c/b".padEnd(8)}  target`);
    const rates: number[] = [];
    for (let run = 1; run <= o.runs; run++) {
      // each run a new recipient: the store has no file of that sender for them yet, so every upload starts at 0
      const recipient = `carol${run}@${DOMAIN}`;
      rss.phase();
      const m = await withCpu([{ pid }], async () => {
        const t0 = performance.now();
        return Promise.all(files.map(async (f) => {
          const t = await fts[f.from].send(`files.${DOMAIN}`, f.path, { local: f.local, extensions: [makeRecipient(recipient)] });
          const done = await t.done;
          return { ok: done.type === "completed", ms: performance.now() - t0 };
        }));
      });
      const ms = m.value.map((r) => r.ms).sort((a, b) => a - b);
      const pct = (p: number) => ms[Math.min(ms.length - 1, Math.ceil((p / 100) * ms.length) - 1)].toFixed(0);
      const rate = (o.uploads * o.smallSize) / MiB / (ms[ms.length - 1] / 1000);
      rates.push(rate);
      const ok = m.value.every((r) => r.ok);
      console.log(`${String(run).padEnd(6)} ${rate.toFixed(1).padStart(7)}  ${`p50 ${pct(50)} ms, p95 ${pct(95)} ms`.padEnd(26)} ${`${rss.phase().toFixed(0)} MiB`.padStart(8)}  ${cpuText([...m.shares, m.self]).padEnd(8)}  >= ${TARGET_CONCURRENT_MIBPS} MiB/s, RSS <= ${TARGET_RSS_MIB} MiB${ok ? "" : "  FAILED"}`);
    }
    const sorted = [...rates].sort((a, b) => a - b);
    console.log(`median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} MiB/s; VmHWM over all runs ${(await rss.hwmMiB()).toFixed(0)} MiB`);
    rss.stop();
  } finally {
    await component?.stop();
    await relay.close();
    for (const p of paths) await removeDir(p);
  }
}
