// Reconnect delays: exponential with full jitter (AWS architecture blog, "Exponential Backoff
// And Jitter"), capped, and reset whenever the transfer made progress (as tus-js-client resets
// its retry count when the upload offset moves), so a flaky link that still moves data keeps
// retrying quickly.

export interface BackoffPolicy {
  /** first delay ceiling, ms */
  baseMs: number;
  /** largest delay ceiling, ms */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 100, maxMs: 30_000 };

/** Delay before attempt `attempt` (0-based): uniform in [ceiling/2, ceiling], ceiling = min(max, base * 2^attempt). */
export function backoffDelay(attempt: number, random: () => number, policy: BackoffPolicy = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  // half fixed, half random: never 0 (a tight loop against a dead server), never in lockstep
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
