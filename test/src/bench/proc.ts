// Watches a child process from outside: peak RSS (VmHWM) and bytes it wrote (wchar), sampled
// from /proc while it runs, so the measured program needs no instrumentation.
import { readdir, readFile } from "node:fs/promises";

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

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat; 0 once it ended. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // fields from the 3rd on
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, in USER_HZ (100 on Linux)
  } catch {
    return 0;
  }
}

/** CPU seconds of a process and all its descendants alive now: ejabberd's pid is ejabberdctl's
 *  shell, the work happens in its child beam.smp. */
export async function treeCpuSeconds(root: number): Promise<number> {
  const parentOf = new Map<number, number>();
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, "utf8").catch(() => "");
    if (stat) parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
  }
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, hops = 0; p !== undefined && p > 1 && hops < 64; p = parentOf.get(p), hops++) if (p === root) return true;
    return false;
  };
  let total = 0;
  for (const pid of parentOf.keys()) if (inTree(pid)) total += await cpuSeconds(pid);
  return total;
}

/** Peak resident memory of a process per phase: the largest VmRSS sampled every everyMs since
 *  the last phase(), which returns it (VmHWM cannot be read per phase: it is the peak since start). */
export function rssPhases(pid: number, everyMs = 20) {
  let peakMiB = 0;
  const timer = setInterval(async () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8"));
      if (m) peakMiB = Math.max(peakMiB, Number(m[1]) / 1024);
    } catch {
      // ended
    }
  }, everyMs);
  return {
    phase(): number {
      const p = peakMiB;
      peakMiB = 0;
      return p;
    },
    /** the kernel's own peak since the process started (VmHWM) */
    async hwmMiB(): Promise<number> {
      const m = /VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, "utf8").catch(() => ""));
      return m ? Number(m[1]) / 1024 : 0;
    },
    stop: () => clearInterval(timer),
  };
}

/** What fn took: its wall time, and the CPU of each process (a tree: with its descendants, for
 *  ejabberd's ejabberdctl shell) and of this process, in fractions of one core over that time. */
export async function withCpu<T>(procs: { pid: number; tree?: boolean }[], fn: () => Promise<T>): Promise<{ value: T; seconds: number; shares: number[]; self: number }> {
  const read = () => Promise.all(procs.map((p) => (p.tree ? treeCpuSeconds(p.pid) : cpuSeconds(p.pid))));
  const before = await read();
  const self0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const seconds = (performance.now() - t0) / 1000;
  const self = process.cpuUsage(self0);
  const after = await read();
  return { value, seconds, shares: after.map((a, i) => (a - before[i]) / seconds), self: (self.user + self.system) / 1e6 / seconds };
}

/** CPU fractions as whole percents of one core joined by "/", e.g. " 95/ 40/ 12" */
export const cpuText = (shares: number[]) => shares.map((f) => `${Math.round(100 * f)}`.padStart(3)).join("/");
