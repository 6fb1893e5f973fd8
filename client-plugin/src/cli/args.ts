// Command-line parsing for `xft`: a small, strict parser (unknown flags are usage errors, exit 2).
import type { NewFilePolicy } from "../offer-decision.js";
import { decideSecretSource, type SecretSource } from "@xft/protocol/secrets/source.js";
import { DEFAULT_PARTIAL_DAYS } from "@xft/protocol/driver/stale-partials.js";
import { parseAssignment, parsePreferenceValue, PreferenceError, type PreferenceKey, type Preferences } from "../prefs/preferences.js";

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface CommonOptions {
  jid: string;
  /** where the password comes from; main() reads the file or asks at the terminal */
  password: PasswordSource;
  service?: string;
  json: boolean;
  blockSize?: number;
  window?: number;
  /** seconds without progress before a transfer counts as interrupted */
  stallTimeout?: number;
  /** --ca / XFT_CA: a PEM file of CAs to trust besides Node's roots */
  ca?: string;
  /** --insecure / XFT_INSECURE=1: no certificate check, plaintext allowed (main() warns) */
  insecure: boolean;
}

/** Per-run preference overrides from flags: only the flags given have a key. */
export interface OverrideOptions {
  overrides: Partial<Preferences>;
}

/** the password itself (from --password or XFT_PASSWORD), a file to read, or a terminal prompt */
export type PasswordSource = Extract<SecretSource, { kind: "value" | "file" | "prompt" }>;

export type Command =
  /** send, or resume (a re-offer marked as continuing an earlier transfer: `continues`) */
  | ({ command: "send"; to: string; file: string; continues?: string } & CommonOptions & OverrideOptions)
  /** senders: who may send new files (default: the roster's contacts; --from, --accept-from-anyone) */
  | ({ command: "receive"; dir: string; count: number; timeout?: number; partialDays: number; senders: Exclude<NewFilePolicy, "ask">; caps: ReceiveCaps } & CommonOptions & OverrideOptions)
  /** prints stored preferences merged with the overrides: what a send or receive would use */
  | ({ command: "prefs"; action: "get" } & CommonOptions & OverrideOptions)
  /** the KEY=VALUE assignments, validated; `component` present with undefined: unset it */
  | ({ command: "prefs"; action: "set"; assignments: Partial<Preferences> } & CommonOptions)
  | { command: "help" };

/** receive: the engine's caps on open receiving sessions (admission.ts); undefined: its default */
export interface ReceiveCaps {
  maxOffersPerPeer?: number;
  maxOffers?: number;
}

const VALUE_FLAGS = new Set(["--jid", "--password", "--password-file", "--service", "--dir", "--count", "--timeout", "--block-size", "--window", "--stall-timeout", "--sid", "--partial-days", "--max-offers-per-peer", "--max-offers", "--ca"]);
const RECEIVE_ONLY = ["--max-offers-per-peer", "--max-offers"];
const BOOL_FLAGS = new Set(["--json", "--help", "-h", "--insecure"]);

// Preference overrides: --NAME / --no-NAME for the booleans, --NAME VALUE for the others. The
// last of --x / --no-x wins, like most CLIs.
const OVERRIDE_SWITCHES: ReadonlySet<PreferenceKey> = new Set(["auto-retransfer", "auto-receive", "offline-forward"]);
const OVERRIDE_VALUES: ReadonlySet<PreferenceKey> = new Set(["confirm-timeout", "component"]);

function overrideFlag(name: string): { key: PreferenceKey; value?: boolean } | undefined {
  const bare = name.replace(/^--(no-)?/, "") as PreferenceKey;
  if (OVERRIDE_SWITCHES.has(bare)) return { key: bare, value: !name.startsWith("--no-") };
  if (OVERRIDE_VALUES.has(bare) && name === `--${bare}`) return { key: bare };
  return undefined;
}

