// What the store may send one recipient in a day (README, "Delivery"; xep-draft §'security'):
// subscription requests, probes and notices together, per UTC day. Pure: the plan (plan.ts)
// spends from it before each of those stanzas and sends nothing once it is spent. Offers of
// files to an online resource and receipts to senders are not counted: the first are the
// delivery itself (one at a time, skipped after a decline until the next login), the second go
// to the sender who left the file.
import type { Budget } from "../store/index.js";
import { DAY_MS } from "../time.js";

/** default ceiling of subscribe + probe + notice stanzas to one recipient per UTC day */
export const MAX_STANZAS_PER_DAY = 20;

export const dayOf = (now: number): number => Math.floor(now / DAY_MS);

/** ms from now to the start of the next UTC day: when a spent budget is whole again */
export const untilNextDay = (now: number): number => (dayOf(now) + 1) * DAY_MS - now;

/** The budget after spending n stanzas at now, or undefined if fewer than n are left today. */
export function spend(budget: Budget | undefined, now: number, n: number, max: number): Budget | undefined {
  const today = dayOf(now);
  const used = budget?.day === today ? budget.used : 0;
  return used + n > max ? undefined : { day: today, used: used + n };
}
