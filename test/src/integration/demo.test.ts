// `npm run demo` is the README's first command: this runs it end to end, as a user would (the
// built script in its own process), so that it does not rot. Its output is the contract: the
// summary's lines, figures that must agree with each other, and nothing left behind (checked here
// again, from outside, not only by the demo's own check).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access } from "node:fs/promises";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { pidsMentioning } from "../harness/lifecycle.js";
import { WINDOW_BYTES } from "../helpers/cuts.js";

const DEMO = fileURLToPath(new URL("../demo/index.js", import.meta.url));

function runDemo(timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [DEMO], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
  const timer = setTimeout(() => child.kill("SIGINT"), timeoutMs); // SIGINT: its clean-up hooks run
  return new Promise((resolve) => child.on("close", (code) => (clearTimeout(timer), resolve({ code, out }))));
}

const number = (out: string, re: RegExp): number => {
  const m = re.exec(out);
  assert.ok(m, `no line matching ${re} in:\n${out}`);
  return Number(m[1]);
};

describe("npm run demo (test/dist/demo/index.js)", function () {
  this.timeout(150_000);

  it("cuts two links, forwards to the store while bob is offline, delivers resumed, verifies, receipts, exits 0 and leaves nothing behind", async () => {
    const started = Date.now();
    const { code, out } = await runDemo(120_000);
    assert.equal(code, 0, out);
    assert.ok(Date.now() - started < 60_000, `the demo took ${Date.now() - started} ms: it should take well under a minute`);
    const summary = out.slice(out.indexOf("\nSummary"));
    assert.doesNotMatch(summary, /PROBLEM|NOT cleaned up/);
    assert.match(summary, /alice's link cut \(TCP reset\): .*(stream resumed|new session)/);
    assert.match(summary, /bob's link cut \(TCP reset\)/);
    assert.match(summary, /bob went offline/);
    assert.match(summary, /forwarded the file to the store \(offline forward\)/);
    assert.match(summary, /alice's xft send exited 0, stored-offline/);
    assert.match(summary, /sha-256 verified/);
    assert.match(summary, /alice's phone got the store's receipt: bob@localhost received holiday\.bin/);
    assert.match(summary, /All of it happened by itself/);

    // the figures agree: the delivery continued bob's partial file, and alice sent at least
    // what bob kept plus the whole file to the store
    const size = 20 * 1024 * 1024;
    const resumedAt = number(summary, /delivery resumed at byte (\d+)/);
    assert.ok(resumedAt > 0 && resumedAt < size, `resumed at ${resumedAt}`);
    const aliceSent = number(summary, /alice: [\d.]+ MiB \((\d+) bytes\) for a/);
    assert.ok(aliceSent >= size + resumedAt, `alice sent ${aliceSent}, less than the file to the store plus the ${resumedAt} bytes bob kept`);
    const storeTwice = number(summary, /store: .*: [\d.]+ MiB \((\d+) bytes\) more than once/);
    assert.ok(storeTwice <= WINDOW_BYTES, `the store re-sent ${storeTwice} bytes on a delivery nobody cut`);
    const total = number(summary, /bytes sent more than once: [\d.]+ MiB \((\d+) bytes\)/);
    assert.equal(total, aliceSent - size + storeTwice);

    // nothing left behind: its dirs are gone and no process names them
    const dirs = [/work dir (\S+)/.exec(out)?.[1], /data in (\S+?)\)/.exec(out)?.[1]];
    for (const dir of dirs) {
      assert.ok(dir !== undefined && dir.startsWith(tmpdir()), `a temp dir named in the output: ${dir}`);
      assert.equal(await access(dir).then(() => "exists", () => "gone"), "gone", dir);
      assert.deepEqual(await pidsMentioning(dir), [], `processes still using ${dir}`);
    }
    assert.match(summary, /cleaned up: 5 processes stopped \(xft-component .*prosody \(pid \d+\)\); temp dirs removed/);
  });
});
