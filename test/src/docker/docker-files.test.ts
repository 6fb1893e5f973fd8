// The container files, read (no Docker engine runs here or in CI, so nothing is built or run):
// non-root users, no CHANGE-ME secret anywhere an operator copies from, the secret taken from an
// env file or a docker secret, .dockerignore keeping stores and secrets out of the build context,
// and render-prosody-config.sh leaving no placeholder of the template the tests run.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { removeDir, tempDir } from "../helpers/files.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");
const DOCKERFILES = ["docker/component.Dockerfile", "docker/prosody.Dockerfile"];

/** .dockerignore's patterns as Docker matches them (Go filepath.Match, `**` any directories). */
function ignoredBy(patterns: string[], path: string): boolean {
  const toRegex = (p: string) => new RegExp("^" + p.split("**/").map((part) => part.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")).join("(?:.*/)?") + "(?:/.*)?$");
  return patterns.some((p) => toRegex(p).test(path));
}

describe("docker files (read, not run: no Docker engine here)", () => {
  for (const file of DOCKERFILES) {
    it(`${file} runs as a non-root USER, set before CMD`, () => {
      const lines = read(file).split("\n");
      const users = lines.map((l, i) => [l, i] as const).filter(([l]) => /^USER\s/.test(l));
      assert.ok(users.length > 0, `a USER line in ${file}`);
      const [last, at] = users[users.length - 1];
      assert.doesNotMatch(last, /^USER\s+(root|0)(:|\s|$)/, last);
      assert.ok(at < lines.findIndex((l) => /^CMD\s/.test(l)), "USER comes before CMD");
    });
  }

  it("no secret is set to CHANGE-ME (or any literal) in docker/ or the READMEs", () => {
    const files = [...readdirSync(join(ROOT, "docker")).map((f) => `docker/${f}`), "README.md", "component/README.md", "client-plugin/README.md"];
    for (const file of files) {
      for (const line of read(file).split("\n")) {
        assert.doesNotMatch(line, /(secret|password)\S*\s*[:=]\s*["']?CHANGE-?ME/i, `${file}: ${line}`);
      }
    }
    assert.match(read("docker/ejabberd-component.yml"), /password: XFT_COMPONENT_SECRET\b/, "the ejabberd listener takes the secret from a macro");
  });

  it("compose takes the secret from the operator's env file, not from its own text or the shell", () => {
    const compose = read("docker/docker-compose.yml");
    assert.equal((compose.match(/env_file: \[xft\.env\]/g) ?? []).length, 2, "both services read docker/xft.env");
    assert.doesNotMatch(compose, /XFT_COMPONENT_SECRET\s*:/, "no secret in the environment: section");
    assert.match(read(".gitignore"), /^docker\/\*\.env$/m);
  });

  it(".dockerignore keeps stores, their files and secrets out of the build context", () => {
    const patterns = read(".dockerignore").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    for (const p of ["**/*.sqlite*", "**/*-files", "**/*.env"]) assert.ok(patterns.includes(p), `${p} in .dockerignore`);
    for (const path of ["xft-component.sqlite", "xft-component.sqlite-wal", "xft-component.sqlite-shm", "xft-component.sqlite-files/0a/0abc", "data/xft.db", "data/xft.db-wal", "data/xft.db-files/x", "docker/xft.env"]) {
      assert.ok(ignoredBy(patterns, path), `${path} is ignored`);
    }
    for (const path of ["component/src/store/store.ts", "docker/component.Dockerfile", "package-lock.json", "test/prosody/prosody.cfg.lua.template"]) {
      assert.ok(!ignoredBy(patterns, path), `${path} is in the context`);
    }
  });

  it("render-prosody-config.sh: every placeholder filled, the secret from a file, CHANGE-ME and none refused", async function () {
    const dir = await tempDir();
    try {
      const secretFile = join(dir, "secret");
      execFileSync("sh", ["-c", `printf 'f1le-s3cret\\n' > ${secretFile}`]);
      const render = (env: Record<string, string>) => spawnSync("sh", [join(ROOT, "docker/render-prosody-config.sh"), join(ROOT, "test/prosody/prosody.cfg.lua.template"), join(dir, "out.lua")], { env: { PATH: process.env.PATH, XFT_DIR: dir, ...env }, encoding: "utf8" });
      const ok = render({ XFT_COMPONENT_SECRET_FILE: secretFile });
      assert.equal(ok.status, 0, ok.stderr);
      const out = readFileSync(join(dir, "out.lua"), "utf8");
      assert.doesNotMatch(out, /\$\{/, "no ${...} placeholder left");
      assert.match(out, /^ {2}component_secret = "f1le-s3cret"$/m);
      const placeholder = render({ XFT_COMPONENT_SECRET: "CHANGE-ME" });
      assert.equal(placeholder.status, 2);
      assert.match(placeholder.stderr, /placeholder CHANGE-ME/);
      assert.notEqual(render({}).status, 0, "no secret: refused");
    } finally {
      await removeDir(dir);
    }
  });
});
