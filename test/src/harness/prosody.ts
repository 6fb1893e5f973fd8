// A throwaway Prosody per test suite: own temp dir, own free loopback ports, config rendered from
// the committed template test/prosody/prosody.cfg.lua.template. Nothing may outlive the test
// run: servers are killed by process group on stop(), on process exit and on SIGINT/SIGTERM,
// and dirs left by a run that was SIGKILLed are reaped by the next run.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { canConnect, freePorts } from "./ports.js";
import { orphanedDirs } from "./lifecycle.js";
import { ThrowawayServer } from "./throwaway.js";
import { testCertificates, TLS_BY_DEFAULT } from "./tls-certs.js";

export const TEMPLATE_PATH = fileURLToPath(
  new URL("../../prosody/prosody.cfg.lua.template", import.meta.url), // same from src/ and dist/
);
const DIR_PREFIX = "xft-prosody-";
const LOOPBACK = "127.0.0.1";

export interface ProsodyOptions {
  host?: string; // default "localhost"
  components?: Record<string, string>; // domain -> secret; default { "files.<host>": random }
  extraModules?: string[]; // e.g. ["http_file_share"]
  smacks?: boolean; // XEP-0198, default true
  interface?: string; // listen address, default 127.0.0.1 (federation: 127.0.0.2)
  s2sPort?: number; // default: a free port (federation needs the standard 5269)
  extraGlobals?: string; // Lua lines before the VirtualHost, e.g. the federation's s2s settings
  startTimeoutMs?: number; // default 15000
  /** STARTTLS on c2s, required (c2s_require_encryption), with the run's certificate (tls-certs.ts);
   *  default TLS_BY_DEFAULT */
  tls?: boolean;
}

export interface ProsodyServer {
  host: string;
  ip: string; // listen address
  c2sPort: number;
  s2sPort: number;
  componentPort: number;
  httpPort: number;
  dir: string;
  configFile: string;
  service: string; // xmpp://127.0.0.1:c2sPort
  componentService: string; // xmpp://127.0.0.1:componentPort
  components: Record<string, string>;
  /** with tls: the CA that signed the server's certificate, for clients to verify against */
  caFile?: string;
  /** pid of the running prosody (also its process group id); undefined once stopped. */
  readonly pid: number | undefined;
  register(user: string, password: string): Promise<void>;
  /** Kill, wait for exit, remove the temp dir. Safe to call twice. */
  stop(): Promise<void>;
  /** Stop and start again on the same ports and data dir (accounts survive), after downMs (default 0) down. */
  restart(downMs?: number): Promise<void>;
  /** prosody.log, plus anything prosody printed to stdout/stderr. */
  log(): Promise<string>;
}

const running = new Set<Prosody>();

/** Fill ${NAME} placeholders; an unknown one is an error so template and code can't drift. */
export function renderTemplate(template: string, vars: Record<string, string | number>): string {
  return template.replace(/\$\{(\w+)\}/g, (match, name: string) => {
    if (!(name in vars)) throw new Error(`no value for placeholder ${match} in prosody template`);
    return String(vars[name]);
  });
}

// Values are pasted into Lua string literals; refuse anything that would need escaping.
function luaSafe(kind: string, value: string, re = /^[A-Za-z0-9._-]+$/): string {
  if (!re.test(value)) throw new Error(`unsafe ${kind} for prosody config: ${JSON.stringify(value)}`);
  return value;
}
const SECRET_RE = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // printable ASCII without " and \

