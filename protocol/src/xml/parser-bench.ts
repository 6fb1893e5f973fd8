// Benchmark (not a test): parse-only speed of our StreamParser vs the stock @xmpp/xml parser
// (ltx) on IBB streams with 4..64 KiB base64 text nodes, fed in 64 KiB chunks as a socket with
// Prosody's read_size = 65536 delivers them. Run: node protocol/dist/xml/parser-bench.js
import { Parser as LtxParser } from "@xmpp/xml";
import { ibbStreamChunks, timeParse, type WritableParser } from "./ibb-stream.js";
import { StreamParser } from "./stream-parser.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 64 * KiB;
const RUNS = 3;

// ltx is slow on long text nodes: give it less input there so one run stays around a second.
const ltxTotal = (textSize: number) => (textSize <= 8 * KiB ? 16 * MiB : textSize <= 16 * KiB ? 8 * MiB : 2 * MiB);

function mibPerSecond(makeParser: () => WritableParser, textSize: number, total: number): number {
  const chunks = ibbStreamChunks(textSize, total, CHUNK);
  const length = chunks.reduce((sum, c) => sum + c.length, 0);
  const speeds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const { ms } = timeParse(makeParser, chunks);
    speeds.push(length / MiB / (ms / 1000));
  }
  return speeds.sort((a, b) => a - b)[Math.floor(RUNS / 2)];
}

const ours = () => new StreamParser();
const ltx = () => new LtxParser();

// warm up both (JIT) before measuring
mibPerSecond(ours, 4 * KiB, 4 * MiB);
mibPerSecond(ltx, 4 * KiB, 4 * MiB);

console.log(`parse-only MiB/s, ${CHUNK / KiB} KiB chunks, median of ${RUNS} (node ${process.version})`);
console.log("text node | StreamParser | @xmpp/xml (ltx) | ratio");
for (const size of [4, 8, 16, 32, 64].map((k) => k * KiB)) {
  const a = mibPerSecond(ours, size, 32 * MiB);
  const b = mibPerSecond(ltx, size, ltxTotal(size));
  console.log(`${String(size / KiB).padStart(6)} KiB | ${a.toFixed(0).padStart(12)} | ${b.toFixed(1).padStart(15)} | ${(a / b).toFixed(1)}x`);
}
