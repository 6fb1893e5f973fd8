#!/usr/bin/env node
// `xft`: send and receive files with the engine, and read or change the user's recovery
// preferences (XEP-0049 private storage), from a shell. A contract other tools use: command
// names, flags, JSON event fields and exit codes stay stable.
import { stat } from "node:fs/promises";
import { ensureReceiveDir, type FileTransfer, type TransferEvent } from "@xft/protocol";
import { openAccount, splitJid, type Account } from "../account.js";
import { autoTransferPlugin } from "../plugin.js";
import { isFullJid } from "../resolve-peer.js";
import {
  DEFAULT_PREFERENCES, formatPreferences, mergeOverrides, PreferenceError, preferencesToJson, type Preferences,
} from "../prefs/preferences.js";
import { preferencesStore } from "../prefs/store.js";
import { createContacts } from "../roster/roster.js";
import { discoverComponent } from "../xep0030/discover-component.js";
import { readSecretFile, SecretFileError } from "@xft/protocol/secrets/file.js";
import { PromptCancelled, promptSecret } from "@xft/protocol/secrets/prompt.js";
import { HELP, parseArgs, UsageError, type Command, type PasswordSource } from "./args.js";
import { createRenderer, type CliEvent } from "./render.js";
import { onStopSignals } from "./signals.js";
import { INSECURE_WARNING, loadTlsOptions, tlsRefusalMessage } from "./tls-options.js";
import type { TlsOptions } from "../entity/starttls.js";

const EXIT = { ok: 0, failed: 1, usage: 2, connect: 3, tls: 4 } as const;

/** The engine of this run (send or receive), for a signal to end its sessions. */
let engine: FileTransfer | undefined;

function wire(ft: FileTransfer, render: (e: CliEvent) => void, names: Map<string, string>, opts: { only?: "sending" } = {}) {
  const toCli = (type: CliEvent["type"]) => (e: TransferEvent & { path?: string }) => {
    if (opts.only === "sending" && e.sending === false) return;
    // a sender's own failures are told once, by the recovery's final outcome
    if (opts.only === "sending" && type === "failed") return;
    render({ type, offset: e.offset, size: e.size, sha256: e.sha256, name: names.get(e.sid) ?? e.name, path: e.path, peer: e.peer, reason: e.reason, ...(e.unverified ? { unverified: true } : {}) });
  };
  ft.on("transfer-started", toCli("started"));
  ft.on("transfer-resumed", toCli("resumed"));
  ft.on("transfer-progress", toCli("progress"));
  ft.on("transfer-interrupted", toCli("interrupted"));
  ft.on("transfer-completed", toCli("completed"));
  ft.on("transfer-failed", toCli("failed"));
  // receive: an offer the policy declined (answered with <decline/>), or a pull the peer declined
  if (opts.only !== "sending") ft.on("transfer-declined", (e) => render({ type: "declined", offset: e.offset, size: e.size, name: e.name, peer: e.peer, reason: e.reason }));
  ft.on("partial-rejected", (e) => render({ type: "partial-rejected", offset: e.held, peer: e.peer, reason: e.reason }));
  if (opts.only !== "sending") ft.on("offer-refused", (e) => render({ type: "refused", name: e.name, peer: e.peer, condition: e.condition, reason: e.reason }));
}

const warn = (message: string) => process.stderr.write(`xft: warning: ${message}\n`);
const ignoredValue = (err: PreferenceError) => warn(`stored preference ignored, using its default: ${err.message}`);

/**
 * The preferences a send or receive runs with: the stored ones (read once at login) merged
 * with this run's override flags. Storage trouble must not stop a transfer: warn, use defaults.
 */
async function effectivePreferences(account: Account, overrides: Partial<Preferences>): Promise<Preferences> {
  let stored: Preferences;
  try {
    stored = await preferencesStore(account.port).load(ignoredValue);
  } catch (err: any) {
    warn(`${err?.message ?? err}; using the defaults`);
    stored = { ...DEFAULT_PREFERENCES };
  }
  return mergeOverrides(stored, overrides);
}

function printPreferences(p: Preferences, json: boolean): void {
  process.stdout.write(json ? JSON.stringify(preferencesToJson(p)) + "\n" : formatPreferences(p).join("\n") + "\n");
}

