// A headless Libervia 0.9 (Debian `libervia-backend` + `libervia-cli`) as a real, independent
// Jingle file-transfer peer: its backend in its own D-Bus session (dbus-run-session), its own
// HOME / XDG dirs, one profile logged in to a test server, driven by `libervia-cli` commands.
// What it takes to run here (measured, see ../shared/INTEROP.md):
// - PATH starts with /usr/bin: the backend's launcher is `#!/usr/bin/env python3`, and another
//   python3 first on PATH (pyenv) has no Twisted.
// - `miniupnpc` hidden (a module on PYTHONPATH that raises ImportError): without a LAN its
//   discover() raises Exception("Success"), which the NAT-PORT plugin does not catch, and every
//   SOCKS5 candidate gathering, hence every `li file send`, fails with "Success".
// - the General `allow_get_ip` parameter false: with no UPnP and a loopback server it would ask
//   the (absent) user whether it may fetch its IP from salut-a-toi.org, and wait for ever.
// - `hosts_dict` in libervia.conf points the domain at the server's loopback port.
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { XmppServer } from "../harness/servers.js";
import { groupAlive, onExit, signalGroup } from "../harness/lifecycle.js";
import { tempDir, removeDir } from "./files.js";
import { until } from "./wait.js";

const run = promisify(execFile);
export const LIBERVIA_BACKEND = "/usr/bin/libervia-backend";
export const LIBERVIA_CLI = "/usr/bin/libervia-cli";

/** Why the Libervia suite cannot run here, or undefined when it can. */
export function liberviaMissing(): string | undefined {
  for (const bin of [LIBERVIA_BACKEND, LIBERVIA_CLI, "/usr/bin/dbus-run-session"]) {
    if (!existsSync(bin)) return `${bin} is not installed (apt-get install libervia-backend libervia-cli dbus)`;
  }
  return undefined;
}

export interface Libervia {
  jid: string; // bare
  /** runs `libervia-cli ARGS -p PROFILE` to its end (bounded) */
  cli(args: string[], timeoutMs?: number): Promise<CliOutcome>;
  /** starts `libervia-cli ARGS -p PROFILE`, for commands that wait (file receive) */
  spawnCli(args: string[]): LiberviaRun;
  /** every stanza in and out since the backend connected (its XML log, via `debug monitor`) */
  stanzas(): string;
  stop(): Promise<void>;
}

export interface CliOutcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface LiberviaRun {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

const DIRS = ["HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"] as const;

/** The backend's environment: its own dirs under base, the miniupnpc shim, the run's CA. */
async function prepare(base: string, server: XmppServer): Promise<Record<string, string>> {
  // PYTHONUNBUFFERED: a waiting `li file receive` says so at once, not when its pipe buffer fills
  const env: Record<string, string> = { PATH: "/usr/bin:/bin:/usr/sbin:/sbin", LANG: "C.UTF-8", PYTHONPATH: join(base, "shim"), PYTHONUNBUFFERED: "1" };
  for (const name of [...DIRS, "shim"]) {
    const dir = join(base, name.toLowerCase());
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (name !== "shim") env[name] = dir;
  }
  await writeFile(join(base, "shim", "miniupnpc.py"), 'raise ImportError("hidden by the xft tests: no UPnP on loopback")\n');
  if (server.caFile) env.SSL_CERT_FILE = server.caFile; // OpenSSL's default verify paths, which Twisted's platformTrust uses
  await mkdir(join(env.XDG_CONFIG_HOME, "libervia"));
  await writeFile(join(env.XDG_CONFIG_HOME, "libervia", "libervia.conf"),
    `[DEFAULT]\nhosts_dict = ${JSON.stringify({ [server.host]: { host: server.ip, port: server.c2sPort } })}\n`);
  return env;
}

function spawnIn(env: Record<string, string>, args: string[]): LiberviaRun {
  const child = spawn(LIBERVIA_CLI, args, { env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  for (const s of [child.stdout!, child.stderr!]) s.setEncoding("utf8").on("data", (d: string) => (out += d));
  return { child, output: () => out, exit: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
}

async function runIn(env: Record<string, string>, args: string[], timeoutMs: number): Promise<CliOutcome> {
  try {
    const r = await run(LIBERVIA_CLI, args, { env, timeout: timeoutMs });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err: any) {
    if (typeof err.code !== "number") throw new Error(`libervia-cli ${args.join(" ")}: ${err.message} ${err.stderr ?? ""} (killed: ${err.killed})`);
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

/** Starts a backend for `user@server.host` (the account must exist) and logs it in (profile `user`). */
export async function startLibervia(server: XmppServer, user: string, password: string): Promise<Libervia> {
  const base = await tempDir("xft-libervia-");
  const env = await prepare(base, server);
  const busFile = join(base, "bus");
  const backend = spawn("/usr/bin/dbus-run-session", ["--", "sh", "-c", `echo "$DBUS_SESSION_BUS_ADDRESS" > ${busFile}; exec ${LIBERVIA_BACKEND} fg`],
    { env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  for (const s of [backend.stdout!, backend.stderr!]) s.setEncoding("utf8").on("data", (d: string) => (log += d));
  const forget = onExit(() => backend.pid && signalGroup(backend.pid, "SIGKILL"));
  let monitor: LiberviaRun | undefined;
  const stop = async () => {
    monitor?.child.kill("SIGTERM");
    if (backend.pid) {
      signalGroup(backend.pid, "SIGTERM");
      await until("libervia-backend to stop", () => !groupAlive(backend.pid!), 15_000).catch(() => signalGroup(backend.pid!, "SIGKILL"));
    }
    forget();
    await removeDir(base);
  };
  try {
    await until("libervia-backend to be ready", () => /Backend is ready/.test(log) || backend.exitCode !== null, 90_000);
    if (backend.exitCode !== null) throw new Error(`libervia-backend exited ${backend.exitCode}: ${log.slice(-2000)}`);
    env.DBUS_SESSION_BUS_ADDRESS = (await readFile(busFile, "utf8")).trim();
    const profile = ["-p", user];
    const must = async (args: string[]) => {
      const r = await runIn(env, args, 30_000);
      if (r.code !== 0) throw new Error(`libervia-cli ${args.join(" ")}: exit ${r.code}: ${r.stderr}\nthe backend said: ${log.slice(-3000)}`);
    };
    const jid = `${user}@${server.host}`;
    await must(["profile", "create", user, "-j", jid, "-x", password, "-p", ""]); // here -p is the profile's own password
    // a plaintext test server has no certificate to check; a TLS one is checked against the run's CA
    if (!server.caFile) await must(["param", "set", "Connection", "check_certificate", "false", ...profile]);
    await must(["param", "set", "General", "allow_get_ip", "false", ...profile]);
    await must(["param", "set", "Debug", "Xml log", "true", ...profile]); // read when the stream starts
    monitor = spawnIn(env, ["debug", "monitor", "-O", "xml-raw"]); // the only profile is the default
    await must(["profile", "connect", "-c", ...profile]);
    const mon = monitor;
    return {
      jid,
      cli: (args, timeoutMs = 30_000) => runIn(env, [...args, ...profile], timeoutMs),
      spawnCli: (args) => spawnIn(env, [...args, ...profile]),
      stanzas: () => mon.output(),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
