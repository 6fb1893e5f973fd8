// The demo's record of what happened, filled in from the processes' own output (xft's --json
// events and stderr, the component's log), and the summary printed from it at the end. Every
// claim in the summary is a figure read there, and what the demo promised but did not see is a
// problem: the summary says so and the demo exits 1.
import type { ChildProcess } from "node:child_process";
import { access } from "node:fs/promises";
import type { DeliveredReceipt } from "@xft/protocol";
import { groupAlive, pidsMentioning } from "../harness/lifecycle.js";
import { mib } from "./screen.js";

type Cut = { user: "alice" | "bob"; at: number; after: Array<{ at: number; line: string }> };
type Timed<T> = T & { at: number };

export function newStory(size: number) {
  const cuts: Cut[] = [];
  const events = new Map<string, Array<Timed<Record<string, any>>>>();
  const storeLines: Array<{ at: number; line: string }> = [];
  return {
    size,
    sha256: "",
    received: undefined as string | undefined,
    receipt: undefined as DeliveredReceipt | undefined,
    aliceExit: undefined as number | null | undefined,
    bobBackExit: undefined as number | null | undefined,
    bobAwayAt: 0,
    bobBackAt: 0,
    /** bob's first xft, the one killed */
    killedDevice: undefined as string | undefined,
    problems: [] as string[],
    cuts,
    events,
    storeLines,
    event(name: string, e: Record<string, any>) {
      events.set(name, [...(events.get(name) ?? []), { ...e, at: Date.now() }]);
    },
    storeLog(line: string) {
      storeLines.push({ at: Date.now(), line });
    },
    cut(user: "alice" | "bob", at: number) {
      cuts.push({ user, at, after: [] });
    },
    /** an xft stderr line about its connection: kept with the user's last cut, to tell how it came back */
    connection(user: "alice" | "bob", line: string) {
      const last = cuts.filter((c) => c.user === user).at(-1);
      if (last && /connection lost|stream resumed|online again/.test(line)) last.after.push({ at: Date.now(), line });
    },
  };
}
export type Story = ReturnType<typeof newStory>;

export interface Cleanup {
  stopped: string[];
  left: string[];
}

/** Checked, not assumed: every child ended, prosody's process group is gone, no process names
 *  a temp dir on its command line, and the dirs are gone. */
export async function checkCleanedUp(children: Array<{ name: string; child: ChildProcess }>, prosody: { name: string; pid?: number }, dirs: string[]): Promise<Cleanup> {
  const stopped: string[] = [];
  const left: string[] = [];
  for (const { name, child } of children) (child.exitCode !== null || child.signalCode !== null ? stopped : left).push(`${name} (pid ${child.pid})`);
  if (prosody.pid !== undefined) (groupAlive(prosody.pid) ? left : stopped).push(`${prosody.name} (pid ${prosody.pid})`);
  for (const dir of dirs) {
    for (const pid of await pidsMentioning(dir)) left.push(`process ${pid} using ${dir}`);
    if (await access(dir).then(() => true, () => false)) left.push(`directory ${dir}`);
  }
  return { stopped, left };
}

const bytes = (n: number) => `${mib(n)} MiB (${n} bytes)`;
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** How a cut link came back, from the xft lines that followed the cut. */
function comeBack(c: Cut): string | undefined {
  const resumed = c.after.find((a) => a.line.includes("stream resumed"));
  const fresh = c.after.find((a) => a.line.includes("online again"));
  const at = (a: { at: number }) => secs(a.at - c.at);
  if (fresh && resumed) return `the stream resumed (XEP-0198) after ${at(resumed)} but did not answer (Prosody 0.12 cannot resume a stream cut mid-stanza), so a new session after ${at(fresh)}`;
  if (fresh) return `a new session after ${at(fresh)}`;
  if (resumed) return `back after ${at(resumed)}, the stream resumed (XEP-0198): ${/(\d+) stanzas re-sent/.exec(resumed.line)?.[1]} stanzas re-sent by it`;
  return undefined;
}

