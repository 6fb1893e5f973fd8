// Runs the real `xft` CLI as a child process and collects its --json events.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { harnessCaFile } from "../harness/tls-certs.js";

export const XFT_BIN = fileURLToPath(new URL("../../../client-plugin/dist/cli/xft.js", import.meta.url));

export interface CliRun {
  child: ChildProcess;
  events: Array<Record<string, any>>;
  stderr: () => string;
  /** resolves with the exit code */
  exit: Promise<number | null>;
  /** resolves with the first event matching pred */
  waitFor(pred: (e: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>;
  /** resolves once a receiver said it is online (its "receiving as" line on stderr) */
  ready(timeoutMs?: number): Promise<void>;
}

/** Called as things happen (the demo shows them live); tests read `events` and stderr() instead. */
export interface CliWatch {
  event?(e: Record<string, any>): void;
  stderr?(chunk: string): void;
}

export function runXft(args: string[], env: Record<string, string>, watch: CliWatch = {}): CliRun {
  const child = spawn(process.execPath, [XFT_BIN, ...args, "--json"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const events: Array<Record<string, any>> = [];
  const waiters: Array<{ pred: (e: Record<string, any>) => boolean; resolve: (e: Record<string, any>) => void }> = [];
  let buffered = "";
  let err = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line);
      events.push(e);
      watch.event?.(e);
      for (const w of [...waiters]) if (w.pred(e)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
    watch.stderr?.(d);
  });
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return {
    child, events, exit, stderr: () => err,
    ready(timeoutMs = 20_000) {
      const started = Date.now();
      return new Promise<void>((resolve, reject) => {
        const poll = setInterval(() => {
          if (/receiving as /.test(err)) resolve(), clearInterval(poll);
          else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`receiver not ready: ${err}`));
          }
        }, 20);
      });
    },
    waitFor(pred, timeoutMs = 30_000) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event in ${timeoutMs} ms; events: ${JSON.stringify(events.slice(-5))}; stderr: ${err}`)), timeoutMs);
        waiters.push({ pred, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
  };
}

/** An account's `xft` environment. xft trusts the run's CA (XFT_CA) once a TLS server made it
 *  (harness/tls-certs.ts), or `caFile`; trusting it costs nothing against a plaintext server.
 *  A test about a client without the CA takes it out (withoutCa). */
export function accountEnv(jid: string, password: string, service: string, caFile = harnessCaFile()): Record<string, string> {
  return { XFT_JID: jid, XFT_PASSWORD: password, XFT_SERVICE: service, ...(caFile ? { XFT_CA: caFile } : {}) };
}

/** The same environment without XFT_CA: a user who was not given the server's CA. */
export function withoutCa(env: Record<string, string>): Record<string, string> {
  const { XFT_CA: _, ...rest } = env;
  return rest;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `xft` to its end with exactly these arguments (no --json added), as a shell would;
 *  `wrap` runs it through another command (a test host's `ip netns exec NS`). */
export function execXft(args: string[], env: Record<string, string>, timeoutMs = 30_000, wrap: (argv: string[]) => string[] = (a) => a): Promise<CliResult> {
  const [cmd, ...argv] = wrap([process.execPath, XFT_BIN, ...args]);
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`xft ${args.join(" ")} still running after ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", (err) => (clearTimeout(timer), reject(err)));
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

/** Kills the runs a test started that are still going (a failed test leaves no process behind). */
export async function stopRuns(runs: CliRun[]): Promise<void> {
  for (const r of runs.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL"), await r.exit;
}
