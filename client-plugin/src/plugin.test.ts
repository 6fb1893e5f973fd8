import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { XmppPort } from "@xft/protocol";
import { autoTransferPlugin } from "./plugin.js";
import { DEFAULT_PREFERENCES } from "./prefs/preferences.js";

const port: XmppPort = {
  jid: () => "alice@example.org/a",
  send: async () => undefined,
  request: async () => { throw new Error("not in this test"); },
  onIqSet: () => undefined,
  onMessage: () => undefined,
};

describe("autoTransferPlugin preferences", () => {
  it("carries the preferences it was given", () => {
    const preferences = { ...DEFAULT_PREFERENCES, autoReceive: true, confirmTimeout: 5 };
    assert.deepEqual(autoTransferPlugin(port, { preferences }).preferences, preferences);
  });

  it("defaults when none are given", () => {
    assert.deepEqual(autoTransferPlugin(port).preferences, DEFAULT_PREFERENCES);
  });
});

describe("autoTransferPlugin downloadDir (issue 12 item 6)", () => {
  it("creates a missing download directory 0700", async () => {
    const work = await mkdtemp(join(tmpdir(), "xft-plugin-test-"));
    try {
      const dir = join(work, "inbox");
      autoTransferPlugin(port, { downloadDir: dir }).ft.close();
      for (let i = 0; i < 100 && !(await stat(dir).catch(() => undefined)); i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal((await stat(dir)).mode & 0o777, 0o700);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
