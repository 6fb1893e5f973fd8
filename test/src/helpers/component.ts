// Runs the real `xft-component` launcher as a child process, as an operator would, and watches
// its stderr log lines; or in this process (runComponentHere).
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfig } from "@xft/component/config/options.js";
import { runComponent, type RunningComponent } from "@xft/component/main.js";

/** The environment that runs the component of a test server (files.HOST) on the database `db`. */
export function componentEnv(server: { host: string; components: Record<string, string>; componentService: string }, db: string): Record<string, string> {
  const jid = `files.${server.host}`;
  return { XFT_COMPONENT_JID: jid, XFT_COMPONENT_SECRET: server.components[jid], XFT_COMPONENT_SERVICE: server.componentService, XFT_DB: db };
}

export const COMPONENT_BIN = fileURLToPath(new URL("../../../component/bin/xft-component.js", import.meta.url));

export interface ComponentRun {
  child: ChildProcess;
  stderr: () => string;
  stdout: () => string;
  exit: Promise<number | null>;
  /** resolves once stderr holds `count` lines matching re */
  waitForLog(re: RegExp, count?: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM, then the exit code */
  stop(): Promise<number | null>;
}

/** onStderr: called with each chunk of its log as it comes (the demo shows it live) */
export function runComponentBin(args: string[], env: Record<string, string>, onStderr?: (chunk: string) => void): ComponentRun {
  // executed as the operator's `npx xft-component` does: its shebang carries the V8 flags
  const child = spawn(COMPONENT_BIN, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  let out = "";
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    err += d;
    onStderr?.(d);
  });
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const matches = (re: RegExp) => err.split("\n").filter((l) => re.test(l)).length;
  return {
    child, exit, stderr: () => err, stdout: () => out,
    waitForLog(re, count = 1, timeoutMs = 20_000) {
      const started = Date.now();
      return new Promise((resolve, reject) => {
        const poll = setInterval(() => {
          if (matches(re) >= count) resolve(), clearInterval(poll);
          else if (Date.now() - started > timeoutMs || child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`no ${count} line(s) matching ${re} (exit ${child.exitCode}); stderr:\n${err}`));
          }
        }, 20);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exit;
    },
  };
}

/** Runs it to its end (for --help and bad options). */
export async function execComponentBin(args: string[], env: Record<string, string>, timeoutMs = 15_000) {
  const run = runComponentBin(args, env);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), timeoutMs);
  const code = await run.exit;
  clearTimeout(timer);
  // 'exit' can come before the last pipe data: wait for the streams to end
  await new Promise((resolve) => (run.child.stderr!.readableEnded ? resolve(undefined) : run.child.stderr!.once("end", resolve)));
  await new Promise((resolve) => (run.child.stdout!.readableEnded ? resolve(undefined) : run.child.stdout!.once("end", resolve)));
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}

/** The same component in this process (runComponent, as the bin wires it), for tests that look
 *  at its store and engine directly; options as the bin's flags. Resolves once it is online. */
export async function runComponentHere(args: string[]): Promise<{ running: RunningComponent; log: string[] }> {
  const loaded = loadConfig(args, {}, () => "");
  if (loaded.kind !== "config") throw new Error(`bad component options: ${JSON.stringify(loaded)}`);
  const log: string[] = [];
  const running = runComponent(loaded.config, (line) => log.push(line));
  await new Promise<void>((resolve) => running.xmpp.once("online", () => resolve()));
  return { running, log };
}
