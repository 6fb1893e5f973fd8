// The store's options, declared once with their defaults and bounds and checked at start-up
// (Prosody's module:get_option_integer(name, default, min)).
import { statfs } from "node:fs/promises";
import type { AdmissionLimits } from "./admission.js";
import { DAY_MS as DAY, HOUR_MS as HOUR } from "../time.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** What admission.ts checks; quotas count each undelivered file at max(size, fileCostFloorBytes). */
export type StoreLimits = AdmissionLimits;

export interface StoreOptions {
  /** the SQLite file; the bytes go in a directory beside it, `${path}-files/` */
  path: string;
  /** the clock, for created_at / updated_at / expires_at; default () => new Date() */
  now?: () => Date;
  limits?: Partial<StoreLimits>;
  /** an undelivered file expires this long after its upload began; default 7 days */
  expireAfterMs?: number;
  /** commit an upload's offset (after fdatasync) once this many bytes are unsynced; default 1 MiB */
  syncEveryBytes?: number;
  /** flush and close an upload's file this long after its last append; default 2 s */
  idleCloseMs?: number;
  /** bytes per chunk of readStream; default 256 KiB */
  readChunkSize?: number;
  /** SQLite busy timeout; default 5000 ms */
  busyTimeoutMs?: number;
  /** free bytes on the disk holding dir (fs.statfs); for tests */
  freeDiskBytes?: (dir: string) => Promise<number>;
}

export type ResolvedStoreOptions = Required<Omit<StoreOptions, "limits">> & { limits: StoreLimits };

async function statfsFree(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

export const STORE_DEFAULTS = {
  limits: {
    maxFileSize: 4 * GiB, senderQuotaBytes: 10 * GiB, recipientQuotaBytes: 10 * GiB, storeQuotaBytes: 50 * GiB,
    maxFilesPerSender: 100, maxNewRecipientsPerHour: 20, fileCostFloorBytes: 64 * KiB, minFreeDiskBytes: GiB,
  } as StoreLimits,
  expireAfterMs: 7 * DAY,
  syncEveryBytes: MiB,
  idleCloseMs: 2000,
  readChunkSize: 256 * KiB,
  busyTimeoutMs: 5000,
};

function int(name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`store option ${name} must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

export function resolveStoreOptions(options: StoreOptions): ResolvedStoreOptions {
  const limits = options.limits ?? {};
  const d = STORE_DEFAULTS;
  const domains = limits.allowedSenderDomains;
  if (domains !== undefined && (!Array.isArray(domains) || domains.some((x) => typeof x !== "string" || x === ""))) {
    throw new RangeError("store option limits.allowedSenderDomains must be a list of domain names");
  }
  return {
    path: options.path,
    now: options.now ?? (() => new Date()),
    limits: {
      maxFileSize: int("limits.maxFileSize", limits.maxFileSize, d.limits.maxFileSize, 0),
      senderQuotaBytes: int("limits.senderQuotaBytes", limits.senderQuotaBytes, d.limits.senderQuotaBytes, 0),
      recipientQuotaBytes: int("limits.recipientQuotaBytes", limits.recipientQuotaBytes, d.limits.recipientQuotaBytes, 0),
      storeQuotaBytes: int("limits.storeQuotaBytes", limits.storeQuotaBytes, d.limits.storeQuotaBytes, 0),
      maxFilesPerSender: int("limits.maxFilesPerSender", limits.maxFilesPerSender, d.limits.maxFilesPerSender, 1),
      maxNewRecipientsPerHour: int("limits.maxNewRecipientsPerHour", limits.maxNewRecipientsPerHour, d.limits.maxNewRecipientsPerHour, 1),
      fileCostFloorBytes: int("limits.fileCostFloorBytes", limits.fileCostFloorBytes, d.limits.fileCostFloorBytes, 0),
      minFreeDiskBytes: int("limits.minFreeDiskBytes", limits.minFreeDiskBytes, d.limits.minFreeDiskBytes, 0),
      allowedSenderDomains: domains?.map((x) => x.toLowerCase().replace(/\.$/, "")),
    },
    expireAfterMs: int("expireAfterMs", options.expireAfterMs, d.expireAfterMs, 1000),
    syncEveryBytes: int("syncEveryBytes", options.syncEveryBytes, d.syncEveryBytes, 1, GiB),
    idleCloseMs: int("idleCloseMs", options.idleCloseMs, d.idleCloseMs, 1, HOUR),
    readChunkSize: int("readChunkSize", options.readChunkSize, d.readChunkSize, KiB, 16 * MiB),
    busyTimeoutMs: int("busyTimeoutMs", options.busyTimeoutMs, d.busyTimeoutMs, 0, 10 * 60_000),
    freeDiskBytes: options.freeDiskBytes ?? statfsFree,
  };
}
