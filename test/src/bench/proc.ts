// Watches a child process from outside: peak RSS (VmHWM) and bytes it wrote (wchar), sampled
// from /proc while it runs, so the measured program needs no instrumentation.
import { readFile } from "node:fs/promises";

export interface ProcStats {
  peakRssMiB: number;
  wcharBytes: number;
}

export function watchProcess(pid: number, everyMs = 50) {
  const stats: ProcStats = { peakRssMiB: 0, wcharBytes: 0 };
  const timer = setInterval(async () => {
    try {
      const status = await readFile(`/proc/${pid}/status`, "utf8");
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) stats.peakRssMiB = Math.max(stats.peakRssMiB, Number(hwm[1]) / 1024);
      const io = await readFile(`/proc/${pid}/io`, "utf8");
      const w = /wchar: (\d+)/.exec(io);
      if (w) stats.wcharBytes = Math.max(stats.wcharBytes, Number(w[1]));
    } catch {
      // the process ended between two samples
    }
  }, everyMs);
  return { stats, stop: () => clearInterval(timer) };
}
