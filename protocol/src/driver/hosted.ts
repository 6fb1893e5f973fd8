// The files we offered, by peer: what a peer may pull back (XEP-0234 §requesting: the receiver
// of an interrupted offer asks for the rest). Never any other file on disk. Issue 12 item 13: in
// the long-running component every delivery added an entry that nothing removed, so entries go
// once their transfer completed (the peer confirmed the whole file: nothing left to pull), after
// a time to live, and the oldest first when there are more than a bound.
import type { SessionContext, TransferEvent } from "../session/types.js";
import type { FileDescription } from "../xep0234/file.js";
import { HASH_ALGO, sha256Of } from "../xep0300/hash.js";
import type { LocalFile } from "./files.js";
import { bare } from "../xml/jid.js";

export interface HostedOptions {
  /** seconds a file we offered stays pullable by its peer after the offer; 0: until completed
   *  or pushed out by maxHosted. Default 86400 (24 h): a receiver that was cut off comes back well
   *  within that, and a later pull is answered with file-not-available */
  hostedTtl?: number;
  /** files we offered that stay pullable at once, over all peers; past it the oldest offer goes.
   *  Default 1000 */
  maxHosted?: number;
}

export const HOSTED_DEFAULTS = { hostedTtl: 86_400, maxHosted: 1000 };

/** Insertion order is offer order (an offer again moves its entry to the end), so the oldest come first. */
export class HostedFiles {
  private readonly files = new Map<string, { local: LocalFile; offeredAt: number }>();

  constructor(
    private readonly limits: Required<HostedOptions>,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(limits.maxHosted) || limits.maxHosted < 1) throw new RangeError(`maxHosted must be a whole number >= 1, not ${limits.maxHosted}`);
    if (!(limits.hostedTtl >= 0)) throw new RangeError(`hostedTtl must be >= 0, not ${limits.hostedTtl}`);
  }

  get size(): number {
    return this.files.size;
  }

  /** We offered `local` to `peer` (bare JID): it may pull it from now on. */
  offered(peer: string, local: LocalFile): void {
    const key = keyOf(peer, local.sha256);
    this.files.delete(key);
    this.files.set(key, { local, offeredAt: this.now() });
    this.prune();
  }

  /** The file `peer` may pull by its sha-256, if it is still hosted. */
  find(peer: string, sha256: string): LocalFile | undefined {
    this.prune();
    return this.files.get(keyOf(peer, sha256))?.local;
  }

  /** `peer` confirmed the whole file: there is nothing left for it to pull. */
  completed(peer: string, sha256: string | undefined): void {
    if (sha256 !== undefined) this.files.delete(keyOf(peer, sha256));
  }

  /** A session announced `event`: a file we sent and the peer confirmed is done with. */
  ended(ctx: Pick<SessionContext, "sending" | "peer" | "file">, event: TransferEvent["type"]): void {
    if (event === "completed" && ctx.sending) this.completed(bare(ctx.peer), sha256Of(ctx.file.hashes));
  }

  /** Drops the expired entries (all at the front) and the oldest past the bound. */
  private prune(): void {
    const expiredBefore = this.limits.hostedTtl > 0 ? this.now() - this.limits.hostedTtl * 1000 : -Infinity;
    for (const [key, entry] of this.files) {
      if (this.files.size <= this.limits.maxHosted && entry.offeredAt > expiredBefore) break;
      this.files.delete(key);
    }
  }
}

const keyOf = (peer: string, sha256: string) => `${peer}|${sha256}`;

/** What a pull of a hosted file is answered with: the file as we have it, whatever the request said. */
export function descriptionOf(local: LocalFile): FileDescription {
  return { name: local.name, size: local.size, date: local.date, mediaType: "application/octet-stream", hashes: [{ algo: HASH_ALGO, value: local.sha256 }], extensions: [] };
}
