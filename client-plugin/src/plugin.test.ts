import assert from "node:assert/strict";
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
