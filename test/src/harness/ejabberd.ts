// A throwaway ejabberd per test suite, the counterpart of prosody.ts: own temp dir, own free
// loopback ports, config rendered from test/ejabberd/ejabberd.yml.template.
//
// How it runs (Debian's ejabberd 23.01): `ejabberdctl foreground` in its own process group, as
// the `ejabberd` user directly (spawn uid/gid) rather than letting ejabberdctl `su` to it, because
// `su -c` puts the server in a new session that a group kill would miss. ERL_DIST_PORT makes the
// node listen for ejabberdctl on a port of its own with `-start_epmd false`: no epmd daemon is
// started (it would hold 4369 and outlive the server), and nodes of parallel runs never meet.
// HOME is the temp dir, so the Erlang cookie is per instance too.
import { spawn, execFile, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { canConnect, freePorts } from "./ports.js";
import { renderTemplate } from "./prosody.js";
import { onExit, orphanedDirs, pidsMentioning, signalGroup, sleep, stopGroup } from "./lifecycle.js";
import { ThrowawayServer } from "./throwaway.js";
import { testCertificates, TLS_BY_DEFAULT } from "./tls-certs.js";

export const EJABBERD_TEMPLATE_PATH = fileURLToPath(
  new URL("../../ejabberd/ejabberd.yml.template", import.meta.url), // same from src/ and dist/
);
const DIR_PREFIX = "xft-ejabberd-";
const CTL = "ejabberdctl";

export interface EjabberdOptions {
  host?: string; // default "localhost"
  components?: Record<string, string>; // domain -> secret; default { "files.<host>": random }
  interface?: string; // listen address, default 127.0.0.1
  s2sPort?: number; // default: a free port (federation needs the standard 5269)
  extraGlobals?: string; // top-level YAML lines
  extraModules?: string[]; // module names, e.g. ["mod_s2s_dialback"]
  inetrc?: string; // Erlang resolver config; default empty (ejabberdctl needs the file)
  startTimeoutMs?: number; // default 20000
  /** STARTTLS on c2s, required (starttls_required), with the run's certificate (tls-certs.ts);
   *  default TLS_BY_DEFAULT */
  tls?: boolean;
}

export interface EjabberdServer {
  host: string;
  c2sPort: number;
  s2sPort: number;
  componentPort: number;
  httpPort: number; // ejabberd_http, serving mod_http_upload (XEP-0363)
  ip: string; // listen address
  dir: string;
  configFile: string;
  service: string; // xmpp://interface:c2sPort
  componentService: string;
  components: Record<string, string>;
  caFile?: string; // with tls: the CA that signed the server's certificate, for clients to verify against
  readonly pid: number | undefined; // the ejabberdctl process group; undefined once stopped
  register(user: string, password: string): Promise<void>;
  /** Ends a user's session now, hibernating (XEP-0198) or not: what the server does itself when
   *  the session's resume_timeout (300 s by default) runs out. */
  kickSession(user: string, resource: string): Promise<void>;
  stop(): Promise<void>; // kill, wait, remove the temp dir; safe twice
  restart(downMs?: number): Promise<void>; // same ports, dir and node: accounts survive; downMs (default 0) down between
  log(): Promise<string>;
}

const SAFE = /^[A-Za-z0-9._-]+$/;
const SECRET_RE = /^[\x21\x23-\x5b\x5d-\x7e]+$/; // printable ASCII without " and \ (YAML "...")
function safe(kind: string, value: string, re = SAFE): string {
  if (!re.test(value)) throw new Error(`unsafe ${kind} for ejabberd config: ${JSON.stringify(value)}`);
  return value;
}

function ejabberdUser(): { uid: number; gid: number } {
  if (process.getuid?.() !== 0) {
    throw new Error("the ejabberd harness needs root (it runs ejabberd as user 'ejabberd'); " +
      "run as root or set XFT_TEST_SERVERS=prosody");
  }
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "ejabberd"], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    throw new Error("no 'ejabberd' user: install ejabberd (apt-get install ejabberd, see scripts/ensure-servers.sh)");
  }
}

