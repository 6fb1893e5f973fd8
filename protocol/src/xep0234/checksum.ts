// XEP-0234 §checksum (https://xmpp.org/extensions/xep-0234.html#hash): the File Sender may send
// the file's hash in a session-info after the offer, "typically because it did not have the
// hash at the time of sending the session-initiate". That is all a <checksum/> may do: give a
// digest the offer only announced (an empty <hash/>), or add another algorithm. A digest the
// offer gave is what the receiver accepted; a checksum that names another one would let the
// sender swap the file after the offer was accepted (offer hash A, send file B, then "B"), so it
// is a failure, never a correction.
import type { Hash } from "../xep0300/hash.js";

export type ChecksumOutcome = { hashes: Hash[] } | { mismatch: string };

/** The offer's hashes with what a <checksum/> adds to them, or why the checksum contradicts them. */
export function applyChecksum(offered: readonly Hash[], announced: readonly Hash[]): ChecksumOutcome {
  const hashes = offered.map((h) => ({ ...h }));
  for (const h of announced) {
    if (h.value === "") continue; // an announcement of the algorithm only: nothing to take
    const same = hashes.find((o) => o.algo === h.algo);
    if (!same) hashes.push({ ...h });
    else if (same.value === "") same.value = h.value;
    else if (same.value !== h.value) return { mismatch: `checksum ${h.algo} ${h.value} differs from the offer's ${same.value}` };
  }
  return { hashes };
}
