// `xft-component`'s command line as an operator meets it: --help lists every option, bad options
// exit 2 with one line per problem naming the option, and a --config file is enough to run.
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { defaultText, OPTIONS } from "@xft/component/config/options.js";
import { SERVER_KINDS, serverName, startServer, type XmppServer } from "../harness/servers.js";
import { execComponentBin, runComponentBin } from "../helpers/component.js";
import { removeDir, tempDir } from "../helpers/files.js";

// the environment of the test run must not leak options into these runs
const CLEAN_ENV = Object.fromEntries(OPTIONS.map((o) => [o.env, ""]));

describe("xft-component command line", function () {
  this.timeout(60_000);
  let work: string;
  before(async () => (work = await tempDir()));
  after(() => removeDir(work));

  it("--help lists every option with its environment variable and default, exit 0", async () => {
    const { code, stdout } = await execComponentBin(["--help"], CLEAN_ENV);
    assert.equal(code, 0);
    assert.ok(OPTIONS.length >= 12);
    for (const o of OPTIONS) {
      const line = stdout.split("\n").find((l) => l.trimStart().startsWith(`--${o.name} `));
      assert.ok(line, `--${o.name} in --help`);
      assert.ok(line.includes(o.env), `${o.env} on the line of --${o.name}`);
      assert.ok(line.includes(`default: ${defaultText(o)}`), `default of --${o.name}: ${line}`);
    }
    assert.match(stdout, /--config FILE/);
  });

  const required = { XFT_COMPONENT_JID: "files.localhost", XFT_COMPONENT_SECRET: "s3cr3t" };
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["a size that is no size (env)", [], { ...required, XFT_MAX_FILE_SIZE: "lots" }, /^xft-component: --max-file-size \(from XFT_MAX_FILE_SIZE\) must be a size/],
    ["a quota below zero (flag)", ["--sender-quota", "-1"], required, /^xft-component: --sender-quota must be a size/],
    ["expiry out of bounds", ["--expire-days=0"], required, /^xft-component: --expire-days must be a whole number from 1 to 3650, got "0"$/],
    ["a service without a port", ["--service", "xmpp://localhost"], required, /^xft-component: --service must look like xmpp:\/\/host:port/],
    ["a JID with a local part", [], { ...required, XFT_COMPONENT_JID: "bob@files.localhost" }, /^xft-component: --jid \(from XFT_COMPONENT_JID\) must be a domain name/],
    ["a missing secret", ["--jid", "files.localhost"], {}, /^xft-component: --secret: the secret is required: --secret-file FILE, XFT_COMPONENT_SECRET_FILE, XFT_COMPONENT_SECRET, or run from a terminal/],
    ["a bad cron expression", ["--housekeeping-cron", "every day"], required, /^xft-component: --housekeeping-cron must be a cron expression/],
    ["a bad domain list", [], { ...required, XFT_ALLOWED_SENDER_DOMAINS: "example.org, not a domain" }, /^xft-component: --allowed-sender-domains \(from XFT_ALLOWED_SENDER_DOMAINS\) must be a domain name/],
    ["an unknown option", ["--max-size", "1G"], required, /^xft-component: unknown option --max-size \(see --help\)$/],
    ["a missing config file", ["--config", "/nonexistent/xft.json"], required, /^xft-component: --config \/nonexistent\/xft.json: no such file$/],
  ];
  for (const [what, args, env, line] of cases) {
    it(`${what} -> exit 2, one line naming the option`, async () => {
      const { code, stderr } = await execComponentBin(args, { ...CLEAN_ENV, ...env });
      assert.equal(code, 2, stderr);
      const lines = stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0], line);
    });
  }

  it("every problem at once, one line each", async () => {
    const { code, stderr } = await execComponentBin(["--max-file-size", "x", "--expire-days", "y"], CLEAN_ENV);
    assert.equal(code, 2);
    const lines = stderr.trimEnd().split("\n");
    assert.equal(lines.length, 4, stderr); // jid, secret, max-file-size, expire-days
    for (const name of ["--jid", "--secret", "--max-file-size", "--expire-days"]) assert.ok(lines.some((l) => l.includes(name)), `${name} in ${stderr}`);
  });

  it("a database it cannot open -> exit 1 with the reason", async () => {
    const { code, stderr } = await execComponentBin([], { ...CLEAN_ENV, ...required, XFT_DB: "/nonexistent/dir/store.sqlite" });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /^xft-component: cannot start: /);
  });

  for (const kind of SERVER_KINDS) describe(`with ${serverName(kind)}`, () => {
    let server: XmppServer;
    before(async () => (server = await startServer(kind)));
    after(() => server?.stop());

    it("runs from a --config JSON file alone", async () => {
      const file = join(work, "component.json");
      const domain = `files.${server.host}`;
      await writeFile(file, JSON.stringify({ jid: domain, secret: server.components[domain], service: server.componentService, db: join(work, "a.sqlite"), "max-file-size": "1GiB", "expire-days": 3 }));
      const run = runComponentBin(["--config", file], CLEAN_ENV);
      try {
        await run.waitForLog(new RegExp(`online as ${domain.replace(/\./g, "\\.")} at ${server.componentService}`));
      } finally {
        assert.equal(await run.stop(), 0);
      }
    });

    it("a wrong secret: the handshake is refused, logged, retried with backoff; the process stays up", async () => {
      const domain = `files.${server.host}`;
      const run = runComponentBin([], { ...CLEAN_ENV, XFT_COMPONENT_JID: domain, XFT_COMPONENT_SECRET: "wrong", XFT_COMPONENT_SERVICE: server.componentService, XFT_DB: join(work, "b.sqlite") });
      try {
        await run.waitForLog(/reconnecting in \d+ ms \(attempt 2\)/, 1, 15_000);
        assert.match(run.stderr(), /not-authorized/);
        assert.doesNotMatch(run.stderr(), /online as/);
      } finally {
        assert.equal(await run.stop(), 0);
      }
    });
  });
});