export async function startProsody(opts: ProsodyOptions = {}): Promise<ProsodyServer> {
  installCleanupHooks();
  await reapOrphans();
  const host = luaSafe("host", opts.host ?? "localhost");
  const components = opts.components ?? { [`files.${host}`]: randomBytes(12).toString("hex") };
  for (const [domain, secret] of Object.entries(components)) {
    luaSafe("component domain", domain);
    luaSafe("component secret", secret, SECRET_RE);
  }
  const useTls = opts.tls ?? TLS_BY_DEFAULT;
  // mod_tls offers STARTTLS; the template does not load it (plaintext by default)
  const extraModules = [...(useTls ? ["tls"] : []), ...(opts.extraModules ?? [])].map((m) => luaSafe("module", m));
  const ip = luaSafe("interface", opts.interface ?? LOOPBACK);
  const template = await fsp.readFile(TEMPLATE_PATH, "utf8");
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  await fsp.writeFile(path.join(dir, "owner.pid"), String(process.pid)); // for reapOrphans
  await fsp.mkdir(path.join(dir, "data"));
  await fsp.mkdir(path.join(dir, "certs"));
  const tls = useTls ? await tlsGlobals(path.join(dir, "certs")) : undefined;

  // Ports are free when picked but may be taken before prosody binds them: retry with new ones.
  for (let attempt = 1; ; attempt++) {
    const [c2sPort, freeS2s, componentPort, httpPort] = await freePorts(4, ip);
    const s2sPort = opts.s2sPort ?? freeS2s;
    const config = renderTemplate(template, {
      XFT_DIR: dir,
      // XFT_PROSODY_LOG_LEVEL=debug: every stanza in prosody.log, to read a failing test's story
      XFT_PROSODY_LOG_LEVEL: /^(debug|info|warn|error)$/.test(process.env.XFT_PROSODY_LOG_LEVEL ?? "") ? process.env.XFT_PROSODY_LOG_LEVEL! : "info",
      XFT_HOST: host,
      XFT_INTERFACE: ip,
      // TLS through the extra globals: they come after the template's plaintext settings and
      // override them, so the template (which docker renders too) stays plaintext by default
      XFT_EXTRA_GLOBALS: [tls?.lua, opts.extraGlobals].filter(Boolean).join("\n"),
      XFT_C2S_PORT: c2sPort,
      XFT_S2S_PORT: s2sPort,
      XFT_COMPONENT_PORT: componentPort,
      XFT_HTTP_PORT: httpPort,
      XFT_EXTRA_MODULES: extraModules.map((m) => `"${m}";`).join(" "),
      XFT_DISABLED_MODULES: opts.smacks === false ? `"smacks";` : "",
      XFT_COMPONENTS: Object.entries(components)
        .map(([domain, secret]) => `Component "${domain}"\n  component_secret = "${secret}"\n`)
        .join("\n"),
    });
    const configFile = path.join(dir, "prosody.cfg.lua");
    await fsp.writeFile(configFile, config);
    const server = new Prosody(
      { host, ip, c2sPort, s2sPort, componentPort, httpPort, dir, configFile, components, caFile: tls?.caFile },
      opts.startTimeoutMs ?? 15000,
    );
    try {
      await server.launch();
      return server;
    } catch (err) {
      const conflict = err instanceof PortConflictError && attempt < 3;
      await (conflict ? server.kill() : server.stop());
      if (!conflict) throw err;
    }
  }
}

class PortConflictError extends Error {}

// The run's certificate, copied into the server's own dir (it then holds all it reads).
async function tlsGlobals(certDir: string): Promise<{ lua: string; caFile: string }> {
  const certs = await testCertificates();
  const certificate = luaSafe("certificate path", path.join(certDir, "server.pem"), /^[A-Za-z0-9._\/-]+$/);
  const key = luaSafe("key path", path.join(certDir, "server.key"), /^[A-Za-z0-9._\/-]+$/);
  await fsp.copyFile(certs.certFile, certificate);
  await fsp.copyFile(certs.keyFile, key);
  await fsp.chmod(key, 0o600);
  const lua = [
    `ssl = { certificate = "${certificate}"; key = "${key}" }`,
    // the template's "= false" comes earlier: Prosody warns "Duplicate option" and takes this one
    "c2s_require_encryption = true -- STARTTLS before SASL, so no password crosses in clear",
  ].join("\n");
  return { lua, caFile: certs.caFile };
}

type Fixed = Pick<ProsodyServer,
  "host" | "ip" | "c2sPort" | "s2sPort" | "componentPort" | "httpPort" | "dir" | "configFile" | "components" | "caFile">;

class Prosody extends ThrowawayServer implements ProsodyServer {
  host!: string;
  ip!: string;
  c2sPort!: number;
  s2sPort!: number;
  componentPort!: number;
  httpPort!: number;
  dir!: string;
  configFile!: string;
  components!: Record<string, string>;
  caFile?: string;
  private child?: ChildProcess;
  private exited: Promise<void> = Promise.resolve();
  private spawnError?: Error;
  protected readonly logFile = "prosody.log";

  constructor(fixed: Fixed, private readonly startTimeoutMs: number) {
    super();
    Object.assign(this, fixed);
  }

  get service() { return `xmpp://${this.ip}:${this.c2sPort}`; }
  get componentService() { return `xmpp://${this.ip}:${this.componentPort}`; }
  get pid() { return this.alive() ? this.child!.pid : undefined; }

  private alive(): boolean {
    const c = this.child;
    return !!c && c.pid !== undefined && c.exitCode === null && c.signalCode === null;
  }

