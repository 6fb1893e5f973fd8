// Offered names we refuse outright. A receiver keeps its partial downloads beside the files as
// NAME.<token>.xft-part with a NAME.<token>.xft-part.json record (files.ts): a file that arrived
// under such a name would be taken for one of them (resumed into, listed, removed as stale), so
// it is refused when offered, before anything is accepted. Case-insensitive, as the file
// systems of macOS and Windows are; checked on the name as it would be stored, so invisible
// characters or trailing blanks after the suffix do not hide it.
import { ProtocolError } from "../errors/stanza-error.js";
import { sanitizeFileName } from "../xep0234/file-name.js";
import { META_SUFFIX, PART_SUFFIX } from "./files.js";

const RESERVED = [PART_SUFFIX, META_SUFFIX].map((s) => s.toLowerCase());

/** Whether a sanitised name ends like one of our part files or their records. */
export function isReservedFileName(safeName: string): boolean {
  const lower = safeName.toLowerCase();
  return RESERVED.some((suffix) => lower.endsWith(suffix));
}

/** RFC 6120 §8.3.3.9: the offer does not meet our criteria; the sender can offer another name. */
export function reservedNameRefusal(offeredName: unknown): ProtocolError | undefined {
  const safe = sanitizeFileName(offeredName);
  if (!isReservedFileName(safe)) return undefined;
  return new ProtocolError("modify", "not-acceptable", `a file may not be named like a partial download (*${PART_SUFFIX}, *${META_SUFFIX}): ${JSON.stringify(safe)}`);
}

/** Throws the refusal of an offered name, if it is refused (for a session-initiate's reply). */
export function refuseReservedFileName(offeredName: unknown): void {
  const refusal = reservedNameRefusal(offeredName);
  if (refusal) throw refusal;
}
