// Every option of `xft-component`, declared once: name (the flag, and the key in a --config JSON
// file), environment variable, default and parser with its bounds. Help text, README table and
// validation all come from this list (Prosody's module:get_option_integer(name, default, min)).
import cron from "node-cron";
import { STORE_DEFAULTS } from "../store/config.js";
import { DEFAULT_HOUSEKEEPING_CRON } from "../housekeeping/schedule.js";
import { HOUSEKEEPING_DEFAULTS } from "../housekeeping/jobs.js";
import { OptionValueError, parseDomain, parseDomainList, parseInteger, parseService, parseSize } from "./units.js";
import { DAY_MS } from "../time.js";
import { MAX_STANZAS_PER_DAY } from "../delivery/budget.js";

const GiB = 2 ** 30;

export interface ComponentConfig {
  /** our domain, the server's Component entry */
  jid: string;
  secret: string;
  service: string;
  /** the SQLite file; bytes go in `${db}-files/` */
  db: string;
  maxFileSize: number;
  senderQuota: number;
  recipientQuota: number;
  /** undefined: any domain */
  allowedSenderDomains?: string[];
  expireDays: number;
  abandonHours: number;
  receiptDays: number;
  deliveryConfirmSeconds: number;
  /** first and largest delay between subscription retries after a bounce */
  resubscribeMinSeconds: number;
  resubscribeMaxSeconds: number;
  // delivery (delivery/budget.ts)
  /** subscribes + probes + notices to one recipient per UTC day */
  deliveryMaxStanzasPerDay: number;
  housekeepingCron: string;
}

export interface OptionSpec {
  key: keyof ComponentConfig;
  /** the flag without "--", also the key in a config file */
  name: string;
  env: string;
  /** as an operator would type it; undefined: required */
  default?: string;
  meaning: string;
  parse(raw: string): unknown;
}

const sizeText = (bytes: number) => (bytes % GiB === 0 ? `${bytes / GiB}GiB` : String(bytes));

export const OPTIONS: readonly OptionSpec[] = [
  { key: "jid", name: "jid", env: "XFT_COMPONENT_JID", meaning: "the component's domain, as in the server's Component entry (files.example.org)", parse: parseDomain },
  {
    key: "secret", name: "secret", env: "XFT_COMPONENT_SECRET", meaning: "the shared secret of that entry (XEP-0114 handshake)",
    parse: (raw) => {
      if (raw === "") throw new OptionValueError("must not be empty");
      return raw;
    },
  },
  { key: "service", name: "service", env: "XFT_COMPONENT_SERVICE", default: "xmpp://127.0.0.1:5347", meaning: "the server's component listener", parse: parseService },
  {
    key: "db", name: "db", env: "XFT_DB", default: "xft-component.sqlite", meaning: "SQLite metadata file; the files go in the directory DB-files/ beside it",
    parse: (raw) => {
      if (raw.trim() === "") throw new OptionValueError("must be a file path");
      return raw;
    },
  },
  { key: "maxFileSize", name: "max-file-size", env: "XFT_MAX_FILE_SIZE", default: sizeText(STORE_DEFAULTS.limits.maxFileSize), meaning: "largest file accepted (binary units: K, MiB, G...)", parse: (r) => parseSize(r) },
  { key: "senderQuota", name: "sender-quota", env: "XFT_SENDER_QUOTA", default: sizeText(STORE_DEFAULTS.limits.senderQuotaBytes), meaning: "bytes one sender may have waiting (declared sizes of undelivered files)", parse: (r) => parseSize(r) },
  { key: "recipientQuota", name: "recipient-quota", env: "XFT_RECIPIENT_QUOTA", default: sizeText(STORE_DEFAULTS.limits.recipientQuotaBytes), meaning: "bytes that may wait for one recipient", parse: (r) => parseSize(r) },
  { key: "allowedSenderDomains", name: "allowed-sender-domains", env: "XFT_ALLOWED_SENDER_DOMAINS", default: "*", meaning: "domains whose users may leave files: * or a comma-separated list", parse: parseDomainList },
  { key: "expireDays", name: "expire-days", env: "XFT_EXPIRE_DAYS", default: String(STORE_DEFAULTS.expireAfterMs / DAY_MS), meaning: "an undelivered file is deleted this many days after its upload began", parse: (r) => parseInteger(r, 1, 3650) },
  { key: "abandonHours", name: "abandon-hours", env: "XFT_ABANDON_HOURS", default: String(HOUSEKEEPING_DEFAULTS.abandonAfterMs / 3600_000), meaning: "an unfinished upload with no data for this many hours is deleted", parse: (r) => parseInteger(r, 1, 24 * 3650) },
  { key: "deliveryConfirmSeconds", name: "delivery-confirm-timeout", env: "XFT_DELIVERY_CONFIRM_TIMEOUT", default: "30", meaning: "seconds a recipient's device has to accept a delivery before the next device online (or the next login) gets it", parse: (r) => parseInteger(r, 1, 86400) },
  { key: "resubscribeMinSeconds", name: "resubscribe-min-seconds", env: "XFT_RESUBSCRIBE_MIN_SECONDS", default: "5", meaning: "when a subscription to a recipient with waiting files bounces (their server unreachable), the first retry comes within this many seconds, each next one within twice as long", parse: (r) => parseInteger(r, 1, 86400) },
  { key: "resubscribeMaxSeconds", name: "resubscribe-max-seconds", env: "XFT_RESUBSCRIBE_MAX_SECONDS", default: "900", meaning: "the longest wait between subscription retries", parse: (r) => parseInteger(r, 1, 86400) },
  // delivery: what one recipient can be sent (delivery/budget.ts)
  {
    key: "deliveryMaxStanzasPerDay", name: "delivery-max-stanzas-per-day", env: "XFT_DELIVERY_MAX_STANZAS_PER_DAY", default: String(MAX_STANZAS_PER_DAY),
    meaning: "most subscription requests, probes and notices sent to one recipient per UTC day, whatever the number of files or senders; over it they wait for the next day",
    parse: (r) => parseInteger(r, 2, 10_000),
  },
  { key: "receiptDays", name: "receipt-days", env: "XFT_RECEIPT_DAYS", default: String(HOUSEKEEPING_DEFAULTS.receiptRetentionMs / DAY_MS), meaning: "days a delivery receipt is kept for the sender", parse: (r) => parseInteger(r, 0, 3650) },
  {
    key: "housekeepingCron", name: "housekeeping-cron", env: "XFT_HOUSEKEEPING_CRON", default: DEFAULT_HOUSEKEEPING_CRON, meaning: "when housekeeping runs (cron, UTC; an optional leading seconds field)",
    parse: (raw) => {
      if (!cron.validate(raw)) throw new OptionValueError(`must be a cron expression such as "*/15 * * * *", got ${JSON.stringify(raw)}`);
      return raw;
    },
  },
];

