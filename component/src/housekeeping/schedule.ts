// Runs the housekeeping jobs on a node-cron 4 schedule. The cron callback does one thing: call
// the job with `new Date()`; everything testable is in that function of `now` (jobs.ts).
import cron from "node-cron";
import type { OfflineStore } from "../store/store.js";
import { resolveHousekeepingOptions, runHousekeeping, type HousekeepingOptions, type HousekeepingReport } from "./jobs.js";

export interface ScheduleOptions extends HousekeepingOptions {
  /** node-cron 4 expression (an optional leading seconds field); default every 15 minutes */
  cron?: string;
  /** zone the expression is read in; default UTC (no DST gaps in an interval) */
  timezone?: string;
  /** each run's report */
  onReport?: (report: HousekeepingReport) => void;
  /** a run that failed as a whole (single rows that fail are in the report) */
  onError?: (err: unknown) => void;
}

export const DEFAULT_HOUSEKEEPING_CRON = "*/15 * * * *";

export interface ScheduledHousekeeping {
  /** the function of `now` the schedule calls (run it yourself for an immediate pass) */
  run(now: Date): Promise<void>;
  nextRun(): Date | null;
  /** Stops the schedule and waits for a run in progress. */
  stop(): Promise<void>;
}

export function scheduleHousekeeping(store: OfflineStore, options: ScheduleOptions = {}): ScheduledHousekeeping {
  const expression = options.cron ?? DEFAULT_HOUSEKEEPING_CRON;
  if (!cron.validate(expression)) throw new RangeError(`housekeeping cron expression ${JSON.stringify(expression)} is not valid`);
  resolveHousekeepingOptions(options); // bounds checked now, not at the first run
  const onReport = options.onReport ?? (() => undefined);
  const onError = options.onError ?? ((err: unknown) => process.emitWarning(err instanceof Error ? err : new Error(String(err)), "HousekeepingWarning"));

  let running: Promise<void> | undefined;
  const run = (now: Date): Promise<void> => {
    const current = runHousekeeping(store, now, options)
      .then(onReport, onError)
      .finally(() => {
        if (running === current) running = undefined;
      });
    running = current;
    return current;
  };

  const task = cron.schedule(expression, () => run(new Date()), {
    name: "offline-store-housekeeping",
    noOverlap: true,
    timezone: options.timezone ?? "UTC",
    unref: true,
  });

  return {
    run,
    nextRun: () => task.getNextRun(),
    async stop() {
      await task.destroy();
      await running;
    },
  };
}
