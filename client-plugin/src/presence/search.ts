// One search for the resource of a bare JID that can take a file: the resources presence shows
// (cache.ts), their features (features.ts), the choice (choose.ts), done again whenever that
// JID's presence changes while the search runs. The caller bounds it (resolve-peer.ts).
import { bare } from "@xft/protocol";
import type { PresenceCache } from "./cache.js";
import { chooseResource, type Candidate, type Choice } from "./choose.js";
import type { FeatureLookup } from "./features.js";

export interface ResourceSearch {
  /** resolves with the full JID chosen, once one is; never rejects */
  readonly found: Promise<string>;
  /** what is known now (a failure's reason when the caller's bound ends) */
  verdict(): Choice;
  /** stops following presence; `found` then stays pending */
  stop(): void;
}

export function searchResource(cache: PresenceCache, lookup: FeatureLookup, to: string, ourJid: string, refused: ReadonlySet<string> = new Set()): ResourceSearch {
  const wanted = bare(to);
  /** `${jid} ${caps ver}` -> what it speaks, as far as answered */
  const features = new Map<string, Candidate["features"]>();
  let last: Choice = { type: "pending" };
  let stopped = false;
  let resolve!: (jid: string) => void;
  const found = new Promise<string>((r) => (resolve = r));

  const evaluate = () => {
    if (stopped) return;
    // never ourselves: a resource cannot send a file to itself
    const candidates = cache.resources(wanted).filter((r) => r.jid.toLowerCase() !== ourJid.toLowerCase()).map((r): Candidate => {
      const key = `${r.jid} ${r.caps?.ver ?? ""}`;
      if (!features.has(key)) {
        features.set(key, "pending");
        void lookup.featuresOf(r.jid, r.caps).then((f) => {
          features.set(key, f);
          evaluate();
        });
      }
      return { jid: r.jid, priority: r.priority, since: r.since, seen: r.seen, features: features.get(key)!, refused: refused.has(r.jid) };
    });
    last = chooseResource(candidates);
    if (last.type === "chosen") resolve(last.jid);
  };
  const onChange = (jid: string) => {
    if (jid === wanted) evaluate();
  };
  cache.events.on("changed", onChange);
  evaluate();
  return {
    found,
    verdict: () => last,
    stop() {
      stopped = true;
      cache.events.off("changed", onChange);
    },
  };
}
