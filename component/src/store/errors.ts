// The store's domain errors, one registry, each mapped to its stanza error (RFC 6120 §8.3):
// the XMPP layer answers `err.toElement()` for any StoreError (as Prosody's
// mod_http_file_share maps its `errors.init` registry). Conditions follow Prosody and
// XEP-0363 §5 where they overlap: file too large = modify/not-acceptable, quota =
// wait/resource-constraint, access = auth/forbidden.
import { ProtocolError, type ErrorType } from "@xft/protocol/errors/stanza-error.js";

export abstract class StoreError extends ProtocolError {
  constructor(type: ErrorType, condition: string, message: string, options?: { cause?: unknown }) {
    super(type, condition, message);
    this.name = new.target.name;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** A missing id, or one the requester may not see: both get exactly this (RFC 6120 §8.3.3.7). */
export class NotFoundError extends StoreError {
  constructor() {
    super("cancel", "item-not-found", "no such file");
  }
}

/** Malformed input: a JID, hash, size or offset that cannot be right. */
export class BadRequestError extends StoreError {
  constructor(message: string) {
    super("modify", "bad-request", message);
  }
}

/** The name ends like a receiver's partial download (NAME.xft-part, NAME.xft-part.json). */
export class ReservedNameError extends StoreError {
  constructor(readonly fileName: string) {
    super("modify", "not-acceptable", `a file may not be named like a partial download (*.xft-part, *.xft-part.json): ${JSON.stringify(fileName)}`);
  }
}

/** The declared size is above the configured maximum. */
export class FileTooLargeError extends StoreError {
  constructor(readonly size: number, readonly maxFileSize: number) {
    super("modify", "not-acceptable", `file of ${size} bytes is larger than the ${maxFileSize} bytes allowed`);
  }
}

/** Accepting this file would put the sender or the recipient over its quota; retry later. */
export class QuotaExceededError extends StoreError {
  constructor(readonly scope: "sender" | "recipient" | "store", readonly usedBytes: number, readonly quotaBytes: number) {
    super("wait", "resource-constraint", `${scope} quota of ${quotaBytes} bytes exceeded (${usedBytes} in use)`);
  }
}

/** The sender already has maxFilesPerSender files waiting. */
export class TooManyFilesError extends StoreError {
  constructor(readonly limit: number) {
    super("wait", "resource-constraint", `you have ${limit} files waiting here already, the most one sender may have`);
  }
}

/** The sender has left files for maxNewRecipientsPerHour new recipients in the last hour. */
export class TooManyRecipientsError extends StoreError {
  constructor(readonly limit: number) {
    super("wait", "resource-constraint", `you left files for ${limit} new recipients in the last hour, the most allowed; try later`);
  }
}

/** Taking the file would leave less than minFreeDiskBytes free on the store's disk. */
export class LowDiskSpaceError extends StoreError {
  constructor(readonly minFreeBytes: number) {
    super("wait", "resource-constraint", `the store's disk is nearly full (it keeps ${minFreeBytes} bytes free); try later`);
  }
}

/** The sender's domain is not in allowedSenderDomains. */
export class SenderNotAllowedError extends StoreError {
  constructor(readonly domain: string) {
    super("auth", "forbidden", "this service does not store files from your domain");
  }
}

/** An append that does not start at the current end: resume at `expectedOffset`. */
export class OffsetMismatchError extends StoreError {
  constructor(readonly offset: number, readonly expectedOffset: number) {
    super("modify", "unexpected-request", `append at ${offset}, the upload continues at ${expectedOffset}`);
  }
}

/** An append that would carry the upload past its declared size. */
export class BeyondSizeError extends StoreError {
  constructor(readonly end: number, readonly size: number) {
    super("cancel", "not-acceptable", `data up to byte ${end} is beyond the declared size of ${size}`);
  }
}

/** append/finishUpload on a file that is no longer being uploaded. */
export class NotUploadingError extends StoreError {
  constructor(readonly state: string) {
    super("cancel", "unexpected-request", `the upload is already ${state}`);
  }
}

/** finishUpload before all the bytes came: resume at `offset`. */
export class IncompleteUploadError extends StoreError {
  constructor(readonly offset: number, readonly size: number) {
    super("modify", "unexpected-request", `only ${offset} of ${size} bytes were received`);
  }
}

/** The stored bytes do not hash to the declared SHA-256; the upload was discarded. */
export class HashMismatchError extends StoreError {
  constructor(readonly expected: string, readonly actual: string) {
    super("cancel", "not-acceptable", `the data does not match the declared sha-256 (${expected}, got ${actual}); upload discarded`);
  }
}

/** The disk failed us (ENOSPC and EDQUOT are a resource constraint, anything else a server error). */
export class StorageFailedError extends StoreError {
  constructor(message: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const full = code === "ENOSPC" || code === "EDQUOT";
    super("wait", full ? "resource-constraint" : "internal-server-error", `${message}: ${code ?? String(cause)}`, { cause });
  }
}
