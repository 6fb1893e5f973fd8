// SIGINT/SIGTERM for `xft` (issue 13 item 7). Killed without a word, `xft` stayed "online" for the
// server's XEP-0198 hibernation (Prosody: 600 s), and a peer's send waited on that dead resource.
// The first signal ends the sessions with a reason the peer understands (<gone/>: an
// interruption, our partials kept), says unavailable and closes the stream (no hibernation),
// then exits 128 + the signal's number, as shells do; a second signal exits at once.
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof SIGNAL_EXIT;

/** The longest a clean stop may take before we exit anyway: every wait has a bound. */
export const STOP_BUDGET_MS = 5000;

export interface SignalSource {
  on(signal: StopSignal, handler: (signal: StopSignal) => void): unknown;
  off(signal: StopSignal, handler: (signal: StopSignal) => void): unknown;
}

/** Calls stop(signal) on the first SIGINT/SIGTERM, then exit(code); a second one, or the budget
 *  running out, exits at once. Returns the function that removes the handlers. */
export function onStopSignals(
  stop: (signal: StopSignal) => Promise<void>,
  exit: (code: number) => void,
  source: SignalSource = process,
  budgetMs = STOP_BUDGET_MS,
): () => void {
  let stopping = false;
  const handler = (signal: StopSignal) => {
    const code = SIGNAL_EXIT[signal];
    if (stopping) return exit(code);
    stopping = true;
    setTimeout(() => exit(code), budgetMs).unref();
    stop(signal).catch(() => undefined).finally(() => exit(code));
  };
  const signals = Object.keys(SIGNAL_EXIT) as StopSignal[];
  for (const s of signals) source.on(s, handler);
  return () => {
    for (const s of signals) source.off(s, handler);
  };
}
