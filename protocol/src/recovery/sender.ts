// The sender's recovery after an interruption: the seed patent's FIG. 1, steps 104-110, as a
// pure transition. The driver owns the connection, timers and the engine; this decides.
//
//   interrupted --(auto-retransfer off)--> prompting (step 105: tell the user; manual resume)
//   interrupted --(on)--> waiting-network --(network up)--> re-offering (steps 106-107)
//   re-offering --(receiver confirms)--> transferring at the receiver's offset (step 108)
//   re-offering --(confirm-timeout; offline-forward on)--> forwarding (steps 109-110)
//   re-offering --(confirm-timeout; off)--> failed, manual resume still possible
//   forwarding --(store refuses the file)--> failed, final (retrying would get the same answer)
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from "./backoff.js";

export interface RecoveryOptions {
  autoRetransfer: boolean;
  offlineForward: boolean;
  /** seconds to wait for the receiver to confirm a (re-)offer */
  confirmTimeout: number;
  backoff?: BackoffPolicy;
  /** who is waited for, in the reasons shown to the user; default "the receiver" */
  receiver?: string;
  /** at this many interruptions in a row that left the receiver no further than it ever was,
   *  FIG. 1's "not confirmed" branch is taken instead of another re-offer; default 2. A peer that accepts
   *  every offer from byte 0 and never confirms (Dino 0.4.2) otherwise got copies without end. */
  maxFruitlessReOffers?: number;
}

export const DEFAULT_MAX_FRUITLESS_RE_OFFERS = 2;

/** Carried through the recovery: the furthest the receiver got, and the interruptions in a row
 *  that did not go past it (both absent at the start). */
interface Progress {
  best?: number;
  fruitless?: number;
}

export type RecoveryState =
  | ({ phase: "transferring"; offset: number; attempt: number } & Progress)
  | ({ phase: "waiting-network"; offset: number; attempt: number; reason: string } & Progress)
  | ({ phase: "re-offering"; offset: number; attempt: number } & Progress)
  /** why: what the user is told if the forward fails too (why the receiver counts as not confirming) */
  | { phase: "forwarding"; offset: number; why?: string }
  | { phase: "prompting"; offset: number; reason: string }
  | { phase: "done"; outcome: "completed" | "stored-offline" | "failed"; offset: number; reason: string };

export type RecoveryEvent =
  | { type: "interrupted"; offset: number; reason: string }
  | { type: "network-up" }
  | { type: "network-down"; reason: string }
  | { type: "confirmed"; offset: number }
  /** the receiver recovered first: it pulled the rest itself (xep-draft §receiver-first) */
  | { type: "peer-resumed"; offset: number }
  | { type: "declined"; reason: string }
  /** why: the last attempt's failure to reach the receiver, if the last attempt did not reach it */
  | { type: "confirm-timeout"; why?: string }
  | { type: "completed" }
  | { type: "forwarded" }
  | { type: "forward-failed"; reason: string }
  /** the store said no (too large, over quota, not allowed): final, nothing to retry by hand */
  | { type: "forward-refused"; reason: string }
  | { type: "manual-resume" }
  | { type: "give-up"; reason: string };

export type RecoveryEffect =
  | { type: "reconnect-after"; ms: number }
  | { type: "re-offer"; offset: number }
  | { type: "start-confirm-timer"; ms: number }
  | { type: "cancel-confirm-timer" }
  | { type: "forward-offline"; offset: number }
  | { type: "announce"; event: "interrupted" | "resumed" | "completed" | "stored-offline" | "failed" | "prompt"; offset: number; reason?: string };

export interface RecoveryTransition {
  state: RecoveryState;
  effects: RecoveryEffect[];
}

const same = (state: RecoveryState): RecoveryTransition => ({ state, effects: [] });