async function prefs(cmd: Extract<Command, { command: "prefs" }>, account: Account): Promise<number> {
  const store = preferencesStore(account.port);
  try {
    const stored = await store.load(ignoredValue);
    if (cmd.action === "get") {
      printPreferences(mergeOverrides(stored, cmd.overrides), cmd.json);
      return EXIT.ok;
    }
    const wanted = mergeOverrides(stored, cmd.assignments);
    await store.save(wanted);
    // print what the server gives back, not what we sent: a server that drops content shows here
    const saved = await store.load(ignoredValue);
    printPreferences(saved, cmd.json);
    if (JSON.stringify(preferencesToJson(saved)) !== JSON.stringify(preferencesToJson(wanted))) {
      process.stderr.write("xft: the server did not keep the preferences as written\n");
      return EXIT.failed;
    }
    return EXIT.ok;
  } catch (err: any) {
    process.stderr.write(`xft: ${err?.message ?? err}\n`);
    return EXIT.failed;
  }
}

/**
 * send (and resume): the file goes to the receiver and recovers by itself as the preferences say.
 * Exit 0 once the receiver confirmed all of it, or the offline store holds all of it, checked.
 */
async function send(cmd: Extract<Command, { command: "send" }>, account: Account, render: (e: CliEvent) => void): Promise<number> {
  const preferences = await effectivePreferences(account, cmd.overrides);
  const plugin = autoTransferPlugin(account.port, {
    blockSize: cmd.blockSize, window: cmd.window, stallTimeout: cmd.stallTimeout, preferences, network: account.network,
    // no component preference: the store is the one our own server lists (XEP-0030)
    findComponent: () => discoverComponent(account.port, splitJid(account.jid).domain),
  });
  engine = plugin.ft;
  const names = new Map<string, string>();
  wire(plugin.ft, render, names, { only: "sending" });
  // To a bare JID the device is found by presence too (resolve-peer.ts): our available presence
  // makes the server send us the recipient's. Priority -1: a sending run takes no messages meant
  // for the user's other clients (RFC 6121 §8.5.2.1.1).
  if (!isFullJid(cmd.to)) await account.sendPresence({ priority: -1 });
  const r = await plugin.sendFile(cmd.to, cmd.file, { continues: cmd.continues });
  r.on("session", (t) => names.set(t.sid, cmd.file));
  r.on("forwarding", (e) => render({ type: "forwarding", offset: e.offset, name: cmd.file, reason: e.reason }));
  // a prompt is where a person decides (option off, or nobody confirmed): this run ends there,
  // and `xft resume` is the retry, taken up from the receiver's byte
  const prompted = new Promise<{ outcome: "failed"; offset: number; reason: string; reOffers: number }>((resolve) =>
    plugin.events.once("prompt", (p) => {
      render({ type: "prompt", offset: p.offset, name: cmd.file, peer: p.peer, reason: `${p.reason} (retry: xft resume ${cmd.to} ${cmd.file})` });
      resolve({ outcome: "failed", offset: p.offset, reason: p.reason, reOffers: 0 });
    }),
  );
  const final = await Promise.race([r.done, prompted]);
  if (final.outcome === "stored-offline") render({ type: "stored-offline", offset: final.offset, name: cmd.file, reason: final.reason });
  if (final.outcome === "failed") render({ type: "failed", offset: final.offset, name: cmd.file, reason: final.reason });
  const size = (await stat(cmd.file)).size;
  const sent = plugin.ft.stats.bytesSent;
  render({
    type: "summary", name: cmd.file, sent, sentTo: Object.fromEntries(plugin.ft.stats.sentTo),
    reason: `${final.outcome}; re-offers: ${final.reOffers}; ${sent} bytes sent for ${size} (${Math.max(0, sent - size)} more than once)`,
  });
  return final.outcome === "failed" ? EXIT.failed : EXIT.ok;
}

/**
 * receive: takes new files from the senders cmd.senders names (default: the roster's contacts),
 * continuations as auto-receive says, each decided once by the plugin (offer-decision.ts); there
 * is nobody to ask, so what would be asked is declined. A declined offer or a failed transfer is
 * an event and the run goes on: exit 0 after cmd.count verified files, 1 at --timeout.
 */
