// `npm run bench`: figures printed side by side from one run on this machine. Not a test.
// `npm run bench -- engine|recovery|component|component-alone|http` runs some parts; default: all.
// The component and http parts run once per server in XFT_BENCH_SERVERS (default
// "prosody,ejabberd"); component also runs component-alone (the store without a server,
// XFT_BENCH_ALONE_RUNS times, default 5).
import { join } from "node:path";
import { startProsody } from "../harness/prosody.js";
import { parseServerKinds } from "../harness/servers.js";
import { randomFile, removeDir, tempDir } from "../helpers/files.js";
import { componentAloneBench } from "./component-alone-bench.js";
import { componentBench } from "./component-bench.js";
import { HTTP_BENCH_NOTES, httpBench } from "./http-bench.js";
import { rawTcpMiBps } from "./raw-tcp.js";
import { RECOVERY_HEADER, RECOVERY_RUNS, recoveryIntro, recoveryRow, recoveryRun } from "./recovery-bench.js";
import { timedTransfer, type TransferFigures } from "./transfer-bench.js";
import { BENCH_TLS } from "./tls.js";

const MiB = 1024 * 1024;
const size = Number(process.env.XFT_BENCH_MIB ?? 64) * MiB;
const bigSize = Number(process.env.XFT_BENCH_BIG_MIB ?? 1024) * MiB;
const recoverySize = Number(process.env.XFT_BENCH_RECOVERY_MIB ?? 32) * MiB;
const cuts = Number(process.env.XFT_BENCH_CUTS ?? 20);
const backoffMs = Number(process.env.XFT_BENCH_BACKOFF_MS ?? 10);
const componentSize = Number(process.env.XFT_BENCH_COMPONENT_MIB ?? 256) * MiB;
const uploads = Number(process.env.XFT_BENCH_UPLOADS ?? 100);
const senders = Number(process.env.XFT_BENCH_SENDERS ?? 10);
const aloneRuns = Number(process.env.XFT_BENCH_ALONE_RUNS ?? 5);
const httpSize = Number(process.env.XFT_BENCH_HTTP_MIB ?? 64) * MiB;
const PARTS = ["engine", "recovery", "component", "component-alone", "http"];
// the servers of the parts that run on both (default both; XFT_BENCH_SERVERS=prosody for one)
const servers = parseServerKinds(process.env.XFT_BENCH_SERVERS);

function row(f: TransferFigures) {
  return `${f.label.padEnd(34)} ${f.mibPerSec.toFixed(1).padStart(7)} MiB/s  wire/file ${f.wireOverFile.toFixed(3)}  peak RSS sender ${f.senderPeakRssMiB.toFixed(0)} MiB, receiver ${f.receiverPeakRssMiB.toFixed(0)} MiB${f.ok ? "" : "  FAILED"}`;
}

async function engine(work: string) {
  const server = await startProsody({ tls: BENCH_TLS });
  try {
    await server.register("alice", "alicepass");
    await server.register("bob", "bobpass");
    const src = join(work, "bench.bin");
    const sha = await randomFile(src, size);
    console.log(`# engine: ${size / MiB} MiB alice -> bob through Prosody 0.12 on loopback, ${new Date().toISOString()}`);
    const raw = await rawTcpMiBps(src, size);
    console.log(`${"raw TCP on loopback (ceiling)".padEnd(34)} ${raw.toFixed(1).padStart(7)} MiB/s`);
    const typical = await timedTransfer(server, "(a) typical: 4096-byte blocks, 1 ack", src, size, sha, join(work, "a"), ["--block-size", "4096", "--window", "1"]);
    console.log(row(typical));
    const ours = await timedTransfer(server, "(b) ours: 32766-byte blocks, window 16", src, size, sha, join(work, "b"), []);
    console.log(row(ours));
    console.log(`ratio b/a: ${(ours.mibPerSec / typical.mibPerSec).toFixed(1)}x   (b) vs raw TCP: ${((ours.mibPerSec / raw) * 100).toFixed(1)}%`);
    await removeDir(join(work, "a"));
    await removeDir(join(work, "b"));
    if (bigSize > 0) {
      const big = join(work, "big.bin");
      const bigSha = await randomFile(big, bigSize);
      const f = await timedTransfer(server, `(b) ours, ${bigSize / MiB} MiB file`, big, bigSize, bigSha, join(work, "big"), []);
      console.log(row(f));
      await removeDir(join(work, "big"));
      await removeDir(big);
    }
  } finally {
    await server.stop();
  }
}

async function recovery(work: string) {
  const src = join(work, "recovery.bin");
  const sha = await randomFile(src, recoverySize);
  const gap = 2 * MiB;
  console.log(recoveryIntro({ cuts, size: recoverySize, backoffMs, gap }));
  console.log(RECOVERY_HEADER);
  const notes: string[] = [];
  for (const run of RECOVERY_RUNS) {
    const f = await recoveryRun(run, { cuts, src, size: recoverySize, sha, work, backoffMs, gap });
    console.log(recoveryRow(f));
    notes.push(`  ${run.label}: ${f.transfers} transfers, ${f.seconds.toFixed(1)} s`, ...f.problems.map((p) => `    ${p}`));
  }
  console.log(`targets: latency median <= 250 ms with a new login, <= 50 ms resumed; re-sent <= one window per cut (0 resumed)\n${notes.join("\n")}`);
  await removeDir(src);
}

async function main() {
  const chosen = process.argv.slice(2);
  for (const p of chosen) if (!PARTS.includes(p)) throw new Error(`unknown bench part ${p}: choose from ${PARTS.join(", ")}`);
  const parts = chosen.length ? chosen : PARTS;
  const work = await tempDir("xft-bench-");
  try {
    if (parts.includes("engine")) await engine(work);
    if (parts.includes("recovery")) await recovery(work);
    if (parts.includes("component")) {
      for (const kind of servers) await componentBench({ kind, work, bigSize: componentSize, uploads, senders, smallSize: MiB });
    }
    if (parts.includes("component") || parts.includes("component-alone")) await componentAloneBench({ work, uploads, senders, smallSize: MiB, runs: aloneRuns });
    if (parts.includes("http")) {
      for (const kind of servers) await httpBench({ kind, work, size: httpSize });
      console.log(HTTP_BENCH_NOTES);
    }
  } finally {
    await removeDir(work);
  }
}

// exit when done: iq requests lost in a cut keep xmpp.js's 60 s request timers alive after the
// accounts are closed, which would hold the process a minute for nothing
main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