function overrideValue(key: PreferenceKey, raw: string): Partial<Preferences> {
  try {
    return parsePreferenceValue(key, raw);
  } catch (err) {
    if (err instanceof PreferenceError) throw new UsageError(`--${err.message}`);
    throw err;
  }
}

function positiveInt(flag: string, raw: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw ?? "") || n < min || n > max) throw new UsageError(`${flag} needs a whole number from ${min} to ${max}`);
  return n;
}

// receive: who may send new files (issue 12 item 8). --from repeats, so these are taken out of
// the arguments before the parser below, which keeps one value per flag.
const BARE_JID = /^[^@/\s]+@[^@/\s]+$/;

function takeSenderFlags(argv: string[]): { argv: string[]; only: string[]; anyone: boolean } {
  const rest: string[] = [];
  const only: string[] = [];
  let anyone = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--accept-from-anyone") anyone = true;
    else if (a.startsWith("--accept-from-anyone=")) throw new UsageError("--accept-from-anyone takes no value");
    else if (a === "--from" || a.startsWith("--from=")) {
      const jid = a === "--from" ? argv[++i] : a.slice("--from=".length);
      if (jid === undefined || !BARE_JID.test(jid)) throw new UsageError("--from needs a bare JID like alice@example.org");
      only.push(jid.toLowerCase());
    } else rest.push(a);
  }
  return { argv: rest, only, anyone };
}

function envSwitch(name: string, value: string | undefined): boolean {
  if (value === undefined || value === "" || value === "0") return false;
  if (value === "1") return true;
  throw new UsageError(`${name} must be 1 or 0`);
}

