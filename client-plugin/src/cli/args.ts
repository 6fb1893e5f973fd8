// Command-line parsing for `xft`: a small, strict parser (unknown flags are usage errors, exit 2).

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export interface CommonOptions {
  jid: string;
  password: string;
  service?: string;
  json: boolean;
  blockSize?: number;
  window?: number;
}

export type Command =
  | ({ command: "send"; to: string; file: string } & CommonOptions)
  | ({ command: "receive"; dir: string; count: number; timeout?: number } & CommonOptions)
  | { command: "help" };

const VALUE_FLAGS = new Set(["--jid", "--password", "--service", "--dir", "--count", "--timeout", "--block-size", "--window"]);
const BOOL_FLAGS = new Set(["--json", "--help", "-h"]);

function positiveInt(flag: string, raw: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw);
  if (!/^[0-9]+$/.test(raw ?? "") || n < min || n > max) throw new UsageError(`${flag} needs a whole number from ${min} to ${max}`);
  return n;
}

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): Command {
  const positional: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (BOOL_FLAGS.has(name)) flags.set(name, "true");
    else if (VALUE_FLAGS.has(name)) {
      const value = inline ?? argv[++i];
      if (value === undefined) throw new UsageError(`${name} needs a value`);
      flags.set(name, value);
    } else throw new UsageError(`unknown option ${name}`);
  }
  const [command, ...rest] = positional;
  if (flags.has("--help") || flags.has("-h") || command === undefined || command === "help") return { command: "help" };

  const jid = flags.get("--jid") ?? env.XFT_JID;
  const password = flags.get("--password") ?? env.XFT_PASSWORD;
  if (!jid || !jid.includes("@")) throw new UsageError("--jid (or XFT_JID) must be an account like alice@example.org");
  if (password === undefined) throw new UsageError("--password (or XFT_PASSWORD) is required");
  const service = flags.get("--service") ?? env.XFT_SERVICE;
  if (service !== undefined && !/^xmpp:\/\/[^/:]+(:\d+)?\/?$/.test(service)) throw new UsageError("--service must look like xmpp://host:port");
  const common: CommonOptions = {
    jid, password, service, json: flags.has("--json"),
    blockSize: flags.has("--block-size") ? positiveInt("--block-size", flags.get("--block-size"), 1, 32767) : undefined,
    window: flags.has("--window") ? positiveInt("--window", flags.get("--window"), 1, 256) : undefined,
  };

  if (command === "send") {
    if (rest.length !== 2) throw new UsageError("usage: xft send TO_JID FILE");
    const [to, file] = rest;
    if (!to.includes("@") && !to.includes(".")) throw new UsageError(`${to} is not a JID`);
    return { command: "send", to, file, ...common };
  }
  if (command === "receive") {
    if (rest.length !== 0) throw new UsageError("usage: xft receive --dir DIR [--count N] [--timeout S]");
    const dir = flags.get("--dir");
    if (!dir) throw new UsageError("receive needs --dir DIR");
    const count = flags.has("--count") ? positiveInt("--count", flags.get("--count")) : 1;
    const timeout = flags.has("--timeout") ? positiveInt("--timeout", flags.get("--timeout")) : undefined;
    return { command: "receive", dir, count, timeout, ...common };
  }
  throw new UsageError(`unknown command ${command} (send, receive)`);
}

export const HELP = `xft: self-recovering XMPP file transfer (Jingle File Transfer over In-Band Bytestreams)

  xft send TO_JID FILE                          offer FILE; exits 0 when the receiver confirmed all of it
  xft receive --dir DIR [--count N] [--timeout S]  accept N files into DIR; exits 0 when all are verified

Options (also from the environment):
  --jid JID            account (XFT_JID)
  --password PW        password (XFT_PASSWORD)
  --service URI        xmpp://host:port, default: the JID's domain, port 5222 (XFT_SERVICE)
  --json               one JSON object per event on stdout
  --block-size N       largest IBB block in bytes (1..32767, default 32766)
  --window N           IBB blocks in flight (default 16)

Exit codes: 0 done, 1 transfer failed, 2 usage error, 3 could not connect or log in.`;