/** What happened, in time order, from the record; what is missing goes to problems. */
function timeline(story: Story, problems: string[]): string[] {
  const entries: Array<{ at: number; text: string }> = [];
  const alice = story.events.get("alice") ?? [];
  const back = story.events.get("bob again") ?? [];
  for (const c of story.cuts) {
    const how = comeBack(c);
    if (!how && c.user === "alice") problems.push("alice did not reconnect after her cut");
    entries.push({ at: c.at, text: `${c.user}'s link cut (TCP reset): ${how ?? "he was not back before he went offline"}` });
  }
  if (story.cuts.length !== 2) problems.push(`${story.cuts.length} cuts instead of 2`);
  for (const r of alice.filter((e) => e.type === "resumed" && !String(e.peer).startsWith("files."))) {
    entries.push({ at: r.at, text: `alice's client re-offered the rest to bob (automatic retransfer); his client (auto-receive) took it at byte ${r.offset}` });
  }
  if (story.bobAwayAt) entries.push({ at: story.bobAwayAt, text: "bob went offline (his xft killed, his connection reset)" });
  const forwarding = alice.find((e) => e.type === "forwarding");
  const stored = alice.find((e) => e.type === "stored-offline");
  if (forwarding && stored && story.aliceExit === 0) {
    entries.push({ at: forwarding.at, text: `alice's client had no confirmation within the confirm-timeout: it forwarded the file to the store (offline forward)` });
    entries.push({ at: stored.at, text: `the store holds all ${mib(story.size)} MiB, sha-256 checked: alice's xft send exited 0, stored-offline` });
  } else problems.push(`alice's send did not end stored-offline with exit 0 (exit ${story.aliceExit}, forwarding ${Boolean(forwarding)}, stored ${Boolean(stored)})`);
  // a killed device's session is kept by its server for resumption: it still looks online
  for (const { at, line } of story.storeLines.filter((l) => /delivery: .* stopped .*did not accept within/.test(l.line))) {
    const device = /to (\S+) stopped/.exec(line)?.[1];
    const which = device === story.killedDevice ? "his killed device, whose session his server keeps for resumption" : "a device that did not answer";
    entries.push({ at, text: `the store offered the file to ${device} first (${which}): no answer within the store's --delivery-confirm-timeout, so it turned to the next one online` });
  }
  if (story.bobBackAt) entries.push({ at: story.bobBackAt, text: "bob came back: a new xft receive --auto-receive in the same directory" });
  const resumed = back.find((e) => e.type === "resumed" || e.type === "started");
  if (resumed?.type === "resumed" && resumed.offset > 0) {
    entries.push({ at: resumed.at, text: `the store's delivery resumed at byte ${resumed.offset}: the ${mib(resumed.offset)} MiB bob kept from alice were not sent again` });
  } else problems.push(`the delivery did not resume bob's partial file (first event: ${JSON.stringify(resumed)})`);
  if (story.bobBackExit !== 0) problems.push(`bob's second xft receive exited with ${story.bobBackExit}`);
  const done = back.find((e) => e.type === "completed");
  if (done && story.received === story.sha256) entries.push({ at: done.at, text: `bob has holiday.bin, sha-256 verified (${story.sha256})` });
  else problems.push(`bob's file ${story.received === undefined ? "is missing" : "is not verified"}`);
  if (story.receipt) entries.push({ at: Infinity, text: `alice's phone got the store's receipt: ${story.receipt.recipient} received ${story.receipt.name}` });
  else problems.push("alice's phone got no <delivered/> receipt");
  return entries.sort((a, b) => a.at - b.at).map((e, i) => `    ${i + 1}. ${e.text}`);
}

/** Bytes sent more than once: each sender's file bytes minus what its hop needed (alice: the
 *  file once, to the store; the store: what bob was missing). What bob had from alice went to
 *  the store again: that is the offline forward's price, and counted. */
function byteCounts(story: Story, problems: string[]): string[] {
  const summary = story.events.get("alice")?.find((e) => e.type === "summary");
  const delivered = story.storeLines.map((l) => /delivered to \S+ \(began at byte (\d+), (\d+) bytes sent\)/.exec(l.line)).find(Boolean);
  if (!summary?.sentTo || !delivered) {
    problems.push("no byte counts (alice's summary event or the store's delivery line is missing)");
    return [];
  }
  const toStore = Object.entries(summary.sentTo as Record<string, number>).filter(([jid]) => jid.startsWith("files.")).reduce((a, [, n]) => a + n, 0);
  const [storeNeeded, storeSent] = [story.size - Number(delivered[1]), Number(delivered[2])];
  const [aliceTwice, storeTwice] = [summary.sent - story.size, storeSent - storeNeeded];
  const [toBob, kept] = [summary.sent - toStore, story.size - storeNeeded];
  return [
    `  bytes sent more than once: ${bytes(aliceTwice + storeTwice)}`,
    `    alice: ${bytes(summary.sent)} for a ${mib(story.size)} MiB file, ${mib(toBob)} MiB to bob and ${mib(toStore)} MiB to the store: ${bytes(aliceTwice)} more than once`
      + ` (the ${mib(kept)} MiB bob kept went to the store too; ${mib(toBob - kept)} MiB to bob were re-sent after the cuts or in flight when he went away)`,
    `    store: ${bytes(storeSent)} to bob, who was missing ${bytes(storeNeeded)}: ${bytes(storeTwice)} more than once`,
  ];
}

/** Prints the summary with `say`; returns the exit code: 0 only if everything promised happened. */
export function printSummary(story: Story, cleanup: Cleanup, wallMs: number, say: (line: string) => void): number {
  const problems = [...story.problems];
  const happened = timeline(story, problems);
  const counts = byteCounts(story, problems);
  if (cleanup.left.length) problems.push(`left behind: ${cleanup.left.join(", ")}`);
  say("\nSummary");
  say("  what happened:");
  [...happened, ...counts].forEach((l) => say(l));
  say(`  cleaned up: ${cleanup.stopped.length} processes stopped (${cleanup.stopped.join(", ")}); temp dirs removed${cleanup.left.length ? `; NOT cleaned up: ${cleanup.left.join(", ")}` : ""}`);
  say(`  wall time: ${secs(wallMs)}`);
  for (const p of problems) say(`  PROBLEM: ${p}`);
  say(problems.length ? "The demo did not show everything it should: see PROBLEM above." : "All of it happened by itself: nobody clicked retry.");
  return problems.length ? 1 : 0;
}