/** `interactive`: stdin is a terminal, where a password given no other way is asked for. */
export function parseArgs(allArgs: string[], env: NodeJS.ProcessEnv = process.env, interactive = false): Command {
  const { argv, ...senderFlags } = takeSenderFlags(allArgs);
  const positional: string[] = [];
  const flags = new Map<string, string>();
  const overrides: Partial<Preferences> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const override = overrideFlag(name);
    if (override?.value !== undefined) {
      if (inline !== undefined) throw new UsageError(`${name} takes no value (--${override.key} or --no-${override.key})`);
      Object.assign(overrides, overrideValue(override.key, String(override.value)));
    } else if (override) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      Object.assign(overrides, overrideValue(override.key, value));
    } else if (BOOL_FLAGS.has(name)) flags.set(name, "true");
    else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      flags.set(name, value);
    } else throw new UsageError(`unknown option ${name}`);
  }
  const [command, ...rest] = positional;
  if (flags.has("--help") || flags.has("-h") || command === undefined || command === "help") return { command: "help" };
  if (command !== "receive" && (senderFlags.only.length || senderFlags.anyone)) throw new UsageError("--from and --accept-from-anyone are receive options");
  const misplaced = RECEIVE_ONLY.find((f) => flags.has(f));
  if (command !== "receive" && misplaced) throw new UsageError(`${misplaced} is a receive option`);

  const jid = flags.get("--jid") ?? env.XFT_JID;
  if (!jid || !jid.includes("@")) throw new UsageError("--jid (or XFT_JID) must be an account like alice@example.org");
  const password = decideSecretSource({
    what: "password", interactive,
    flag: { name: "--password", value: flags.get("--password") },
    fileFlag: { name: "--password-file", value: flags.get("--password-file") },
    env: { name: "XFT_PASSWORD", value: env.XFT_PASSWORD },
    envFile: { name: "XFT_PASSWORD_FILE", value: env.XFT_PASSWORD_FILE },
  });
  if (password.kind === "missing" || password.kind === "conflict") throw new UsageError(password.problem);
  const service = flags.get("--service") ?? env.XFT_SERVICE;
  if (service !== undefined && !/^xmpp:\/\/[^/:]+(:\d+)?\/?$/.test(service)) throw new UsageError("--service must look like xmpp://host:port");
  const ca = flags.get("--ca") ?? (env.XFT_CA || undefined);
  if (ca === "") throw new UsageError("--ca needs a file");
  const common: CommonOptions = {
    jid, password, service, json: flags.has("--json"), ca, insecure: flags.has("--insecure") || envSwitch("XFT_INSECURE", env.XFT_INSECURE),
    blockSize: flags.has("--block-size") ? positiveInt("--block-size", flags.get("--block-size"), 1, 32767) : undefined,
    window: flags.has("--window") ? positiveInt("--window", flags.get("--window"), 1, 256) : undefined,
    stallTimeout: flags.has("--stall-timeout") ? positiveInt("--stall-timeout", flags.get("--stall-timeout"), 1, 86_400) : undefined,
  };

  if (command === "send" || command === "resume") {
    if (rest.length !== 2) throw new UsageError(`usage: xft ${command} TO_JID FILE`);
    const [to, file] = rest;
    if (!to.includes("@") && !to.includes(".")) throw new UsageError(`${to} is not a JID`);
    const sid = flags.get("--sid");
    if (sid !== undefined && !/^[\x21-\x7e]{1,64}$/.test(sid)) throw new UsageError("--sid must be 1 to 64 printable characters");
    // a manual resume is an offer marked as a continuation, so that an auto-receiving peer takes it
    const continues = command === "resume" ? sid ?? "manual-resume" : undefined;
    return { command: "send", to, file, continues, overrides, ...common };
  }
  if (command === "receive") {
    if (rest.length !== 0) throw new UsageError("usage: xft receive --dir DIR [--count N] [--timeout S] [--from JID]... [--accept-from-anyone] [--partial-days N]");
    const dir = flags.get("--dir");
    if (!dir) throw new UsageError("receive needs --dir DIR");
    const count = flags.has("--count") ? positiveInt("--count", flags.get("--count")) : 1;
    const timeout = flags.has("--timeout") ? positiveInt("--timeout", flags.get("--timeout")) : undefined;
    const senders = { from: senderFlags.anyone ? "anyone" : "contacts", ...(senderFlags.only.length ? { only: senderFlags.only } : {}) } as const;
    // 0: never remove stale partials; at most ten years
    const partialDays = flags.has("--partial-days") ? positiveInt("--partial-days", flags.get("--partial-days"), 0, 3650) : DEFAULT_PARTIAL_DAYS;
    const caps = receiveCaps(flags);
    return { command: "receive", dir, count, timeout, partialDays, senders, caps, overrides, ...common };
  }
  if (command === "prefs") return parsePrefs(rest, common, overrides);
  throw new UsageError(`unknown command ${command} (send, resume, receive, prefs)`);
}

/** The engine needs the total above what it keeps for contacts (16): at least 17. */
function receiveCaps(flags: Map<string, string>): ReceiveCaps {
  const caps: ReceiveCaps = {};
  if (flags.has("--max-offers-per-peer")) caps.maxOffersPerPeer = positiveInt("--max-offers-per-peer", flags.get("--max-offers-per-peer"), 1, 10_000);
  if (flags.has("--max-offers")) caps.maxOffers = positiveInt("--max-offers", flags.get("--max-offers"), 17, 100_000);
  return caps;
}

function parsePrefs(rest: string[], common: CommonOptions, overrides: Partial<Preferences>): Command {
  const [action, ...assignments] = rest;
  if (action === "get") {
    if (assignments.length) throw new UsageError("usage: xft prefs get (with override flags to preview them)");
    return { command: "prefs", action: "get", overrides, ...common };
  }
  if (action === "set") {
    if (!assignments.length) throw new UsageError("usage: xft prefs set KEY=VALUE... (keys: auto-retransfer, auto-receive, offline-forward, confirm-timeout, component)");
    if (Object.keys(overrides).length) throw new UsageError("prefs set takes KEY=VALUE, not override flags");
    const changes: Partial<Preferences> = {};
    for (const text of assignments) {
      try {
        Object.assign(changes, parseAssignment(text));
      } catch (err) {
        if (err instanceof PreferenceError) throw new UsageError(err.message);
        throw err;
      }
    }
    return { command: "prefs", action: "set", assignments: changes, ...common };
  }
  throw new UsageError("usage: xft prefs get | xft prefs set KEY=VALUE...");
}