export function recover(state: RecoveryState, event: RecoveryEvent, options: RecoveryOptions, random: () => number = Math.random): RecoveryTransition {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  if (state.phase === "done") return same(state);

  switch (event.type) {
    case "interrupted": {
      if (state.phase !== "transferring" && state.phase !== "re-offering") return same(state);
      // progress since the last interruption resets the backoff (tus-js-client's rule)
      const attempt = event.offset > state.offset ? 0 : state.attempt + 1;
      const announce: RecoveryEffect = { type: "announce", event: "interrupted", offset: event.offset, reason: event.reason };
      // fruitless: no further than the receiver ever got (a peer restarting from 0 each time)
      const before = state.best ?? state.offset;
      const progress = { best: Math.max(before, event.offset), fruitless: event.offset > before ? 0 : (state.fruitless ?? 0) + 1 };
      if (options.autoRetransfer && progress.fruitless >= (options.maxFruitlessReOffers ?? DEFAULT_MAX_FRUITLESS_RE_OFFERS)) {
        const why = `${options.receiver ?? "the receiver"} got no further than byte ${progress.best} in ${progress.fruitless + 1} tries and did not confirm`;
        const t = notConfirmed(event.offset, why, options);
        return { state: t.state, effects: [announce, { type: "cancel-confirm-timer" }, ...t.effects] };
      }
      if (!options.autoRetransfer) {
        return {
          state: { phase: "prompting", offset: event.offset, reason: event.reason },
          effects: [announce, { type: "announce", event: "prompt", offset: event.offset, reason: `${event.reason}; retry by hand` }],
        };
      }
      return {
        state: { phase: "waiting-network", offset: event.offset, attempt, reason: event.reason, ...progress },
        effects: [announce, { type: "cancel-confirm-timer" }, { type: "reconnect-after", ms: backoffDelay(attempt, random, backoff) }],
      };
    }
    case "network-down":
      if (state.phase !== "waiting-network") return same(state);
      return {
        state: { ...state, attempt: state.attempt + 1, reason: event.reason },
        effects: [{ type: "reconnect-after", ms: backoffDelay(state.attempt + 1, random, backoff) }],
      };
    case "network-up":
      if (state.phase !== "waiting-network") return same(state);
      return {
        state: { phase: "re-offering", offset: state.offset, attempt: state.attempt, ...progressOf(state) },
        effects: [{ type: "re-offer", offset: state.offset }, { type: "start-confirm-timer", ms: options.confirmTimeout * 1000 }],
      };
    case "manual-resume":
      if (state.phase !== "prompting" && !(state.phase === "waiting-network")) return same(state);
      return {
        state: { phase: "re-offering", offset: state.offset, attempt: 0 },
        effects: [{ type: "re-offer", offset: state.offset }, { type: "start-confirm-timer", ms: options.confirmTimeout * 1000 }],
      };
    case "confirmed":
      if (state.phase !== "re-offering") return same(state);
      return {
        state: { phase: "transferring", offset: event.offset, attempt: state.attempt, ...progressOf(state) },
        effects: [{ type: "cancel-confirm-timer" }, { type: "announce", event: "resumed", offset: event.offset }],
      };
    case "peer-resumed":
      if (state.phase !== "waiting-network" && state.phase !== "re-offering" && state.phase !== "prompting") return same(state);
      return {
        state: { phase: "transferring", offset: event.offset, attempt: "attempt" in state ? state.attempt : 0 },
        effects: [{ type: "cancel-confirm-timer" }, { type: "announce", event: "resumed", offset: event.offset }],
      };
    case "declined":
      if (state.phase !== "re-offering") return same(state);
      return {
        state: { phase: "done", outcome: "failed", offset: state.offset, reason: event.reason },
        effects: [{ type: "cancel-confirm-timer" }, { type: "announce", event: "failed", offset: state.offset, reason: event.reason }],
      };
    case "confirm-timeout":
      if (state.phase !== "re-offering") return same(state);
      return notConfirmed(state.offset, `${options.receiver ?? "the receiver"} did not confirm within ${options.confirmTimeout} s${event.why ? ` (${event.why})` : ""}`, options);
    case "forwarded":
      if (state.phase !== "forwarding") return same(state);
      return { state: { phase: "done", outcome: "stored-offline", offset: state.offset, reason: "stored for later delivery" }, effects: [{ type: "announce", event: "stored-offline", offset: state.offset }] };
    case "forward-failed":
      if (state.phase !== "forwarding") return same(state);
      return {
        state: { phase: "prompting", offset: state.offset, reason: event.reason },
        effects: [{ type: "announce", event: "failed", offset: state.offset, reason: event.reason }, { type: "announce", event: "prompt", offset: state.offset, reason: `${event.reason}; retry by hand` }],
      };
    case "forward-refused":
      if (state.phase !== "forwarding") return same(state);
      return { state: { phase: "done", outcome: "failed", offset: state.offset, reason: event.reason }, effects: [{ type: "announce", event: "failed", offset: state.offset, reason: event.reason }] };
    case "completed":
      return { state: { phase: "done", outcome: "completed", offset: state.offset, reason: "receiver confirmed" }, effects: [{ type: "cancel-confirm-timer" }, { type: "announce", event: "completed", offset: state.offset }] };
    case "give-up":
      return { state: { phase: "done", outcome: "failed", offset: state.offset, reason: event.reason }, effects: [{ type: "cancel-confirm-timer" }, { type: "announce", event: "failed", offset: state.offset, reason: event.reason }] };
  }
}

/** The progress fields a phase carries on, only those it has (states stay as small as before). */
function progressOf(state: Progress): Progress {
  return {
    ...(state.best !== undefined ? { best: state.best } : {}),
    ...(state.fruitless !== undefined ? { fruitless: state.fruitless } : {}),
  };
}

/** FIG. 1's "not confirmed" branch (steps 109-110): to the offline store, or the user's decision. */
function notConfirmed(offset: number, reason: string, options: RecoveryOptions): RecoveryTransition {
  if (options.offlineForward) return { state: { phase: "forwarding", offset, why: reason }, effects: [{ type: "forward-offline", offset }] };
  return {
    state: { phase: "prompting", offset, reason },
    effects: [{ type: "announce", event: "failed", offset, reason }, { type: "announce", event: "prompt", offset, reason: `${reason}; retry by hand` }],
  };
}