export async function startEjabberd(opts: EjabberdOptions = {}): Promise<EjabberdServer> {
  const user = ejabberdUser();
  await reapOrphans();
  const host = safe("host", opts.host ?? "localhost");
  const ip = safe("interface", opts.interface ?? "127.0.0.1");
  const components = opts.components ?? { [`files.${host}`]: randomBytes(12).toString("hex") };
  for (const [domain, secret] of Object.entries(components)) {
    safe("component domain", domain);
    safe("component secret", secret, SECRET_RE);
  }
  const template = await fsp.readFile(EJABBERD_TEMPLATE_PATH, "utf8");
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), DIR_PREFIX));
  await fsp.chmod(dir, 0o755); // ejabberdctl cd's into it as user ejabberd
  await fsp.writeFile(path.join(dir, "owner.pid"), String(process.pid)); // for reapOrphans
  for (const sub of ["logs", "spool"]) await fsp.mkdir(path.join(dir, sub));
  await fsp.writeFile(path.join(dir, "inetrc"), opts.inetrc ?? "");
  const tls = (opts.tls ?? TLS_BY_DEFAULT) ? await certFile(dir) : undefined;
  const node = `xft${randomBytes(4).toString("hex")}@localhost`;

  // Ports are free when picked but may be taken before ejabberd binds them: retry with new ones.
  for (let attempt = 1; ; attempt++) {
    const [c2sPort, componentPort, distPort, freeS2s, httpPort] = await freePorts(5, ip);
    const s2sPort = opts.s2sPort ?? freeS2s;
    const config = renderTemplate(template, {
      XFT_HOST: host,
      XFT_INTERFACE: ip,
      XFT_C2S_PORT: c2sPort,
      XFT_S2S_PORT: s2sPort,
      XFT_COMPONENT_PORT: componentPort,
      XFT_HTTP_PORT: httpPort,
      XFT_COMPONENTS: Object.entries(components).map(([d, s]) => `"${d}": {password: "${s}"}`).join(", "),
      XFT_EXTRA_GLOBALS: opts.extraGlobals ?? "",
      XFT_EXTRA_MODULES: (opts.extraModules ?? []).map((m) => `  ${safe("module", m)}: {}`).join("\n"),
      XFT_CERTFILES: tls ? `"${tls.pem}"` : "",
      XFT_C2S_STARTTLS: String(Boolean(tls)),
    });
    const configFile = path.join(dir, "ejabberd.yml");
    await fsp.writeFile(configFile, config);
    await chownTree(dir, user.uid, user.gid);
    const server = new Ejabberd(
      { host, ip, c2sPort, s2sPort, componentPort, httpPort, dir, configFile, components, caFile: tls?.caFile },
      { ip, node, distPort, ...user, startTimeoutMs: opts.startTimeoutMs ?? 20000 },
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

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await fsp.chown(dir, uid, gid);
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(p, uid, gid);
    else await fsp.chown(p, uid, gid);
  }
}

class PortConflictError extends Error {}

// The run's certificate and key in one PEM in the server's dir (chowned to ejabberd with the rest).
async function certFile(dir: string): Promise<{ pem: string; caFile: string }> {
  const certs = await testCertificates();
  const pem = safe("certificate path", path.join(dir, "server.pem"), /^[A-Za-z0-9._\/-]+$/);
  const parts = await Promise.all([certs.certFile, certs.keyFile].map((f) => fsp.readFile(f, "utf8")));
  await fsp.writeFile(pem, parts.join(""), { mode: 0o600 });
  return { pem, caFile: certs.caFile };
}

type Fixed = Pick<EjabberdServer, "host" | "ip" | "c2sPort" | "s2sPort" | "componentPort" | "httpPort" | "dir" | "configFile" | "components" | "caFile">;
interface Runtime { ip: string; node: string; distPort: number; uid: number; gid: number; startTimeoutMs: number }

class Ejabberd extends ThrowawayServer implements EjabberdServer {
  host!: string;
  c2sPort!: number;
  s2sPort!: number;
  componentPort!: number;
  httpPort!: number;
  ip!: string;
  dir!: string;
  configFile!: string;
  components!: Record<string, string>;
  caFile?: string;
  private child?: ChildProcess;
  private removeExitHook = () => {};
  protected readonly logFile = "logs/ejabberd.log";
  // stop() throws the data away: no need to wait for ejabberd's ~2 s graceful stop
  protected readonly stopGraceMs = 0;

  constructor(fixed: Fixed, private readonly rt: Runtime) {
    super();
    Object.assign(this, fixed);
  }

  get service() { return `xmpp://${this.rt.ip}:${this.c2sPort}`; }
  get componentService() { return `xmpp://${this.rt.ip}:${this.componentPort}`; }
  get pid() { return this.running() ? this.child!.pid : undefined; }