async function receive(cmd: Extract<Command, { command: "receive" }>, account: Account, render: (e: CliEvent) => void): Promise<number> {
  await ensureReceiveDir(cmd.dir);
  const preferences = await effectivePreferences(account, cmd.overrides);
  const plugin = autoTransferPlugin(account.port, {
    blockSize: cmd.blockSize, window: cmd.window, stallTimeout: cmd.stallTimeout, ...cmd.caps, acceptProposals: () => true, preferences,
    network: account.network, downloadDir: cmd.dir, partialDays: cmd.partialDays, contacts: createContacts(account.port), acceptNewFrom: cmd.senders,
    // the store on our own server delivers files left for us: its subscription is approved
    findComponent: () => discoverComponent(account.port, splitJid(account.jid).domain),
  });
  engine = plugin.ft;
  const names = new Map<string, string>();
  wire(plugin.ft, render, names);
  let completed = 0;
  return new Promise<number>((resolve) => {
    plugin.events.on("prompt", (p) => render({ type: "prompt", offset: p.offset, name: p.name, peer: p.peer, reason: p.reason }));
    plugin.events.on("auto-accepted", (offer) => names.set(offer.sid, offer.file.name ?? ""));
    // only files received and verified count: a completion is always of an offer the plugin took
    plugin.ft.on("transfer-completed", (e) => {
      if (!e.sending && ++completed >= cmd.count) resolve(EXIT.ok);
    });
    if (cmd.timeout) setTimeout(() => {
      render({ type: "failed", reason: `timeout: ${completed}/${cmd.count} files after ${cmd.timeout} s` });
      resolve(EXIT.failed);
    }, cmd.timeout * 1000).unref();
    // available presence: messages to our bare JID (XEP-0353 proposals) reach this device
    account.sendPresence().then(
      () => process.stderr.write(`xft: receiving as ${account.jid} into ${cmd.dir}\n`),
      (err) => render({ type: "failed", reason: `cannot send presence: ${err?.message ?? err}` }),
    );
  });
}

/** The password from where parseArgs said (the reasons: secrets/source.ts); bad files are usage errors. */
async function readPassword(source: PasswordSource, jid: string): Promise<string> {
  try {
    if (source.kind === "prompt") return await promptSecret(`xft: password for ${jid}: `);
    const { value, warning } = source.kind === "file" ? readSecretFile(source.path, source.from) : source;
    if (warning) warn(warning);
    return value;
  } catch (err) {
    if (err instanceof SecretFileError) throw new UsageError(err.message);
    if (err instanceof PromptCancelled) throw new UsageError("no password given");
    throw err;
  }
}

export async function main(argv: string[]): Promise<number> {
  let cmd: Command;
  let password = "";
  let tls: TlsOptions = {};
  try {
    cmd = parseArgs(argv, process.env, Boolean(process.stdin.isTTY));
    if (cmd.command === "send") {
      const st = await stat(cmd.file).catch(() => undefined);
      if (!st?.isFile()) throw new UsageError(`${cmd.file}: no such file`);
    }
    if (cmd.command !== "help") {
      tls = loadTlsOptions(cmd);
      password = await readPassword(cmd.password, cmd.jid);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`xft: ${err.message}\n`);
      return EXIT.usage;
    }
    throw err;
  }
  if (cmd.command === "help") {
    process.stdout.write(HELP + "\n");
    return EXIT.ok;
  }
  const render = createRenderer({ json: cmd.json, tty: Boolean(process.stdout.isTTY) });
  if (tls.insecure) warn(INSECURE_WARNING);
  let account: Account;
  try {
    account = await openAccount({ jid: cmd.jid, password, service: cmd.service, tls });
  } catch (err: any) {
    const refusal = tlsRefusalMessage(err);
    if (refusal) {
      process.stderr.write(`xft: cannot log in as ${cmd.jid}: ${refusal}\n`);
      return EXIT.tls;
    }
    process.stderr.write(`xft: cannot log in as ${cmd.jid}: ${err?.message ?? err}\n`);
    return EXIT.connect;
  }
  // the connection's own story, on stderr: a resumed stream (XEP-0198) loses nothing in flight
  let closing = false;
  account.xmpp.on("disconnect", () => closing || process.stderr.write("xft: connection lost, reconnecting\n"));
  account.xmpp.on("online", () => process.stderr.write(`xft: online again as ${account.jid} (a new session)\n`));
  account.xmpp.streamManagement?.on("resumed", (i: { resent: number }) => process.stderr.write(`xft: stream resumed (XEP-0198), ${i.resent} stanzas re-sent\n`));
  const ignoreSignals = onStopSignals(async (signal) => {
    closing = true;
    render({ type: "stopping", reason: `${signal}: ending the transfers (partial files kept), going offline` });
    await engine?.goOffline(`xft stopped by ${signal}`);
    await account.close();
  }, (code) => process.exit(code));
  try {
    if (cmd.command === "prefs") return await prefs(cmd, account);
    return cmd.command === "send" ? await send(cmd, account, render) : await receive(cmd, account, render);
  } finally {
    ignoreSignals();
    closing = true;
    await account.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`xft: ${err?.stack ?? err}\n`);
    process.exit(EXIT.failed);
  },
);
