// Process-group and clean-up helpers shared by the ejabberd and federation harnesses: whatever a
// test run starts or changes must be undone on stop(), on process exit and on SIGINT/SIGTERM.
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";

// Referenced timers: a wait here is bounded, and after ejabberdctl's shell exits nothing else may
// keep node alive while beam.smp is still shutting down.
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err; // already gone
  }
}

/** True while a live (not zombie) process of the group exists. Zombies must not count: beam.smp
 *  outlives ejabberdctl's shell, so it is reparented to PID 1, and a container's PID 1 may reap
 *  it late or never. Read from /proc (field 3 of stat is the state, field 5 the group).
 *  A multithreaded process (beam.smp) whose main thread has exited shows "Z" while its other
 *  threads are still tearing down and still hold its descriptors (listening sockets included):
 *  it is alive until every thread in /proc/PID/task is a zombie or gone. */
export function groupAlive(pgid: number): boolean {
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const stat = statFields(`/proc/${name}/stat`);
    if (!stat || Number(stat.pgrp) !== pgid) continue; // exited meanwhile, or another group
    if (stat.state !== "Z" || threadsAlive(name)) return true;
  }
  return false;
}

function statFields(file: string): { state: string; pgrp: string } | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
  const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // comm may hold spaces
  return { state, pgrp };
}

function threadsAlive(pid: string): boolean {
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tids.some((tid) => {
    const state = statFields(`/proc/${pid}/task/${tid}/stat`)?.state;
    return state !== undefined && state !== "Z";
  });
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** SIGTERM the group, SIGKILL what is left after graceMs, return once the group is empty. */
export async function stopGroup(pgid: number, graceMs = 5000): Promise<void> {
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(20);
  if (!groupAlive(pgid)) return;
  signalGroup(pgid, "SIGKILL");
  while (groupAlive(pgid)) await sleep(20);
}

/** The temp dirs named PREFIX... whose owner.pid names a process that is gone: what a run killed
 *  with SIGKILL (which runs no hooks) left behind. A dir without owner.pid is left alone. */
export async function orphanedDirs(prefix: string): Promise<string[]> {
  const tmp = os.tmpdir();
  const found: string[] = [];
  for (const name of (await fsp.readdir(tmp).catch(() => [] as string[])).filter((n) => n.startsWith(prefix))) {
    const dir = path.join(tmp, name);
    const owner = Number(await fsp.readFile(path.join(dir, "owner.pid"), "utf8").catch(() => "NaN"));
    if (Number.isInteger(owner) && owner !== process.pid && !pidAlive(owner)) found.push(dir);
  }
  return found;
}

/** Pids whose command line contains `needle` (e.g. a temp dir), found through /proc. */
export async function pidsMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await fsp.readdir("/proc").catch(() => [] as string[])) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await fsp.readFile(`/proc/${name}/cmdline`, "utf8").catch(() => "");
    if (cmdline.includes(needle)) found.push(Number(name));
  }
  return found;
}

const cleanups = new Set<() => void>();
let hooksInstalled = false;

/** Registers a synchronous last-resort clean-up; returns its remover. mocha's --exit calls
 *  process.exit(), which skips after() hooks of a failed run but not the 'exit' event. */
export function onExit(cleanup: () => void): () => void {
  if (!hooksInstalled) {
    hooksInstalled = true;
    const runAll = () => {
      for (const c of [...cleanups]) {
        try {
          c();
        } catch {
          // the others must still run
        }
      }
      cleanups.clear();
    };
    process.on("exit", runAll);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.once(sig, () => {
        runAll();
        process.kill(process.pid, sig); // our listener is gone now: the default action (or mocha's)
      });
    }
  }
  cleanups.add(cleanup);
  return () => void cleanups.delete(cleanup);
}