  async launch(): Promise<void> {
    if (this.removed) throw new Error(`prosody in ${this.dir} was stopped; start a new one`);
    // The log is appended to across restarts and retries: readiness looks only at new lines.
    const logStart = (await this.readLog()).length;
    // Early errors (config syntax, missing Lua libs) go to stdout/stderr, not to the log file.
    const out = fs.openSync(path.join(this.dir, "console.log"), "a");
    // detached = setsid: prosody leads its own process group, which kill() signals as a whole.
    const child = spawn("prosody", ["-F", "--config", this.configFile], {
      cwd: this.dir, detached: true, stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.once("error", (err) => { // e.g. ENOENT: prosody not installed
        this.spawnError = err;
        resolve();
      });
    });
    running.add(this);
    await this.waitReady(logStart);
  }

  // Ready = prosody logged that it bound c2s (and component) ports, none failed, and the c2s
  // port accepts TCP. The log check matters: a port stolen by another program would also
  // accept TCP, while prosody only logs "Failed to open server port" and keeps running.
  private async waitReady(since: number): Promise<void> {
    const deadline = Date.now() + this.startTimeoutMs;
    // http: the template always loads the upload component (http_file_share)
    const services = ["c2s", "http", ...(Object.keys(this.components).length ? ["component"] : [])];
    for (;;) {
      if (!this.alive()) {
        await this.exited; // a spawn error (ENOENT) is reported a tick after pid turns out undefined
        const { exitCode, signalCode } = this.child!;
        const why = this.spawnError
          ? `could not be started: ${this.spawnError.message}`
          : `exited during start-up (code ${exitCode}, signal ${signalCode})`;
        throw new Error(`prosody ${why}\n${await this.tail()}`);
      }
      const log = await this.readLog(since);
      if (log.includes("Failed to open server port")) {
        throw new PortConflictError(`prosody could not bind its ports\n${await this.tail()}`);
      }
      const bound = services.every((s) => log.includes(`Activated service '${s}' on [`));
      if (bound && (await canConnect(this.c2sPort, this.ip, 500))) return;
      if (Date.now() > deadline) {
        throw new Error(
          `prosody did not listen on ${this.ip}:${this.c2sPort} within ${this.startTimeoutMs} ms` +
            ` (config ${this.configFile})\n${await this.tail()}`,
        );
      }
      await sleep(20);
    }
  }

  /** SIGTERM the process group, SIGKILL after graceMs, wait for exit. Keeps the dir. */
  async kill(graceMs = 5000): Promise<void> {
    const pid = this.child?.pid;
    if (pid !== undefined && this.alive()) {
      signalGroup(pid, "SIGTERM");
      const exitedInTime = await Promise.race([this.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!exitedInTime) signalGroup(pid, "SIGKILL");
      await this.exited;
    }
    running.delete(this);
  }

  async register(user: string, password: string): Promise<void> {
    // prosodyctl writes the account files directly; works whether prosody runs or not.
    await this.registerWith("prosodyctl", ["--config", this.configFile, "register", user, this.host, password], { timeout: 15000 }, user);
  }

  async log(): Promise<string> {
    const [log, consoleOut] = await Promise.all([this.readLog(), this.readLog(0, "console.log")]);
    return consoleOut ? `${log}\n--- prosody stdout/stderr ---\n${consoleOut}` : log;
  }

  private async tail(lines = 30): Promise<string> {
    const text = (await this.log()).trimEnd().split("\n").slice(-lines).join("\n");
    return `--- last ${lines} lines of ${this.dir}/prosody.log ---\n${text}`;
  }

  /** Synchronous last resort for the 'exit' hook. */
  killNow(): void {
    if (this.alive()) signalGroup(this.child!.pid!, "SIGKILL");
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err; // ESRCH: already gone
  }
}

// unref: a pending grace timer must not keep mocha (or the demo) alive after the server exited
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

let hooksInstalled = false;
function installCleanupHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const killAll = () => {
    for (const s of running) s.killNow();
    running.clear();
  };
  // mocha's --exit calls process.exit(), which skips after() hooks of a failed run but not this.
  process.on("exit", killAll);
  // Prosody runs in its own session, so a Ctrl-C in the terminal doesn't reach it: forward it.
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      killAll();
      process.kill(process.pid, sig); // our listener is gone now: default action (or mocha's)
    });
  }
}

// A test run killed with SIGKILL runs no hooks. Its dirs hold owner.pid (the dead node process)
// and prosody.pid; kill such a prosody if its command line still names that dir, then remove it.
async function reapOrphans(): Promise<void> {
  for (const dir of await orphanedDirs(DIR_PREFIX)) {
    const pid = Number(await fsp.readFile(path.join(dir, "prosody.pid"), "utf8").catch(() => "NaN"));
    const cmdline = Number.isInteger(pid) ? await fsp.readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "") : "";
    if (cmdline.includes(dir)) signalGroup(pid, "SIGKILL");
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
