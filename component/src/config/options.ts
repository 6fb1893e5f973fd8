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
import { parseSecret, resolveSecret, type SecretIo } from "./secret.js";

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
  /** undefined: any domain (only by an explicit "*"); default: the parent domain of jid */
  allowedSenderDomains?: string[];
  senderMaxFiles: number;
  senderMaxRecipientsPerHour: number;
  fileCostFloor: number;
  storeQuota: number;
  minFreeDisk: number;
  reservationIdleSeconds: number;
  /** the engine's caps on open upload sessions (protocol driver/admission.ts) */
  maxUploadsPerSender: number;
  maxUploads: number;
  expireDays: number;
  abandonHours: number;
  receiptDays: number;
  /** days a recipient's delivery state is kept once nothing waits for them and nothing changed */
  deliveryStateDays: number;
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
  /** secretFile: only a way to give `secret` (resolveSecret), not a config field */
  key: keyof ComponentConfig | "secretFile";
  /** the flag without "--", also the key in a config file */
  name: string;
  env: string;
  /** as an operator would type it; undefined: required (unless derived) */
  default?: string;
  /** a default computed from the other options, and how --help says it */
  derived?: { text: string; from(config: Partial<ComponentConfig>): unknown };
  /** how --help and the README show the default of an option that has none and is not required */
  shownAs?: string;
  meaning: string;
  parse(raw: string): unknown;
}

const sizeText = (bytes: number) =>
  bytes % GiB === 0 ? `${bytes / GiB}GiB` : bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20}MiB` : bytes % 1024 === 0 ? `${bytes / 1024}KiB` : String(bytes);
const L = STORE_DEFAULTS.limits;
/** Many senders upload at once (the bench: 100 uploads from 10 senders), so far above a client's
 *  8 per peer and 64 in all: per sender as many as sender-max-files lets wait; in all few enough
 *  that their descriptors (one file each) stay well under a common limit of 1024. */
const UPLOAD_CAPS = { perSender: L.maxFilesPerSender, total: 500 };

/** files.example.org -> example.org: the domain whose server the component is part of. */
export function parentDomain(jid: string): string {
  const dot = jid.indexOf(".");
  return dot === -1 ? jid : jid.slice(dot + 1);
}

/** What --help and the README show as an option's default. */
export const defaultText = (o: OptionSpec) => o.default ?? o.derived?.text ?? o.shownAs ?? "(required)";

export const OPTIONS: readonly OptionSpec[] = [
  { key: "jid", name: "jid", env: "XFT_COMPONENT_JID", meaning: "the component's domain, as in the server's Component entry (files.example.org)", parse: parseDomain },
  {
    key: "secret", name: "secret", env: "XFT_COMPONENT_SECRET",
    meaning: "the shared secret of that entry (XEP-0114 handshake); as a flag it is visible in ps (a warning): prefer --secret-file or the environment; none given and stdin a terminal: asked there",
    parse: parseSecret,
  },
  {
    key: "secretFile", name: "secret-file", env: "XFT_COMPONENT_SECRET_FILE", shownAs: "none",
    meaning: "a file holding the secret (one trailing newline stripped; a warning if others may read it), e.g. a docker secret",
    parse: (raw) => raw,
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
  { key: "senderQuota", name: "sender-quota", env: "XFT_SENDER_QUOTA", default: sizeText(STORE_DEFAULTS.limits.senderQuotaBytes), meaning: "bytes one sender may have waiting (declared sizes of undelivered files, each at least file-cost-floor)", parse: (r) => parseSize(r) },
  { key: "recipientQuota", name: "recipient-quota", env: "XFT_RECIPIENT_QUOTA", default: sizeText(STORE_DEFAULTS.limits.recipientQuotaBytes), meaning: "bytes that may wait for one recipient", parse: (r) => parseSize(r) },
  {
    key: "allowedSenderDomains", name: "allowed-sender-domains", env: "XFT_ALLOWED_SENDER_DOMAINS",
    derived: { text: "(the --jid's parent domain)", from: (c) => (c.jid ? [parentDomain(c.jid)] : undefined) },
    meaning: "domains whose users may leave files: a comma-separated list, or * for anyone (an open relay for strangers' files and notices: only behind other controls)", parse: parseDomainList,
  },
  { key: "senderMaxFiles", name: "sender-max-files", env: "XFT_SENDER_MAX_FILES", default: String(L.maxFilesPerSender), meaning: "files one sender may have waiting (uploads included)", parse: (r) => parseInteger(r, 1, 1_000_000) },
  { key: "senderMaxRecipientsPerHour", name: "sender-max-recipients-per-hour", env: "XFT_SENDER_MAX_RECIPIENTS_PER_HOUR", default: String(L.maxNewRecipientsPerHour), meaning: "recipients a sender may leave a first file for in any hour (each store notice and subscription goes to one)", parse: (r) => parseInteger(r, 1, 1_000_000) },
  { key: "fileCostFloor", name: "file-cost-floor", env: "XFT_FILE_COST_FLOOR", default: sizeText(L.fileCostFloorBytes), meaning: "every file counts at least this much in the quotas (a 0-byte file is not free)", parse: (r) => parseSize(r, 0, GiB) },
  { key: "storeQuota", name: "store-quota", env: "XFT_STORE_QUOTA", default: sizeText(L.storeQuotaBytes), meaning: "bytes all senders together may have waiting", parse: (r) => parseSize(r) },
  { key: "minFreeDisk", name: "min-free-disk", env: "XFT_MIN_FREE_DISK", default: sizeText(L.minFreeDiskBytes), meaning: "free space the store leaves on its disk: offers (counting live reservations) and writes that would go below it are refused; 0: not checked", parse: (r) => parseSize(r) },
  { key: "reservationIdleSeconds", name: "reservation-idle-seconds", env: "XFT_RESERVATION_IDLE_SECONDS", default: "300", meaning: "an upload with no data for this many seconds is ended and removed, its reservation freed", parse: (r) => parseInteger(r, 1, 86400) },
  { key: "maxUploadsPerSender", name: "max-uploads-per-sender", env: "XFT_MAX_UPLOADS_PER_SENDER", default: String(UPLOAD_CAPS.perSender), meaning: "uploads one sender (bare JID) may have open at once, offered or sending; more are refused with resource-constraint (wait) until one ends", parse: (r) => parseInteger(r, 1, 1_000_000) },
  { key: "maxUploads", name: "max-uploads", env: "XFT_MAX_UPLOADS", default: String(UPLOAD_CAPS.total), meaning: "uploads of all senders open at once (each holds a session and a file descriptor); more are refused with resource-constraint (wait)", parse: (r) => parseInteger(r, 1, 1_000_000) },
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
    key: "deliveryStateDays", name: "delivery-state-days", env: "XFT_DELIVERY_STATE_DAYS", default: String(HOUSEKEEPING_DEFAULTS.deliveryStateRetentionMs / DAY_MS),
    meaning: "days what was sent to a recipient (subscription, notice, the day's stanza count) is kept once no file waits for them and nothing changed; then housekeeping deletes it",
    parse: (r) => parseInteger(r, 1, 3650),
  },
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

${OPTIONS.map((o) => `  --${(o.name + " ").padEnd(26)}${(o.env + " ").padEnd(31)}default: ${defaultText(o)}\n      ${o.meaning}`).join("\n")}
  --config FILE               a JSON file of options, e.g. {"jid": "files.example.org", "max-file-size": "1GiB"}
  --help                      this text

Exit codes: 0 stopped by SIGTERM/SIGINT; 1 the store could not be opened; 2 bad options.
`;

