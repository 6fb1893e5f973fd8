// The component's own capacity for concurrent uploads (issue 4's 50 MiB/s target): the same 100
// concurrent 1 MiB uploads as component-bench.ts part 3, into the real `xft-component` process,
// but through relay.ts instead of Prosody or ejabberd, which otherwise take 80-95 % of one of
// this machine's two cores. The senders' engines are in this process, as there. A figure, never
// an assertion; the end-to-end ones through the real servers stay the reference.
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileTransfer } from "@xft/protocol";
import type { ComponentRun } from "../helpers/component.js";
import { removeDir } from "../helpers/files.js";
import { TARGET_CONCURRENT_MIBPS, TARGET_RSS_MIB } from "./component-bench.js";
import { cpuText, rssPhases, withCpu } from "./proc.js";
import { latencyText, smallFiles, startStore, uploadRound, type SmallFile } from "./offline-path.js";
import { startRelay } from "./relay.js";

const MiB = 1024 * 1024;
const DOMAIN = "bench.test";

export async function componentAloneBench(o: { work: string; uploads: number; senders: number; smallSize: number; runs: number }): Promise<void> {
  const relay = await startRelay(`files.${DOMAIN}`);
  let component: ComponentRun | undefined;
  let files: SmallFile[] = [];
  try {
    // the relay plays the server the store is a component of
    const started = await startStore({ host: DOMAIN, components: { [`files.${DOMAIN}`]: relay.secret }, componentService: relay.service }, join(o.work, "alone.sqlite"));
    component = started.component;
    const pid = component.child.pid!;
    const rss = rssPhases(pid);
    const fts = Array.from({ length: o.senders }, (_, i) => fileTransfer(relay.port(`sender${i}@${DOMAIN}/bench`)));
    files = await smallFiles(o.work, "alone", o.uploads, o.smallSize, o.senders);
    console.log(`# component alone: ${o.uploads} x ${o.smallSize / MiB} MiB concurrent uploads from ${o.senders} senders into the xft-component process through relay.ts (no XMPP server), ${o.runs} runs, ${new Date().toISOString()}, load average ${loadavg()[0].toFixed(2)}`);
    console.log(`${"run".padEnd(6)} ${"MiB/s".padStart(7)}  ${"latency".padEnd(26)} ${"peak RSS".padStart(8)}  ${"CPU c/b".padEnd(8)}  target`);
    const rates: number[] = [];
    for (let run = 1; run <= o.runs; run++) {
      rss.phase();
      // each run a new recipient: the store has no file of that sender for them yet, so every upload starts at 0
      const m = await withCpu([{ pid }], () => uploadRound(fts, started.store, files, `carol${run}@${DOMAIN}`));
      rates.push(m.value.mibPerSec);
      console.log(`${String(run).padEnd(6)} ${m.value.mibPerSec.toFixed(1).padStart(7)}  ${latencyText(m.value.ms).padEnd(26)} ${`${rss.phase().toFixed(0)} MiB`.padStart(8)}  ${cpuText([...m.shares, m.self]).padEnd(8)}  >= ${TARGET_CONCURRENT_MIBPS} MiB/s, RSS <= ${TARGET_RSS_MIB} MiB${m.value.ok ? "" : "  FAILED"}`);
    }
    const sorted = [...rates].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    console.log(`median ${median.toFixed(1)} MiB/s; VmHWM over all runs ${(await rss.hwmMiB()).toFixed(0)} MiB`);
    rss.stop();
  } finally {
    await component?.stop();
    await relay.close();
    for (const f of files) await removeDir(f.path);
  }
}
