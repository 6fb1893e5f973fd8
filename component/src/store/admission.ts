// Whether the store takes a new upload: one pure decision over what the store holds, so the
// relay and quota policies (issue 12 items 3, 4) are tested without a database or a disk.
// Each "no" is the StoreError the sender's session-initiate gets, before any session or byte.
import {
  FileTooLargeError, LowDiskSpaceError, QuotaExceededError, SenderNotAllowedError, TooManyFilesError, TooManyRecipientsError, type StoreError,
} from "./errors.js";

export interface AdmissionLimits {
  maxFileSize: number;
  senderQuotaBytes: number;
  recipientQuotaBytes: number;
  storeQuotaBytes: number;
  /** undefined: any domain */
  allowedSenderDomains?: readonly string[];
  maxFilesPerSender: number;
  maxNewRecipientsPerHour: number;
  /** every file costs at least this in every quota: 0-byte files are not free */
  fileCostFloorBytes: number;
  /** free disk that must remain once every live reservation is written; 0: not checked */
  minFreeDiskBytes: number;
}

export interface AdmissionInput {
  senderDomain: string;
  size: number;
  /** files of the sender not yet delivered, and their cost (each max(size, floor)) */
  sender: { files: number; costBytes: number };
  recipientCostBytes: number;
  storeCostBytes: number;
  /** recipients this sender first left a file for within the last hour */
  newRecipientsLastHour: number;
  /** the sender has (or had, receipts included) a file for this recipient */
  knownRecipient: boolean;
  /** free bytes on the store's disk, and bytes live reservations have yet to write */
  disk?: { freeBytes: number; pendingBytes: number };
}

export const costOf = (size: number, floor: number) => Math.max(size, floor);

/** undefined: admitted; else the refusal. */
export function decideAdmission(input: AdmissionInput, limits: AdmissionLimits): StoreError | undefined {
  const allowed = limits.allowedSenderDomains;
  if (allowed && !allowed.includes(input.senderDomain)) return new SenderNotAllowedError(input.senderDomain);
  if (input.size > limits.maxFileSize) return new FileTooLargeError(input.size, limits.maxFileSize);
  if (input.sender.files >= limits.maxFilesPerSender) return new TooManyFilesError(limits.maxFilesPerSender);
  if (!input.knownRecipient && input.newRecipientsLastHour >= limits.maxNewRecipientsPerHour) {
    return new TooManyRecipientsError(limits.maxNewRecipientsPerHour);
  }
  const cost = costOf(input.size, limits.fileCostFloorBytes);
  if (input.sender.costBytes + cost > limits.senderQuotaBytes) return new QuotaExceededError("sender", input.sender.costBytes, limits.senderQuotaBytes);
  if (input.recipientCostBytes + cost > limits.recipientQuotaBytes) {
    return new QuotaExceededError("recipient", input.recipientCostBytes, limits.recipientQuotaBytes);
  }
  if (input.storeCostBytes + cost > limits.storeQuotaBytes) return new QuotaExceededError("store", input.storeCostBytes, limits.storeQuotaBytes);
  if (input.disk && limits.minFreeDiskBytes > 0 && input.disk.freeBytes - input.disk.pendingBytes - input.size < limits.minFreeDiskBytes) {
    return new LowDiskSpaceError(limits.minFreeDiskBytes);
  }
  return undefined;
}
