// `npm run demo`: the three options of the patent on one 20 MiB file, on loopback, nobody clicking
// retry. A throwaway Prosody, the offline store `xft-component` on it, and two users whose `xft`
// processes each reach the server through a TCP proxy that can cut their link:
//   1. alice sends to bob; her link is cut, then his (TCP resets): each comes back and the
//      transfer goes on (automatic retransfer; bob's auto-receive continues his partial file);
//   2. bob goes offline mid-file (his process killed, his connection reset): alice's client gets
//      no confirmation within --confirm-timeout and forwards the file to the store
//      (offline forward), exiting 0 with `stored-offline`;
//   3. bob comes back (`xft receive --auto-receive`): the store delivers the file, continuing the
//      part bob kept from alice, and alice's phone gets the `<delivered/>` receipt.
// Then a summary: what happened, bytes sent more than once, sha-256, and what was cleaned up
// (every process stopped, every temp dir removed: checked, not assumed). Exit 0 only if all of it
// happened; test/src/integration/demo.test.ts runs it so that it does not rot.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseDelivered, type DeliveredReceipt } from "@xft/protocol";
import type { Account } from "@xft/client-plugin/account.js";
import { startFaultProxy, type FaultProxy } from "../harness/fault-proxy.js";
import { onExit } from "../harness/lifecycle.js";
import { startProsody } from "../harness/prosody.js";
import { accountEnv, runXft, type CliRun } from "../helpers/cli.js";
import { componentEnv, runComponentBin, type ComponentRun } from "../helpers/component.js";
import { randomFile, removeDir, sha256, tempDir } from "../helpers/files.js";
import { befriendUsers } from "../helpers/roster.js";
import { byLine, createScreen } from "./screen.js";
import { checkCleanedUp, newStory, printSummary, type Story } from "./summary.js";
import { openTestAccount } from "../helpers/account.js";

const MiB = 1024 * 1024;
const SIZE = 20 * MiB;
/** short timeouts, so that the whole demo takes seconds: the defaults are for real networks */
const STALL_S = 3;
const CONFIRM_S = 3;
const DEADLINE_MS = 90_000;
const screen = createScreen();

async function main(): Promise<number> {
  const started = Date.now();
  const story = newStory(SIZE);
  const work = await tempDir("xft-demo-");
  const runs: Array<{ name: string; run: CliRun | ComponentRun }> = [];
  // on Ctrl-C (or any exit before the clean-up below), prosody's harness stops prosody; this, the rest
  const lastResort = onExit(() => {
    for (const { run } of runs) run.child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  });
  const server = await startProsody();
  const prosodyPid = server.pid;
  const proxies: FaultProxy[] = [];
  let phone: Account | undefined;
  // a demo that hangs helps nobody: past the deadline everything is stopped and it fails
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    screen.say(`*** the demo did not finish within ${DEADLINE_MS / 1000} s: stopping everything ***`);
    for (const { run } of runs) run.child.kill("SIGKILL");
  }, DEADLINE_MS);
  try {
    await play(story, { work, server, runs, proxies, setPhone: (a) => (phone = a) });
  } catch (err) {
    story.problems.push(timedOut ? "it did not finish in time" : String((err as Error)?.stack ?? err));
  } finally {
    clearTimeout(deadline);
    // every process first (SIGTERM; what still runs 5 s later gets SIGKILL), then the server
    for (const { run } of runs) if (run.child.exitCode === null && run.child.signalCode === null) run.child.kill("SIGTERM");
    const stubborn = setTimeout(() => runs.forEach(({ run }) => run.child.kill("SIGKILL")), 5000);
    await Promise.all(runs.map(({ run }) => run.exit));
    clearTimeout(stubborn);
    await phone?.close().catch(() => undefined);
    for (const p of proxies) await p.close();
    await server.stop();
    await removeDir(work);
    lastResort();
  }
  const cleanup = await checkCleanedUp(runs.map(({ name, run }) => ({ name, child: run.child })), { pid: prosodyPid, name: "prosody" }, [work, server.dir]);
  return printSummary(story, cleanup, Date.now() - started, screen.say);
}

interface Stage {
  work: string;
  server: Awaited<ReturnType<typeof startProsody>>;
  runs: Array<{ name: string; run: CliRun | ComponentRun }>;
  proxies: FaultProxy[];
  setPhone(a: Account): void;
}

