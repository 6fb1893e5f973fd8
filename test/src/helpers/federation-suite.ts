// The before/after of a federation suite (harness/federation.ts): skipped, with the reason, where
// it cannot run (not root); alice on a.test (Prosody) and bob on b.test (ejabberd) registered;
// /etc/hosts checked to be restored byte for byte at the end.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { HOSTS_FILE, federationUnavailable, startFederation, type Federation } from "../harness/federation.js";

export interface FederationSuite {
  /** the running servers (valid inside tests) */
  readonly fed: Federation;
}

/** Call inside a describe(): starts the two servers once for it, stops them after it;
 *  `started` runs once they are up (not when the suite is skipped). */
export function useFederation(started?: (fed: Federation) => void | Promise<void>): FederationSuite {
  let fed: Federation | undefined;
  let hostsBefore: string;
  before(async function () {
    const why = federationUnavailable();
    if (why) {
      console.log(`      skipping the federation tests: ${why}`);
      this.skip();
    }
    hostsBefore = await readFile(HOSTS_FILE, "utf8");
    fed = await startFederation();
    await fed.a.register("alice", "alicepass");
    await fed.b.register("bob", "bobpass");
    await started?.(fed);
  });
  after(async function () {
    if (!fed) return;
    await fed.stop();
    assert.equal(await readFile(HOSTS_FILE, "utf8"), hostsBefore, `${HOSTS_FILE} restored exactly`);
  });
  return {
    get fed() {
      if (!fed) throw new Error("the federation is not running");
      return fed;
    },
  };
}
