import assert from "node:assert/strict";
import { decideAdmission, type AdmissionInput, type AdmissionLimits } from "./admission.js";
import { LowDiskSpaceError, QuotaExceededError, SenderNotAllowedError, TooManyFilesError, TooManyRecipientsError, FileTooLargeError } from "./errors.js";

const KiB = 1024;
const LIMITS: AdmissionLimits = {
  maxFileSize: 1000 * KiB, senderQuotaBytes: 1000 * KiB, recipientQuotaBytes: 500 * KiB, storeQuotaBytes: 2000 * KiB,
  allowedSenderDomains: ["example.org"], maxFilesPerSender: 3, maxNewRecipientsPerHour: 2, fileCostFloorBytes: 64 * KiB, minFreeDiskBytes: 100 * KiB,
};
const OK: AdmissionInput = {
  senderDomain: "example.org", size: 10, sender: { files: 0, costBytes: 0 }, recipientCostBytes: 0, storeCostBytes: 0,
  newRecipientsLastHour: 0, knownRecipient: false, disk: { freeBytes: 10_000 * KiB, pendingBytes: 0 },
};
const decide = (over: Partial<AdmissionInput>, limits: Partial<AdmissionLimits> = {}) => decideAdmission({ ...OK, ...over }, { ...LIMITS, ...limits });
const refusal = (over: Partial<AdmissionInput>, limits: Partial<AdmissionLimits> = {}) => {
  const err = decide(over, limits);
  assert.ok(err, "expected a refusal");
  return err;
};

describe("store admission (decideAdmission)", () => {
  it("admits a file within every limit", () => {
    assert.equal(decide({}), undefined);
  });

  it("domain: only the allowed ones, as auth/forbidden; any domain when no list", () => {
    const err = refusal({ senderDomain: "evil.example" });
    assert.ok(err instanceof SenderNotAllowedError);
    assert.deepEqual([err.type, err.condition], ["auth", "forbidden"]);
    assert.equal(decide({ senderDomain: "evil.example" }, { allowedSenderDomains: undefined }), undefined);
  });

  it("size above maxFileSize: not-acceptable", () => {
    assert.ok(refusal({ size: 1000 * KiB + 1 }) instanceof FileTooLargeError);
  });

  it("files waiting per sender: the limit-th is the last", () => {
    assert.equal(decide({ sender: { files: 2, costBytes: 0 } }), undefined);
    const err = refusal({ sender: { files: 3, costBytes: 0 } });
    assert.ok(err instanceof TooManyFilesError);
    assert.deepEqual([err.type, err.condition], ["wait", "resource-constraint"]);
  });

  it("new recipients per hour: a known recipient is not new", () => {
    assert.equal(decide({ newRecipientsLastHour: 1 }), undefined);
    assert.ok(refusal({ newRecipientsLastHour: 2 }) instanceof TooManyRecipientsError);
    assert.equal(decide({ newRecipientsLastHour: 2, knownRecipient: true }), undefined);
  });

  it("the floor: a 0-byte file costs fileCostFloorBytes in every quota", () => {
    // 1000 KiB quota: 15 files of 64 KiB are 960 KiB, a 16th 0-byte file does not fit
    const err = refusal({ size: 0, sender: { files: 0, costBytes: 960 * KiB + 1 } });
    assert.ok(err instanceof QuotaExceededError && err.scope === "sender");
    assert.equal(decide({ size: 0, sender: { files: 0, costBytes: 936 * KiB } }), undefined);
    assert.ok(refusal({ size: 0, recipientCostBytes: 500 * KiB - 64 * KiB + 1 }) instanceof QuotaExceededError);
    assert.equal(decide({ size: 0, sender: { files: 0, costBytes: 960 * KiB + 1 } }, { fileCostFloorBytes: 0 }), undefined);
  });

  it("store-wide quota: resource-constraint, scope store", () => {
    const err = refusal({ size: 100 * KiB, storeCostBytes: 1901 * KiB });
    assert.ok(err instanceof QuotaExceededError && err.scope === "store");
    assert.deepEqual([err.type, err.condition], ["wait", "resource-constraint"]);
  });

  it("free disk: what live reservations have yet to write counts as used; 0 turns it off", () => {
    assert.equal(decide({ size: 500 * KiB, disk: { freeBytes: 600 * KiB, pendingBytes: 0 } }), undefined);
    const err = refusal({ size: 500 * KiB, disk: { freeBytes: 600 * KiB, pendingBytes: 1 } });
    assert.ok(err instanceof LowDiskSpaceError);
    assert.deepEqual([err.type, err.condition], ["wait", "resource-constraint"]);
    assert.equal(decide({ size: 500 * KiB, disk: { freeBytes: 0, pendingBytes: 0 } }, { minFreeDiskBytes: 0 }), undefined);
  });
});
