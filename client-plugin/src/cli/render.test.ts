import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { createRenderer } from "./render.js";

function capture(opts: { json: boolean; tty: boolean }) {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d) => (text += d));
  let now = 0;
  const render = createRenderer({ ...opts, out, now: () => now });
  return { render, text: () => text, advance: (ms: number) => (now += ms) };
}

describe("xft output", () => {
  it("--json: one parseable object per event, with the contract's fields", () => {
    const c = capture({ json: true, tty: false });
    c.render({ type: "started", offset: 0, size: 10, sha256: "abc" });
    c.render({ type: "completed", offset: 10, size: 10, sha256: "abc" });
    const lines = c.text().trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.type), ["started", "completed"]);
    assert.equal(lines[1].offset, 10);
    assert.equal(lines[1].sha256, "abc");
  });

  it("on a terminal: a progress bar with rate and ETA, redrawn in place", () => {
    const c = capture({ json: false, tty: true });
    c.render({ type: "started", offset: 0, size: 4 * 1024 * 1024 });
    c.advance(1000);
    c.render({ type: "progress", offset: 1024 * 1024, size: 4 * 1024 * 1024 });
    assert.match(c.text(), /\r\[#{8}\.{22}\]  25\.0% 1\.0\/4\.0 MiB 1\.0 MiB\/s ETA 3 s/);
  });

  it("not a terminal: plain lines, no progress noise", () => {
    const c = capture({ json: false, tty: false });
    c.render({ type: "started", offset: 0, size: 100, name: "a.txt" });
    c.render({ type: "progress", offset: 50, size: 100 });
    c.render({ type: "failed", offset: 50, size: 100, reason: "peer gone" });
    assert.equal(c.text(), "started at 0/100 bytes a.txt\nfailed at 50/100 bytes (peer gone)\n");
  });
});
