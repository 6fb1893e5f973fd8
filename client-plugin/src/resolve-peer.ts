// Turns the address a user typed into the full JID a Jingle session needs.
import { randomBytes } from "node:crypto";
import { bare, type XmppPort } from "@xft/protocol";
import { makeJmi, parseJmi } from "./xep0353/jmi.js";

export class PeerUnavailableError extends Error {
  constructor(readonly to: string, reason: string) {
    super(`${to}: ${reason}`);
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

/** The JMI initiator: propose to the bare JID and wait for the first device that proceeds. */
export function createPeerResolver(port: XmppPort) {
  const waiting = new Map<string, { resolve: (jid: string) => void; reject: (e: Error) => void }>();
  port.onMessage((m) => {
    const jmi = parseJmi(m);
    if (!jmi || jmi.action === "propose") return;
    const w = waiting.get(jmi.id);
    if (!w) return;
    waiting.delete(jmi.id);
    if (jmi.action === "proceed" && isFullJid(jmi.from)) w.resolve(jmi.from);
    else w.reject(new PeerUnavailableError(jmi.from, "declined the file"));
  });
  // a bounced propose (recipient-unavailable, service-unavailable) means nobody is there
  port.onMessage((m) => {
    if (m.attrs.type !== "error") return;
    const id = String(m.attrs.id ?? "");
    const w = waiting.get(id.replace(/^jmi-/, ""));
    if (!w) return;
    waiting.delete(id.replace(/^jmi-/, ""));
    w.reject(new PeerUnavailableError(String(m.attrs.from ?? ""), "not online"));
  });

  return async function resolvePeer(to: string, timeoutMs = 10_000): Promise<string> {
    if (isFullJid(to)) return to;
    const id = randomBytes(9).toString("base64url");
    const answer = new Promise<string>((resolve, reject) => waiting.set(id, { resolve, reject }));
    await port.send(makeJmi(to, "propose", id));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        waiting.delete(id);
        void port.send(makeJmi(to, "retract", id)).catch(() => undefined);
        reject(new PeerUnavailableError(to, `no device answered within ${timeoutMs / 1000} s`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([answer, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
}