  private running(): boolean {
    return this.child?.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private ctl(args: string[]): { args: string[]; env: NodeJS.ProcessEnv } {
    const d = this.dir;
    return {
      args: ["--node", this.rt.node, "--config", this.configFile, "--ctl-config", "/dev/null",
        "--config-dir", d, "--logs", path.join(d, "logs"), "--spool", path.join(d, "spool"), ...args],
      env: { ...process.env, HOME: d, ERL_DIST_PORT: String(this.rt.distPort) },
    };
  }

  async launch(): Promise<void> {
    if (this.removed) throw new Error(`ejabberd in ${this.dir} was stopped; start a new one`);
    const logStart = (await this.readLog()).length; // appended to across restarts
    const out = fs.openSync(path.join(this.dir, "console.log"), "a");
    const { args, env } = this.ctl(["foreground"]);
    const child = spawn(CTL, args, {
      cwd: this.dir, env, uid: this.rt.uid, gid: this.rt.gid, detached: true, stdio: ["ignore", out, out],
    });
    fs.closeSync(out);
    this.child = child;
    const spawnFailed = new Promise<Error>((resolve) => child.once("error", resolve));
    this.removeExitHook = onExit(() => this.killNow());
    await Promise.race([this.waitReady(logStart), spawnFailed.then((e) => {
      throw new Error(`ejabberd could not be started: ${e.message}`);
    })]);
  }

  // Ready = ejabberd logged "is started" (modules loaded: c2s accepts a little earlier, before
  // mod_private & co. answer) and the c2s port accepts TCP.
  private async waitReady(since: number): Promise<void> {
    const deadline = Date.now() + this.rt.startTimeoutMs;
    for (;;) {
      const log = await this.readLog(since);
      if (/eaddrinuse/i.test(log)) throw new PortConflictError(`ejabberd could not bind its ports\n${await this.tail()}`);
      if (!this.running()) throw new Error(`ejabberd exited during start-up\n${await this.tail()}`);
      if (log.includes(`is started in the node ${this.rt.node}`) && (await canConnect(this.c2sPort, this.rt.ip, 500))) return;
      if (Date.now() > deadline) {
        throw new Error(`ejabberd did not start within ${this.rt.startTimeoutMs} ms (config ${this.configFile})\n${await this.tail()}`);
      }
      await sleep(20);
    }
  }

  /** Stops the whole process group (ejabberdctl's shell and beam.smp); keeps the dir. A graceful
   *  stop takes ejabberd ~2 s; stop() throws the data away and need not wait for it. */
  async kill(graceMs = 5000): Promise<void> {
    const pgid = this.child?.pid;
    if (pgid !== undefined) await stopGroup(pgid, graceMs);
    this.removeExitHook();
  }

  async register(user: string, password: string): Promise<void> {
    const { args, env } = this.ctl(["register", user, this.host, password]);
    await this.registerWith(CTL, args, { cwd: this.dir, env, uid: this.rt.uid, gid: this.rt.gid, timeout: 20000 }, user);
  }

  async kickSession(user: string, resource: string): Promise<void> {
    const { args, env } = this.ctl(["kick_session", safe("user", user), this.host, safe("resource", resource), "gone"]);
    await new Promise<void>((resolve, reject) => execFile(CTL, args, { cwd: this.dir, env, uid: this.rt.uid, gid: this.rt.gid, timeout: 20000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`ejabberdctl kick_session ${user}/${resource}: ${err.message} ${stdout}${stderr}`)) : resolve()));
  }

  async log(): Promise<string> {
    const [log, consoleOut] = await Promise.all([this.readLog(), this.readLog(0, "console.log")]);
    return `${log}\n--- ejabberdctl stdout/stderr ---\n${consoleOut}`;
  }

  private async tail(lines = 30): Promise<string> {
    const text = (await this.readLog(0, "console.log")).trimEnd().split("\n").slice(-lines).join("\n");
    return `--- last ${lines} lines of ${this.dir}/console.log ---\n${text}`;
  }

  killNow(): void {
    if (this.child?.pid !== undefined) signalGroup(this.child.pid, "SIGKILL");
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

// A run killed with SIGKILL runs no hooks: kill what still names such a dir, then remove it.
async function reapOrphans(): Promise<void> {
  for (const dir of await orphanedDirs(DIR_PREFIX)) {
    for (const pid of await pidsMentioning(dir)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
