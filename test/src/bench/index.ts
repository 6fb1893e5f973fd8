// `npm run bench`: figures printed side by side from one run on this machine. Not a test.
import { join } from "node:path";
import { startProsody } from "../harness/prosody.js";
import { randomFile, removeDir, tempDir } from "../helpers/files.js";
import { rawTcpMiBps } from "./raw-tcp.js";
import { timedTransfer, type TransferFigures } from "./transfer-bench.js";

const MiB = 1024 * 1024;
const size = Number(process.env.XFT_BENCH_MIB ?? 64) * MiB;
const bigSize = Number(process.env.XFT_BENCH_BIG_MIB ?? 1024) * MiB;

function row(f: TransferFigures) {
  return `${f.label.padEnd(34)} ${f.mibPerSec.toFixed(1).padStart(7)} MiB/s  wire/file ${f.wireOverFile.toFixed(3)}  peak RSS sender ${f.senderPeakRssMiB.toFixed(0)} MiB, receiver ${f.receiverPeakRssMiB.toFixed(0)} MiB${f.ok ? "" : "  FAILED"}`;
}

async function main() {
  const work = await tempDir("xft-bench-");
  const server = await startProsody();
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
    if (bigSize > 0) {
      const big = join(work, "big.bin");
      const bigSha = await randomFile(big, bigSize);
      const f = await timedTransfer(server, `(b) ours, ${bigSize / MiB} MiB file`, big, bigSize, bigSha, join(work, "big"), []);
      console.log(row(f));
    }
  } finally {
    await server.stop();
    await removeDir(work);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
