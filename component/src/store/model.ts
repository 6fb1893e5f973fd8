// The store's public record types, and how rows become them.
import type { FileRow, FileState, UsageRow } from "./queries.js";

export type { FileState };

export interface UploadRequest {
  /** bare or full JID; stored bare */
  sender: string;
  /** bare or full JID; only this bare JID will ever receive the file */
  recipient: string;
  /** the sender's file name; sanitized, only ever shown / offered to the recipient */
  name: string;
  size: number;
  /** base64 SHA-256 of the whole file (XEP-0300) */
  sha256: string;
  /** default application/octet-stream */
  mediaType?: string;
}

export interface UploadHandle {
  id: string;
  /** where the next append must start: 0 for a new upload, the bytes already held when resuming */
  offset: number;
  /** true if an unfinished upload of the same sender, recipient, sha-256 and size was reused */
  resumed: boolean;
}

export interface StoredFile {
  id: string;
  sender: string;
  recipient: string;
  name: string;
  size: number;
  sha256: string;
  mediaType: string;
  state: FileState;
  /** upload offset committed to the database (durable) */
  bytesReceived: number;
  /** bytes the recipient confirmed holding: resume delivery here */
  deliveredOffset: number;
  createdAt: Date;
  updatedAt: Date;
  expiresAt: Date;
  deliveredAt?: Date;
}

/** What the sender is told once the recipient has the file. */
export interface Receipt {
  id: string;
  sender: string;
  recipient: string;
  name: string;
  size: number;
  sha256: string;
  deliveredAt: Date;
}

export interface Usage {
  files: number;
  /** declared sizes of files not yet delivered: what quotas count */
  reservedBytes: number;
  /** bytes held on disk for them */
  storedBytes: number;
}

export function toStoredFile(row: FileRow): StoredFile {
  return {
    id: row.id,
    sender: row.sender,
    recipient: row.recipient,
    name: row.name,
    size: row.size,
    sha256: row.sha256,
    mediaType: row.media_type,
    state: row.state,
    bytesReceived: row.bytes_received,
    deliveredOffset: row.delivered_offset,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    expiresAt: new Date(row.expires_at),
    ...(row.delivered_at === null ? {} : { deliveredAt: new Date(row.delivered_at) }),
  };
}

export function toReceipt(row: FileRow): Receipt {
  return {
    id: row.id,
    sender: row.sender,
    recipient: row.recipient,
    name: row.name,
    size: row.size,
    sha256: row.sha256,
    deliveredAt: new Date(row.delivered_at ?? row.updated_at),
  };
}

export function toUsage(row: UsageRow | undefined): Usage {
  return { files: row?.files ?? 0, reservedBytes: row?.reserved_bytes ?? 0, storedBytes: row?.stored_bytes ?? 0 };
}

/** Delivery's state for one recipient (delivery/plan.ts decides it; times in ms since the epoch). */
export interface RecipientDeliveryState {
  /** our last subscription request */
  subscribeSentAt?: number;
  /** we have seen their presence, so our subscription is approved */
  approvedAt?: number;
  probeSentAt?: number;
  /** the notice of the current offline period; cleared when we see them available */
  noticeSentAt?: number;
  /** our subscribe, probe or notice bounced: retrying */
  retry?: RetryState;
  /** subscribes + probes + notices sent on budget.day */
  budget?: Budget;
}

export interface RetryState {
  /** retries sent so far */
  attempt: number;
  /** when the retry outstanding is due; undefined: none is (the last one's bounce is awaited) */
  dueAt?: number;
  /** the notice bounced: the next retry sends it again */
  resendNotice: boolean;
  /** it was sent again once already in this offline period */
  noticeResent: boolean;
}

export interface Budget {
  /** the UTC day (ms since the epoch / one day, floored) that `used` counts */
  day: number;
  used: number;
}