export const HELP = `xft-component: the offline file store, an XMPP external component (XEP-0114)

usage: xft-component [--config FILE] [--NAME VALUE]...

Each option comes from, first to last: its flag (--NAME VALUE or --NAME=VALUE), its environment
variable, the JSON object in --config FILE (keys are the NAMEs), its default.

${OPTIONS.map((o) => `  --${o.name.padEnd(26)}${o.env.padEnd(31)}default: ${o.default ?? "(required)"}\n      ${o.meaning}`).join("\n")}
  --config FILE               a JSON file of options, e.g. {"jid": "files.example.org", "max-file-size": "1GiB"}
  --help                      this text

Exit codes: 0 stopped by SIGTERM/SIGINT; 1 the store could not be opened; 2 bad options.
`;

export type LoadResult = { kind: "help" } | { kind: "config"; config: ComponentConfig } | { kind: "invalid"; problems: string[] };

/** Reads a file as text; the CLI passes fs.readFileSync, tests a stub. */
export type ReadText = (path: string) => string;

/** Flags, environment and config file into a checked config, or every problem found (one line each). */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv, readText: ReadText): LoadResult {
  const problems: string[] = [];
  const flags = new Map<string, string>();
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") return { kind: "help" };
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) {
      problems.push(`unexpected argument ${JSON.stringify(arg)} (options are --NAME VALUE)`);
      continue;
    }
    const [, name, inline] = m;
    if (name !== "config" && !OPTIONS.some((o) => o.name === name)) {
      problems.push(`unknown option --${name} (see --help)`);
      if (inline === undefined && argv[i + 1] !== undefined && !argv[i + 1].startsWith("--")) i++;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) problems.push(`--${name} needs a value`);
    else if (name === "config") configFile = value;
    else flags.set(name, value);
  }

  const fromFile = configFile === undefined ? {} : readConfigFile(configFile, readText, problems);
  const config: Record<string, unknown> = {};
  for (const o of OPTIONS) {
    const envValue = env[o.env] === "" ? undefined : env[o.env];
    const [raw, source] =
      flags.has(o.name) ? [flags.get(o.name), `--${o.name}`]
      : envValue !== undefined ? [envValue, o.env]
      : fromFile[o.name] !== undefined ? [fromFile[o.name], `"${o.name}" in ${configFile}`]
      : [o.default, "default"];
    if (raw === undefined) {
      problems.push(`--${o.name} (or ${o.env}) is required: ${o.meaning}`);
      continue;
    }
    try {
      config[o.key] = o.parse(raw);
    } catch (err) {
      if (!(err instanceof OptionValueError)) throw err;
      problems.push(`--${o.name}${source === `--${o.name}` ? "" : ` (from ${source})`} ${err.message}`);
    }
  }
  return problems.length ? { kind: "invalid", problems } : { kind: "config", config: config as unknown as ComponentConfig };
}

// JSON values may be strings or numbers (lists as arrays too); they go through the same parsers.
function readConfigFile(file: string, readText: ReadText, problems: string[]): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readText(file));
  } catch (err: any) {
    problems.push(`--config ${file}: ${err?.code === "ENOENT" ? "no such file" : err?.message ?? err}`);
    return {};
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    problems.push(`--config ${file}: must hold one JSON object of options`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!OPTIONS.some((o) => o.name === key)) problems.push(`--config ${file}: unknown option "${key}" (see --help)`);
    else if (typeof value === "string") out[key] = value;
    else if (typeof value === "number") out[key] = String(value);
    else if (Array.isArray(value) && value.every((v) => typeof v === "string")) out[key] = value.join(",");
    else problems.push(`--config ${file}: "${key}" must be a string or a number`);
  }
  return out;
}