export const HELP = `xft: self-recovering XMPP file transfer (Jingle File Transfer over In-Band Bytestreams)

  xft send TO_JID FILE                          offer FILE; recovers from interruptions as the preferences
                                                say; exits 0 when the receiver confirmed all of it, or
                                                the offline store holds all of it (stored-offline)
  xft resume TO_JID FILE [--sid SID]            the manual retry after a prompt: offer FILE again as the
                                                continuation of an interrupted transfer
  xft receive --dir DIR [--count N] [--timeout S]  take N verified files into DIR, then exit 0; new files only
                                                from the roster's contacts; a declined offer or a failed
                                                transfer is an event and the receiver goes on
    --from JID                                  only from this bare JID (repeatable; narrows the contacts,
                                                or with --accept-from-anyone names the senders)
    --accept-from-anyone                        new files from anyone, not only contacts
    --partial-days N                            remove parts nobody resumed for N days (at start, then
                                                hourly; default 7, 0: never)
    --max-offers-per-peer N                     open receiving sessions (offered, not yet done) one
                                                sender may have; more are refused with
                                                resource-constraint (default 8)
    --max-offers N                              the same for all senders together, 17.., of which 16
                                                are kept for contacts (default 64)
  xft prefs get                                 print the preferences in effect, one KEY=VALUE per line
  xft prefs set KEY=VALUE...                    change the stored preferences (every device of the account sees them)

Options (also from the environment):
  --jid JID            account (XFT_JID)
  --password-file F    read the password from file F, one trailing newline stripped (XFT_PASSWORD_FILE)
  --password PW        the password itself: visible to every local user in ps, so a warning;
                       prefer the file or XFT_PASSWORD. None of them: asked at the terminal
  --service URI        xmpp://host:port, default: the JID's domain, port 5222 (XFT_SERVICE)
  --ca FILE            trust the CA certificates in FILE (PEM) besides the system's, e.g. a private
                       server's own CA (XFT_CA). TLS (STARTTLS) is required except to a loopback address
  --insecure           no certificate check, and plaintext allowed where the server offers no TLS: the
                       password may cross in clear; a warning says so (XFT_INSECURE=1)
  --json               one JSON object per event on stdout (prefs: one object)
  --block-size N       largest IBB block in bytes (1..32767, default 32766)
  --window N           IBB blocks in flight (default 16)
  --stall-timeout S    seconds without progress before a transfer counts as interrupted (default 30)

Preferences (stored on the server in XEP-0049 private storage; these flags override them for one
run of send, receive or prefs get, which then shows what a run with them would use):
  --[no-]auto-retransfer  sender: re-offer the rest of a file after an interruption (default on)
  --[no-]auto-receive     receiver: take continuations of accepted files without asking (default off)
  --[no-]offline-forward  sender: hand an unconfirmed file to the offline store (default on)
  --confirm-timeout S     seconds to wait for the receiver's confirmation, 1..86400 (default 60)
  --component JID         the offline store; '' or unset: discovered on the account's server
  Keys for prefs set: auto-retransfer, auto-receive, offline-forward (true|false), confirm-timeout,
  component (component= unsets it).

Exit codes: 0 done, 1 transfer or preferences failed (receive: --timeout before N files), 2 usage
error, 3 could not connect or log in, 4 TLS refused: the server's certificate is not trusted, or the
server offers no TLS on a non-loopback address (nothing was sent: no password, no file).`;
