// Subscription retries (xep-draft §'Delivery'): a store whose subscribe comes back as an error
// retries with backoff while files wait. Across federation the error was Prosody's answer to a
// failed s2s dialback; here one Prosody makes the same kind of bounce for real: the recipients'
// domains are ones it does not serve and that do not resolve (.invalid), so it returns
// remote-server-not-found for the subscribe, the probe and the notice. One of them, b.invalid, is
// in its config but disabled; the test activates it over the admin socket (the recipient's
// server becomes reachable) and bob logs in there.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TransferEvent } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { autoTransferPlugin } from "@xft/client-plugin/plugin.js";
import { DEFAULT_PREFERENCES } from "@xft/client-plugin/prefs/preferences.js";
import { expireUndelivered } from "@xft/component/housekeeping/jobs.js";
import type { RunningComponent } from "@xft/component/main.js";
import { DAY_MS } from "@xft/component/time.js";
import { runComponentHere } from "../helpers/component.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { storeFile } from "../helpers/stored.js";
import { sleep, until } from "../helpers/wait.js";
import { startProsody, type ProsodyServer } from "../harness/prosody.js";
import { SERVER_KINDS } from "../harness/servers.js";
import { openTestAccount } from "../helpers/account.js";

const BOB_HOST = "b.invalid";
const bob = `bob@${BOB_HOST}`;
const carol = "carol@c.invalid"; // never reachable
/** --resubscribe-min-seconds 1, --resubscribe-max-seconds 4: delay k is in [c/2, c], c = min(4, 2^k) s */
const CEILINGS_MS = [1000, 2000, 4000, 4000];

/** the delays the component logged for its retries to `who`, in order */
const retryDelays = (log: string[], who: string) =>
  log.flatMap((l) => {
    const m = new RegExp(`subscribing to ${who.replace(/\./g, "\\.")} again in (\\d+) ms`).exec(l);
    return m ? [Number(m[1])] : [];
  });
const count = (log: string[], re: RegExp) => log.filter((l) => re.test(l)).length;

// Prosody only (host:activate is its admin shell): skipped when XFT_TEST_SERVERS leaves it out
(SERVER_KINDS.includes("prosody") ? describe : describe.skip)("subscription retries after a bounce, through Prosody 0.12 (recipients on domains it cannot reach yet)", function () {
  this.timeout(120_000);
  let server: ProsodyServer;
  let work: string;
  let component: RunningComponent | undefined;
  let log: string[] = [];
  let account: Account | undefined;

  before(async () => {
    server = await startProsody({
      extraModules: ["admin_shell", "admin_socket"], // prosodyctl shell host:activate
      // a host section before the main one: b.invalid exists only once activated
      extraGlobals: `VirtualHost "${BOB_HOST}"\n  enabled = false`,
    });
    work = await tempDir();
  });
  afterEach(async function () {
    if (this.currentTest?.state === "failed") console.log(`${log.join("\n")}\n--- prosody.log\n${await server.log()}`);
  });
  after(async () => {
    await account?.close();
    await component?.stop();
    await server?.stop();
    if (work) await removeDir(work);
  });

  async function activateBobsHost(): Promise<void> {
    const prosodyctl = (...args: string[]) => promisify(execFile)("prosodyctl", ["--config", server.configFile, ...args], { timeout: 15_000 });
    // his account first: a retry that reached the host before the account existed would be
    // dropped (RFC 6121 §3.1.3: no error for an unknown user), and nothing would bounce again
    await prosodyctl("register", "bob", BOB_HOST, "bobpass");
    const { stdout } = await prosodyctl("shell", `host:activate('${BOB_HOST}')`);
    assert.match(stdout, /Result: true/, `activating ${BOB_HOST}: ${stdout}`);
  }

  it("retries with growing delays while files wait; stops once nothing waits; the recipient's server reachable, the file is delivered", async () => {
    const d = `files.${server.host}`;
    const here = await runComponentHere([
      "--jid", d, "--secret", server.components[d], "--service", server.componentService, "--db", join(work, "store.sqlite"),
      "--resubscribe-min-seconds", "1", "--resubscribe-max-seconds", "4",
    ]);
    component = here.running;
    log = here.log;
    const src = join(work, "for-bob.bin");
    await randomFile(src, 1024 * 1024 + 7);
    const forBob = await storeFile(component.store, src, `alice@${server.host}`, bob, "for-bob.bin");
    const forCarol = await storeFile(component.store, src, `alice@${server.host}`, carol, "for-carol.bin");
    component.delivery.stored(forBob);
    component.delivery.stored(forCarol);

    // 1. the subscribe bounces (Prosody: remote-server-not-found), and again at each retry
    await until("four retries to bob scheduled", () => retryDelays(log, bob).length >= 4, 30_000);
    assert.ok(count(log, new RegExp(`subscription or probe to ${bob} came back: remote-server-not-found`)) >= 4);
    const delays = retryDelays(log, bob).slice(0, 4);
    delays.forEach((ms, k) => assert.ok(ms >= CEILINGS_MS[k] / 2 && ms <= CEILINGS_MS[k], `retry ${k + 1} after ${ms} ms, not in [${CEILINGS_MS[k] / 2}, ${CEILINGS_MS[k]}]: ${delays}`));
    assert.ok(delays[2] > delays[0], `growing: ${delays}`);
    // the notice bounced too: sent once more, never a third time in this offline period
    assert.equal(count(log, new RegExp(`our notice to ${bob} came back`)), 2);

    // 2. bob's server becomes reachable: he logs in, his plugin approves the next retry's
    //    subscribe (its own store, configured), his presence reaches the store, the file goes
    await activateBobsHost();
    const dir = join(work, "bob");
    await mkdir(dir);
    account = await openTestAccount({ jid: bob, password: "bobpass", service: server.service, reconnect: false });
    // alice has no account here (nobody's contact): this test is about the store's retries, so
    // bob's plugin takes new files from anyone (offer-decision.ts)
    const plugin = autoTransferPlugin(account.port, {
      downloadDir: dir, preferences: { ...DEFAULT_PREFERENCES, autoReceive: true, component: d }, acceptNewFrom: { from: "anyone" },
    });
    const completed: (TransferEvent & { path?: string })[] = [];
    plugin.ft.on("transfer-completed", (e) => completed.push(e));
    await account.sendPresence();
    await until("bob's copy", () => completed.length === 1, 30_000);
    assert.equal(await sha256(completed[0].path!), forBob.sha256);
    await until("delivered in the store", () => component!.store.get(forBob.id, bob)?.state === "delivered", 10_000);
    const bobRetries = retryDelays(log, bob).length;

    // 3. carol's file expires (housekeeping, as if 8 days had passed): her retries end
    const carolBefore = retryDelays(log, carol).length;
    assert.ok(carolBefore >= 4, `carol's retries went on meanwhile: ${carolBefore}`);
    const expired = await expireUndelivered(component.store, new Date(Date.now() + 8 * DAY_MS));
    assert.deepEqual(expired.removed.map((f) => f.id), [forCarol.id]);
    await until("carol's retries ended", () => count(log, new RegExp(`nothing waits for ${carol} any more`)) === 1, 10_000);
    const carolAfter = retryDelays(log, carol).length;
    await sleep(Math.max(...CEILINGS_MS) + 1000); // longer than any retry delay
    assert.equal(retryDelays(log, carol).length, carolAfter, "no retry to carol after nothing waits");
    assert.equal(retryDelays(log, bob).length, bobRetries, "no retry to bob after his presence came");
  });
});
