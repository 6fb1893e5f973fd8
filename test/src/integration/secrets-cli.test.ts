// Secrets on the command line (issue 12, item 12), with the real `xft` and `xft-component`
// against real servers: given by file or environment, the secret never appears in
// /proc/PID/cmdline (which every local user can read); as a flag it still works, with a warning;
// the component refuses to start without one or with the placeholder CHANGE-ME.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { OPTIONS } from "@xft/component/config/options.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { accountEnv, execXft, runXft, XFT_BIN } from "../helpers/cli.js";
import { componentEnv, execComponentBin, runComponentBin } from "../helpers/component.js";
import { removeDir, tempDir } from "../helpers/files.js";

// the environment of the test run must not leak options into these runs
const CLEAN = { ...Object.fromEntries(OPTIONS.map((o) => [o.env, ""])), XFT_PASSWORD: "", XFT_PASSWORD_FILE: "", XFT_JID: "", XFT_SERVICE: "" };
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");

async function secretFile(dir: string, name: string, text: string, mode = 0o600): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  await chmod(path, mode);
  return path;
}

for (const kind of SERVER_KINDS) describe(`secrets on the command line, ${serverName(kind)}`, function () {
  this.timeout(60_000);
  let server: XmppServer;
  let work: string;
  const PASSWORD = "b0b-s3cret-pw";
  // no password: each test gives it its own way; the run's CA with it (a TLS server)
  const bobEnv = () => ({ ...CLEAN, ...accountEnv(`bob@${server.host}`, "", server.service) });

  before(async () => {
    server = await startServer(kind);
    await server.register("bob", PASSWORD);
    work = await tempDir();
  });
  after(async () => {
    await server?.stop();
    await removeDir(work);
  });

  it("xft --password-file: logs in, one trailing newline stripped, the password not in /proc/PID/cmdline", async () => {
    const file = await secretFile(work, "bob.pw", `${PASSWORD}\n`);
    const run = runXft(["receive", "--dir", join(work, "in"), "--password-file", file], bobEnv());
    try {
      await run.ready();
      const line = cmdline(run.child.pid!);
      assert.ok(line.includes(file), line);
      assert.ok(!line.includes(PASSWORD), `the password is in the command line: ${line}`);
      assert.doesNotMatch(run.stderr(), /warning/);
    } finally {
      run.child.kill("SIGTERM");
      await run.exit;
    }
  });

  it("xft with XFT_PASSWORD_FILE or XFT_PASSWORD: logs in, nothing in /proc/PID/cmdline", async () => {
    const file = await secretFile(work, "bob2.pw", PASSWORD);
    for (const env of [{ XFT_PASSWORD_FILE: file }, { XFT_PASSWORD: PASSWORD }]) {
      const run = runXft(["receive", "--dir", join(work, "in")], { ...bobEnv(), ...env });
      try {
        await run.ready();
        assert.ok(!cmdline(run.child.pid!).includes(PASSWORD));
        assert.doesNotMatch(run.stderr(), /warning/);
      } finally {
        run.child.kill("SIGTERM");
        await run.exit;
      }
    }
  });

  it("xft --password still works, with a warning on stderr", async () => {
    const r = await execXft(["prefs", "get", "--password", PASSWORD], bobEnv());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^xft: warning: --password on the command line is visible to every local user \(ps, \/proc\/PID\/cmdline\): use --password-file, XFT_PASSWORD_FILE or XFT_PASSWORD$/m);
  });

  it("xft: a wrong password in the file cannot log in (exit 3); a file others may read warns; a missing or empty one is a usage error", async () => {
    const wrong = await secretFile(work, "wrong.pw", "nope\n");
    assert.equal((await execXft(["prefs", "get", "--password-file", wrong], bobEnv())).code, 3);
    const open = await secretFile(work, "open.pw", PASSWORD, 0o644);
    const opened = await execXft(["prefs", "get"], { ...bobEnv(), XFT_PASSWORD_FILE: open });
    assert.equal(opened.code, 0, opened.stderr);
    assert.match(opened.stderr, /xft: warning: .*open\.pw is readable or writable by others \(mode 0644\): chmod 600/);
    const missing = await execXft(["prefs", "get", "--password-file", join(work, "none")], bobEnv());
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^xft: --password-file .*none: no such file$/m);
    const empty = await execXft(["prefs", "get", "--password-file", await secretFile(work, "empty.pw", "\n")], bobEnv());
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /the file is empty/);
    const none = await execXft(["prefs", "get"], bobEnv());
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^xft: the password is required: --password-file FILE, XFT_PASSWORD_FILE, XFT_PASSWORD, or run from a terminal to be asked$/m);
  });

  it("xft at a terminal with no password given: asks, without echo, and logs in", async () => {
    // script(1) gives xft a pseudo-terminal; what we type goes through it, and what xft (or the
    // terminal's echo) writes comes back in script's output
    const child = spawn("script", ["-qec", `${process.execPath} ${XFT_BIN} prefs get`, "/dev/null"], { env: { ...process.env, ...bobEnv() }, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    try {
      const deadline = Date.now() + 20_000;
      while (!out.includes(`password for bob@${server.host}:`)) {
        assert.ok(Date.now() < deadline && child.exitCode === null, `no prompt: ${out}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      child.stdin!.write(`${PASSWORD}\r`);
      assert.equal(await exit, 0, out);
      assert.ok(!out.includes(PASSWORD), `the password was echoed: ${out}`);
      assert.match(out, /auto-retransfer=/, "the preferences were printed: logged in");
    } finally {
      clearTimeout(timer);
      child.stdin!.end();
    }
  });

  describe("xft-component", () => {
    const SECRET_ENV = () => ({ ...CLEAN, ...componentEnv(server, join(work, "store.sqlite")), XFT_COMPONENT_SECRET: "" });
    const secret = () => server.components[`files.${server.host}`];

    it("--secret-file / XFT_COMPONENT_SECRET_FILE: online, the secret not in /proc/PID/cmdline, no warning", async () => {
      const file = await secretFile(work, "component.secret", `${secret()}\n`);
      for (const [args, env] of [[["--secret-file", file], {}], [[], { XFT_COMPONENT_SECRET_FILE: file }]] as const) {
        const run = runComponentBin([...args], { ...SECRET_ENV(), ...env });
        try {
          await run.waitForLog(/online as /);
          assert.ok(!cmdline(run.child.pid!).includes(secret()), cmdline(run.child.pid!));
          assert.doesNotMatch(run.stderr(), /warning/);
        } finally {
          assert.equal(await run.stop(), 0);
        }
      }
    });

    it("--secret still works, with a warning", async () => {
      const run = runComponentBin(["--secret", secret()], SECRET_ENV());
      try {
        await run.waitForLog(/online as /);
        assert.match(run.stderr(), /^xft-component: warning: --secret on the command line is visible to every local user/m);
      } finally {
        assert.equal(await run.stop(), 0);
      }
    });

    const refused: Array<[string, string[], Record<string, string>, RegExp]> = [
      ["the placeholder CHANGE-ME (environment)", [], { XFT_COMPONENT_SECRET: "CHANGE-ME" }, /^xft-component: --secret \(from XFT_COMPONENT_SECRET\) is the placeholder "CHANGE-ME": set a long random secret/],
      ["the placeholder CHANGE-ME (flag)", ["--secret", "CHANGE-ME"], {}, /^xft-component: --secret is the placeholder "CHANGE-ME"/],
      ["an empty secret (flag)", ["--secret="], {}, /^xft-component: --secret must not be empty$/m],
      ["no secret at all", [], {}, /^xft-component: --secret: the secret is required/],
    ];
    for (const [what, args, env, line] of refused) {
      it(`refuses ${what}: exit 2, one line`, async () => {
        const { code, stderr } = await execComponentBin(args, { ...SECRET_ENV(), ...env });
        assert.equal(code, 2, stderr);
        assert.equal(stderr.trimEnd().split("\n").length, 1, stderr);
        assert.match(stderr, line);
      });
    }

    it("refuses an empty secret file and CHANGE-ME in a file", async () => {
      for (const [text, line] of [["\n", /--secret \(from the file .*\) must not be empty/], ["CHANGE-ME\n", /is the placeholder "CHANGE-ME"/]] as const) {
        const file = await secretFile(work, "bad.secret", text);
        const { code, stderr } = await execComponentBin(["--secret-file", file], SECRET_ENV());
        assert.equal(code, 2, stderr);
        assert.match(stderr, line);
      }
    });
  });
});