async function play(story: Story, { work, server, runs, proxies, setPhone }: Stage): Promise<void> {
  const store = `files.${server.host}`;
  const jid = (u: string) => `${u}@${server.host}`;
  const who = (peer: string) => (peer.startsWith(store) ? "store" : peer.split("@")[0]);
  screen.say(`Prosody for ${server.host} on ${server.service} (data in ${server.dir}), work dir ${work}`);
  await server.register("alice", "alicepass");
  await server.register("bob", "bobpass");
  // they are each other's contacts: bob's `xft receive` takes new files, and the store's
  // deliveries, only from contacts
  await befriendUsers(accountEnv(jid("alice"), "alicepass", server.service), accountEnv(jid("bob"), "bobpass", server.service));

  // the store: a database in the work dir; a device that does not accept a delivery in 3 s is skipped
  // (--db as a flag, not only in the environment: the clean-up check finds processes by command line)
  const db = join(work, "store.sqlite");
  const component = runComponentBin(["--db", db, "--delivery-confirm-timeout", String(CONFIRM_S)], componentEnv(server, db),
    byLine((line) => {
      screen.say(`[store] ${line.replace(/^xft-component: /, "")}`);
      story.storeLog(line);
    }));
  runs.push({ name: "xft-component", run: component });
  await component.waitForLog(/online as /);

  const src = join(work, "holiday.bin");
  story.sha256 = await randomFile(src, SIZE);
  screen.say(`alice sends ${src} (20 MiB, sha-256 ${story.sha256}) to bob`);
  const link = { alice: await startFaultProxy({ host: "127.0.0.1", port: server.c2sPort }), bob: await startFaultProxy({ host: "127.0.0.1", port: server.c2sPort }) };
  proxies.push(link.alice, link.bob);
  const env = (u: "alice" | "bob") => accountEnv(jid(u), `${u}pass`, link[u].service); // the run's CA with it (TLS)
  const inbox = join(work, "bob-inbox");
  // the bars show what the receiving end holds: bob's events for the hops to bob, alice's
  // acknowledged offset for the hop to the store (whose own events are not ours to see)
  const xft = (name: string, user: "alice" | "bob", args: string[]) => {
    const run = runXft([...args, "--stall-timeout", String(STALL_S)], env(user), {
      event: (e) => {
        story.event(name, e);
        const hop = user === "alice" ? `alice -> ${who(e.peer ?? "")}` : `${who(e.peer ?? "")} -> bob`;
        const shown = user === "bob" || hop === "alice -> store";
        if (shown && (e.type === "progress" || e.type === "started" || e.type === "resumed")) screen.progress(hop, e.offset, e.size);
        if (e.type === "completed" || e.type === "forwarding") screen.end(hop);
        if (e.type === "forwarding") screen.end("alice -> bob");
        if (e.type !== "progress") screen.say(`[${name}] ${describe(e)}`);
      },
      stderr: byLine((line) => {
        story.connection(user, line);
        if (name === "bob") story.killedDevice ??= /receiving as (\S+)/.exec(line)?.[1];
        if (!line.startsWith("xft: ")) return;
        screen.say(`[${name}] ${line.slice(5)}`);
      }),
    });
    runs.push({ name, run });
    return run;
  };
  const receive = (name: string) => xft(name, "bob", ["receive", "--dir", inbox, "--count", "1", "--timeout", "60", "--auto-receive"]);

  const bob = receive("bob");
  await bob.ready();
  const alice = xft("alice", "alice", ["send", jid("bob"), src, "--confirm-timeout", String(CONFIRM_S), "--offline-forward"]);
  const over = Promise.race([alice.exit, bob.exit]);

  // 1. the two cuts, at about 4 and 8 MiB of the file (the proxies count base64 on the wire)
  if (!(await relayed(link.alice, "up", 4 * MiB, over))) throw new Error("the transfer ended before alice's cut");
  cut(story, link.alice, "alice");
  if (!(await relayed(link.bob, "down", 8 * MiB, over))) throw new Error("the transfer ended before bob's cut");
  cut(story, link.bob, "bob");
  // 2. bob's device goes away at about 12 MiB: nothing says goodbye, his server keeps his session
  if (!(await relayed(link.bob, "down", 12 * MiB, over))) throw new Error("the transfer ended before bob went offline");
  screen.say(`\n*** bob goes offline: his xft is killed (SIGKILL) and his connection reset ***`);
  bob.child.kill("SIGKILL");
  link.bob.cutAll();
  story.bobAwayAt = Date.now();
  await bob.exit;
  story.aliceExit = await alice.exit;

  // 3. alice's phone (a plain client in this process) stays online for the receipt; bob returns
  const phone = await openTestAccount({ jid: `${jid("alice")}/phone`, password: "alicepass", service: server.service, reconnect: false });
  setPhone(phone);
  const receipt = new Promise<DeliveredReceipt>((resolve) => phone.port.onMessage((m) => {
    const r = parseDelivered(m);
    if (r) resolve(r);
  }));
  await phone.sendPresence();
  screen.say(`\n*** alice's phone is online for the receipt; bob comes back: xft receive --auto-receive ***`);
  story.bobBackAt = Date.now();
  const back = receive("bob again");
  story.bobBackExit = await back.exit;
  story.received = await sha256(join(inbox, "holiday.bin")).catch(() => undefined);
  story.receipt = await Promise.race([receipt, new Promise<undefined>((r) => setTimeout(() => r(undefined), 10_000).unref())]);
  if (story.receipt) screen.say(`[alice's phone] <delivered/>: ${story.receipt.recipient} received ${story.receipt.name} (${story.receipt.size} bytes)`);
}

/** Resolves true once `fileBytes` of file went through in `direction` (4/3 of it on the wire), false if `over` came first. */
async function relayed(proxy: FaultProxy, direction: "up" | "down", fileBytes: number, over: Promise<unknown>): Promise<boolean> {
  let ended = false;
  void over.then(() => (ended = true));
  while (!ended && proxy.bytes[direction] < (fileBytes * 4) / 3) await new Promise((r) => setTimeout(r, 10));
  return !ended;
}

function cut(story: Story, proxy: FaultProxy, user: "alice" | "bob"): void {
  screen.say(`\n*** cutting ${user}'s connection (TCP reset) ***`);
  story.cut(user, Date.now());
  proxy.cutAll();
}

/** an xft event as a line of the story */
function describe(e: Record<string, any>): string {
  const at = e.offset !== undefined ? ` at byte ${e.offset}` : "";
  const to = e.peer ? ` (${e.peer})` : "";
  const why = e.reason ? `: ${e.reason}` : "";
  return `${e.type}${at}${to}${why}`;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
