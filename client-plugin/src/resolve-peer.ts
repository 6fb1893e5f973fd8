// Turns the address a user typed into the full JID a Jingle session needs.
import { randomBytes } from "node:crypto";
import { bare, type XmppPort } from "@xft/protocol";
import { makeJmi, parseJmi } from "./xep0353/jmi.js";
import { createPresenceCache, type PresenceCache } from "./presence/cache.js";
import { noResourceReason } from "./presence/choose.js";
import { createFeatureLookup, type FeatureLookup } from "./presence/features.js";
import { searchResource } from "./presence/search.js";

export class PeerUnavailableError extends Error {
  /** `message` is the whole sentence, naming who was not found and why */
  constructor(readonly to: string, message: string) {
    super(message);
    this.name = "PeerUnavailableError";
  }
}

export function isFullJid(jid: string): boolean {
  return jid.includes("/");
}

/**
 * Whether and how to answer a proposal. Either answer says that a device of ours is online, so
 * only those who may see our presence anyway get one (RFC 6121 §3: subscription "from" or
 * "both", or another device of our own account); to anyone else a proposal goes unanswered, as
 * to an offline user, and the proposer's own timeout ends its wait.
 */
export function decideProposalAnswer(input: { from: string; ourJid: string; seesOurPresence: boolean; proceed: boolean }): "proceed" | "reject" | "ignore" {
  const ours = input.ourJid !== "" && bare(input.from) === bare(input.ourJid);
  if (!ours && !input.seesOurPresence) return "ignore";
  return input.proceed ? "proceed" : "reject";
}

/**
 * A JMI responder: which proposals to answer with <proceed/> (the receiver's choice, e.g.
 * "accept files" in the CLI, or the auto-receive option), and only to those `seesOurPresence`
 * lets learn that we are online (decideProposalAnswer). It waits for `ready` (the roster),
 * which settles within its own bound.
 */
export function answerProposals(
  port: XmppPort, shouldProceed: (from: string) => boolean,
  who: { ready: Promise<void>; seesOurPresence: (jid: string) => boolean },
): void {
  port.onMessage((m) => {
    const jmi = parseJmi(m);
    if (jmi?.action !== "propose") return;
    void who.ready.then(() => {
      const answer = decideProposalAnswer({ from: jmi.from, ourJid: port.jid(), seesOurPresence: who.seesOurPresence(jmi.from), proceed: shouldProceed(jmi.from) });
      if (answer !== "ignore") return port.send(makeJmi(jmi.from, answer, jmi.id));
    }).catch(() => undefined);
  });
}

/**
 * Finds the device for a bare JID (issue 13 item 4). Two searches at once: the XEP-0353 propose
 * (a device of ours, or an xft, answers <proceed/>) and the recipient's online resources by
 * presence + caps / disco#info (Dino and Gajim ignore file proposals). The first that finds one
 * wins; a device that proceeds is used, one that rejects ends the search (its user said no).
 * The wait is bounded by timeoutMs and its error says why nobody was found.
 */
export function createPeerResolver(port: XmppPort, presence: PresenceCache = createPresenceCache(port), lookup: FeatureLookup = createFeatureLookup(port)) {
  const waiting = new Map<string, { proceeded: (jid: string) => void; declined: (from: string) => void; bounced: () => void }>();
  port.onMessage((m) => {
    const jmi = parseJmi(m);
    if (!jmi || jmi.action === "propose") return;
    const w = waiting.get(jmi.id);
    if (!w) return;
    waiting.delete(jmi.id);
    if (jmi.action === "proceed" && isFullJid(jmi.from)) w.proceeded(jmi.from);
    else w.declined(jmi.from);
  });
  // a bounced propose (recipient-unavailable, service-unavailable): no device took it
  port.onMessage((m) => {
    if (m.attrs.type !== "error") return;
    const id = String(m.attrs.id ?? "").replace(/^jmi-/, "");
    const w = waiting.get(id);
    if (!w) return;
    waiting.delete(id);
    w.bounced();
  });

  /** `refused`: full JIDs that did not take an earlier offer of the same file (tried last) */
  return async function resolvePeer(to: string, timeoutMs = 10_000, refused?: ReadonlySet<string>): Promise<string> {
    if (isFullJid(to)) return to;
    const id = randomBytes(9).toString("base64url");
    const search = searchResource(presence, lookup, to, port.jid(), refused);
    const why = (fallback: string) => {
      const v = search.verdict();
      return v.type === "none" ? noResourceReason(to, v.reason) : fallback;
    };
    let timer: NodeJS.Timeout | undefined;
    let proceeded = false;
    const answer = new Promise<string>((resolve, reject) => {
      waiting.set(id, {
        proceeded: (jid) => (proceeded = true, resolve(jid)),
        declined: (from) => reject(new PeerUnavailableError(to, `${from} declined the file`)),
        // the presence search may still find a resource: it ends the wait only if it has none
        bounced: () => {
          const v = search.verdict();
          if (v.type === "none") reject(new PeerUnavailableError(to, noResourceReason(to, v.reason)));
        },
      });
      timer = setTimeout(() => reject(new PeerUnavailableError(to, why(`no device of ${to} answered within ${timeoutMs / 1000} s`))), timeoutMs);
    });
    answer.catch(() => undefined); // settled by the race below; a rejection before it is not lost
    try {
      await port.send(makeJmi(to, "propose", id));
      return await Promise.race([answer, search.found]);
    } finally {
      clearTimeout(timer);
      search.stop();
      waiting.delete(id);
      // §3.2: the other devices stop offering the proposal to their user
      if (!proceeded) void port.send(makeJmi(to, "retract", id)).catch(() => undefined);
    }
  };
}