/** The default as --help and the README show it. */

export type LoadResult =
  | { kind: "help" }
  | { kind: "config"; config: ComponentConfig; warnings: string[] }
  | { kind: "invalid"; problems: string[] }
  /** all is well but no secret was given and stdin is a terminal: ask, then load again with `prompted` */
  | { kind: "ask-secret" };

/** Reads a file as text; the CLI passes fs.readFileSync, tests a stub. */
export type ReadText = (path: string) => string;

/** Flags, environment and config file into a checked config, or every problem found (one line each). */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv, readText: ReadText, io: SecretIo = {}): LoadResult {
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
    if (o.key === "secret" || o.key === "secretFile") continue; // resolveSecret, below
    const envValue = env[o.env] === "" ? undefined : env[o.env];
    const [raw, source] =
      flags.has(o.name) ? [flags.get(o.name), `--${o.name}`]
      : envValue !== undefined ? [envValue, o.env]
      : fromFile[o.name] !== undefined ? [fromFile[o.name], `"${o.name}" in ${configFile}`]
      : [o.default, "default"];
    if (raw === undefined && o.derived) continue; // after the loop, from the others
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
  for (const o of OPTIONS) {
    if (o.derived && !(o.key in config) && config.jid !== undefined) (config as any)[o.key] = o.derived.from(config as Partial<ComponentConfig>);
  }
  const warnings: string[] = [];
  const secret = resolveSecret({ flags, env, fromFile, configFile, readText, io, problems, warnings });
  if (secret === "ask") return problems.length ? { kind: "invalid", problems } : { kind: "ask-secret" };
  config.secret = secret;
  return problems.length ? { kind: "invalid", problems } : { kind: "config", config: config as unknown as ComponentConfig, warnings };
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
