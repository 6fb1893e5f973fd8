// The fixture of the hostile-receiver suites: a real server of one kind, bob's real `xft receive`
// into a fresh inbox per test, and mallory, a stranger with a raw Jingle client
// (jingle-peer.ts) that sends what the test wants. Registers its own mocha hooks; every `xft`
// run it started is killed after its test, every directory removed.
import { join } from "node:path";
import type { Account } from "@xft/client-plugin/account.js";
import { startServer, type ServerKind, type XmppServer } from "../harness/servers.js";
import { accountEnv, runXft, type CliRun } from "./cli.js";
import { removeDir, tempDir } from "./files.js";
import { jinglePeer, type JinglePeer } from "./jingle-peer.js";
import { befriendUsers } from "./roster.js";
import { openTestAccount } from "./account.js";

export interface ReceiveSuite {
  readonly server: XmppServer;
  /** this test's directory, and bob's inbox in it */
  readonly work: string;
  readonly inbox: string;
  readonly mallory: Account;
  readonly raw: JinglePeer;
  runs: CliRun[];
  env(user: string): Record<string, string>;
  bare(user: string): string;
  /** bob's `xft receive` into inbox (--count 1 unless args say), online; resolves with it and its full JID */
  receiver(...args: string[]): Promise<{ run: CliRun; jid: string }>;
}

/** users: accounts besides mallory (bob among them); contacts: pairs befriended before the tests */
export function receiveSuite(kind: ServerKind, users: string[], contacts: [string, string][] = []): ReceiveSuite {
  let server: XmppServer;
  let work: string;
  let mallory: Account;
  let raw: JinglePeer;
  const runs: CliRun[] = [];
  const env = (user: string) => accountEnv(`${user}@${server.host}`, `${user}pass`, server.service);

  before(async () => {
    server = await startServer(kind);
    for (const u of [...users, "mallory"]) await server.register(u, `${u}pass`);
    for (const [a, b] of contacts) await befriendUsers(env(a), env(b));
    mallory = await openTestAccount({ jid: `mallory@${server.host}`, password: "mallorypass", service: server.service, resource: "raw", reconnect: false });
    raw = jinglePeer(mallory);
  });
  beforeEach(async () => {
    work = await tempDir();
  });
  afterEach(async () => {
    for (const r of runs.splice(0)) if (r.child.exitCode === null && r.child.signalCode === null) r.child.kill("SIGKILL"), await r.exit;
    await removeDir(work);
  });
  after(async () => {
    await mallory?.close();
    await server?.stop();
  });

  return {
    get server() { return server; },
    get work() { return work; },
    get inbox() { return join(work, "inbox"); },
    get mallory() { return mallory; },
    get raw() { return raw; },
    runs,
    env,
    bare: (user) => `${user}@${server.host}`,
    async receiver(...args) {
      const count = args.includes("--count") ? [] : ["--count", "1"];
      const run = runXft(["receive", "--dir", join(work, "inbox"), ...count, "--timeout", "90", ...args], env("bob"));
      runs.push(run);
      await run.ready();
      return { run, jid: /receiving as (\S+)/.exec(run.stderr())![1] };
    },
  };
}
