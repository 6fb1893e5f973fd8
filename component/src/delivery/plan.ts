// Who gets which stored file when (README, "Delivery"; xep-draft §'Delivery'): a pure
// transition(state, event) -> {state, effects}. The driver (driver.ts) feeds it the store's
// pending ids and presence changes and carries out the effects; nothing here does I/O, and the
// time and the jitter come in with the event's context (PlanContext).
//
// Rules:
// - A file stored for a recipient who is offline: subscribe to their presence once (again only
//   a day later, for a request that may have been lost or refused) unless they approved it, and
//   one notice per offline period, however many files arrive in it. An offline period runs from
//   the recipient's last unavailable presence (or from never having seen them) until we see them
//   available. What was sent is saved (`saved`, store/delivery-state.ts): a restart or a
//   reconnect re-sends none of it.
// - After a (re)connect, servers do not re-send presence to a component: a recipient who
//   approved and has files waiting gets one probe (is he online now?); one whose request is
//   still pending gets nothing (his approval brings his presence; a probe would make Prosody
//   cancel the request); one we know nothing of (a database from before the state was kept)
//   gets a probe and a subscribe.
// - Subscribes, probes and notices to one recipient together stay under a ceiling per UTC day
//   (budget.ts), whatever the number of files or senders: over it nothing is sent, and a retry
//   waits for the next day.
// - One delivery at a time per recipient, to the resource that came online last (the device the
//   user is on now); a second resource never gets a parallel offer.
// - The target going offline stops the delivery; it continues on the next resource online, or on
//   the next login. A target that never answered the offer (a device killed while its server
//   still holds its session for stream resumption looks online) is set aside until it comes
//   online again, and the next resource online gets the offer. A file that failed (declined, bad hash) is not offered again until the next
//   login, so a recipient who refuses it is not asked in a loop.
// - Our subscribe or probe coming back as an error (the recipient's server unreachable, an s2s
//   stream that failed dialback) means nobody will ever tell us they logged in: while files
//   wait, send both again after a backoff (the driver's timer), until they come online or
//   nothing waits: files delivered, expired or deleted end the retries at once (`withdrawn`),
//   not at the next timer. A bounced notice goes again once with the next retry: the recipient
//   never got it, so at most one notice reaches them per offline period.

import { backoffDelay, type BackoffPolicy } from "@xft/protocol";
import { DAY_MS } from "../time.js";
import type { RecipientDeliveryState } from "../store/index.js";
import { MAX_STANZAS_PER_DAY, spend, untilNextDay } from "./budget.js";

export interface RecipientState {
  /** full JIDs online, in the order they came online */
  online: string[];
  /** the delivery running: one at a time */
  active?: { fileId: string; full: string; stopping: boolean };
  /** ids that failed since they came online: not offered again until the next login */
  skipped: string[];
  /** resources that never answered an offer: not chosen until they come online again */
  silent?: string[];
  /** what was sent to them and what they answered: kept across restarts */
  saved: SavedRecipient;
}

/** A recipient's delivery state as the store keeps it (store/delivery-state.ts). */
export type SavedRecipient = RecipientDeliveryState;

export type DeliveryState = Readonly<Record<string, RecipientState>>;

export type DeliveryEvent =
  | { type: "stored"; bare: string; fileId: string; pending: string[] }
  | { type: "came-online"; bare: string; full: string; pending: string[] }
  | { type: "went-offline"; bare: string; full: string }
  /** a delivery ended; pending = what the store still holds for bare */
  | { type: "finished"; bare: string; fileId: string; outcome: "delivered" | "interrupted" | "failed" | "unanswered"; pending: string[] }
  /** we are online (again) and files wait for bare */
  | { type: "connected"; bare: string; pending: string[] }
  /** an error came back for our subscribe or probe (presence) or for our notice (message) */
  | { type: "bounced"; bare: string; what: "subscription" | "notice"; pending: string[] }
  /** the timer of a retry-later fired */
  | { type: "retry-due"; bare: string; pending: string[] }
  /** files of bare were removed (expired, lost): pending = what is left */
  | { type: "withdrawn"; bare: string; pending: string[] };

export type Stanza = "subscribe" | "probe" | "notice";

export type DeliveryEffect =
  | { type: "subscribe"; bare: string }
  | { type: "probe"; bare: string }
  /** start a timer of delayMs, then feed retry-due */
  | { type: "retry-later"; bare: string; attempt: number; delayMs: number }
  | { type: "cancel-retry"; bare: string; why: "online" | "nothing-waits" }
  | { type: "notify"; bare: string }
  /** the day's ceiling held these back (the driver logs it) */
  | { type: "over-ceiling"; bare: string; held: Stanza[] }
  | { type: "offer"; bare: string; full: string; fileId: string }
  | { type: "stop"; bare: string; fileId: string };

export interface DeliveryTransition {
  state: DeliveryState;
  effects: DeliveryEffect[];
}

export interface PlanContext {
  now: number;
  /** in [0, 1): the retry delay's random half (backoffDelay) */
  jitter: number;
  /** subscribes + probes + notices per recipient per UTC day */
  maxPerDay: number;
  /** delays between subscription retries after a bounce */
  backoff: BackoffPolicy;
}

/** A failed s2s stream is usually retried by the server within seconds; a peer that is down for
 *  long is not worth asking more often than every 15 minutes. */
export const RESUBSCRIBE_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 15 * 60_000 };

/** a subscription request not approved is asked again, for a new file, after this long */
export const RESUBSCRIBE_AFTER_MS = DAY_MS;

export const DEFAULT_CONTEXT: PlanContext = { now: 0, jitter: 0.5, maxPerDay: MAX_STANZAS_PER_DAY, backoff: RESUBSCRIBE_BACKOFF };

export const initialDelivery: DeliveryState = {};

const fresh = (saved: SavedRecipient = {}): RecipientState => ({ online: [], skipped: [], saved });

/** The state after a restart: what the store kept, nobody online. */
export function restoreDelivery(saved: Readonly<Record<string, SavedRecipient>>): DeliveryState {
  return Object.fromEntries(Object.entries(saved).map(([bare, s]) => [bare, fresh(s)]));
}

export function deliver(state: DeliveryState, event: DeliveryEvent, ctx: Partial<PlanContext> = {}): DeliveryTransition {
  const before = state[event.bare] ?? fresh();
  const { recipient, effects } = step(before, event, { ...DEFAULT_CONTEXT, ...ctx });
  return { state: { ...state, [event.bare]: recipient }, effects };
}

type Step = { recipient: RecipientState; effects: DeliveryEffect[] };

/** Spends from the day's budget for each stanza wanted, in order; what does not fit is held. */
function send(r: RecipientState, bare: string, wanted: Stanza[], ctx: PlanContext): { saved: SavedRecipient; sent: Stanza[]; effects: DeliveryEffect[] } {
  let saved = r.saved;
  const sent: Stanza[] = [];
  const held: Stanza[] = [];
  for (const s of wanted) {
    const budget = spend(saved.budget, ctx.now, 1, ctx.maxPerDay);
    if (!budget) {
      held.push(s);
      continue;
    }
    sent.push(s);
    saved = {
      ...saved, budget,
      ...(s === "subscribe" ? { subscribeSentAt: ctx.now } : s === "probe" ? { probeSentAt: ctx.now } : { noticeSentAt: ctx.now }),
    };
  }
  const effects: DeliveryEffect[] = sent.map((s) => (s === "notice" ? { type: "notify", bare } : { type: s, bare }));
  if (held.length) effects.push({ type: "over-ceiling", bare, held });
  return { saved, sent, effects };
}

function step(r: RecipientState, event: DeliveryEvent, ctx: PlanContext): Step {
  const { bare } = event;
  switch (event.type) {
    case "stored": {
      if (r.online.length > 0) return next(r, bare, event.pending);
      const s = r.saved;
      const ask = s.approvedAt === undefined && (s.subscribeSentAt === undefined || ctx.now - s.subscribeSentAt >= RESUBSCRIBE_AFTER_MS);
      const wanted: Stanza[] = [...(ask ? ["subscribe" as const] : []), ...(s.noticeSentAt === undefined ? ["notice" as const] : [])];
      const out = send(r, bare, wanted, ctx);
      return { recipient: { ...r, saved: out.saved }, effects: out.effects };
    }
    case "came-online": {
      const online = [...r.online.filter((f) => f !== event.full), event.full];
      const silent = (r.silent ?? []).filter((f) => f !== event.full);
      // a login (first resource) starts a new period: skipped files get another chance
      const login = r.online.length === 0;
      // their presence reached us: approved, the route works (no more retries), the offline period is over
      const cancel: DeliveryEffect[] = r.saved.retry?.dueAt !== undefined ? [{ type: "cancel-retry", bare, why: "online" }] : [];
      const saved: SavedRecipient = { ...r.saved, approvedAt: r.saved.approvedAt ?? ctx.now, noticeSentAt: undefined, retry: undefined };
      const t = next({ ...r, online, silent, saved, skipped: login ? [] : r.skipped }, bare, event.pending);
      return { recipient: t.recipient, effects: [...cancel, ...t.effects] };
    }
    case "went-offline": {
      const online = r.online.filter((f) => f !== event.full);
      const a = r.active;
      if (a && a.full === event.full && !a.stopping) {
        return { recipient: { ...r, online, active: { ...a, stopping: true } }, effects: [{ type: "stop", bare, fileId: a.fileId }] };
      }
      return { recipient: { ...r, online }, effects: [] };
    }
    case "finished": {
      if (r.active?.fileId !== event.fileId) return { recipient: r, effects: [] };
      if (event.outcome === "unanswered") {
        return next({ ...r, active: undefined, silent: [...(r.silent ?? []), r.active.full] }, bare, event.pending);
      }
      const skipped = event.outcome === "failed" ? [...r.skipped, event.fileId] : r.skipped;
      return next({ ...r, active: undefined, skipped }, bare, event.pending);
    }
    case "connected": {
      if (event.pending.length === 0 || r.online.length > 0) return { recipient: r, effects: [] };
      const s = r.saved;
      // approved: is he online now? pending request: his approval brings his presence by itself
      // (and a probe would make Prosody cancel it); unknown: both, the probe first (see driver.ts)
      const wanted: Stanza[] = s.approvedAt !== undefined ? ["probe"] : s.subscribeSentAt !== undefined ? [] : ["probe", "subscribe"];
      const out = send(r, bare, wanted, ctx);
      return { recipient: { ...r, saved: out.saved }, effects: out.effects };
    }
    case "bounced": {
      if (event.pending.length === 0 || r.online.length > 0) return { recipient: r, effects: [] };
      const retry = r.saved.retry ?? { attempt: 0, resendNotice: false, noticeResent: false };
      const resendNotice = retry.resendNotice || (event.what === "notice" && !retry.noticeResent);
      // the subscribe and the probe of one attempt both bounce: one timer for them
      if (retry.dueAt !== undefined) return { recipient: { ...r, saved: { ...r.saved, retry: { ...retry, resendNotice } } }, effects: [] };
      const delayMs = backoffDelay(retry.attempt, () => ctx.jitter, ctx.backoff);
      return {
        recipient: { ...r, saved: { ...r.saved, retry: { ...retry, dueAt: ctx.now + delayMs, resendNotice } } },
        effects: [{ type: "retry-later", bare, attempt: retry.attempt, delayMs }],
      };
    }
    case "retry-due": {
      const retry = r.saved.retry;
      if (retry?.dueAt === undefined) return { recipient: r, effects: [] };
      // delivered, expired, or they came online meanwhile: the retries end here
      if (event.pending.length === 0 || r.online.length > 0) return withdraw(r, bare);
      if (!spend(r.saved.budget, ctx.now, 2, ctx.maxPerDay)) {
        // today's ceiling is reached: the same attempt, tomorrow
        const delayMs = untilNextDay(ctx.now) + Math.round(ctx.jitter * ctx.backoff.baseMs);
        return {
          recipient: { ...r, saved: { ...r.saved, retry: { ...retry, dueAt: ctx.now + delayMs } } },
          effects: [{ type: "over-ceiling", bare, held: ["probe", "subscribe"] }, { type: "retry-later", bare, attempt: retry.attempt, delayMs }],
        };
      }
      // the probe first, as after a reconnect (a probe after the subscribe would cancel it on Prosody)
      const out = send(r, bare, ["probe", "subscribe", ...(retry.resendNotice ? ["notice" as const] : [])], ctx);
      const resent = out.sent.includes("notice");
      const saved = { ...out.saved, retry: { attempt: retry.attempt + 1, resendNotice: retry.resendNotice && !resent, noticeResent: retry.noticeResent || resent } };
      return { recipient: { ...r, saved }, effects: out.effects };
    }
    case "withdrawn":
      return event.pending.length === 0 && r.saved.retry ? withdraw(r, bare) : { recipient: r, effects: [] };
  }
}

/** Nothing waits for them any more: no retry, at once. */
function withdraw(r: RecipientState, bare: string): Step {
  return { recipient: { ...r, saved: { ...r.saved, retry: undefined } }, effects: [{ type: "cancel-retry", bare, why: "nothing-waits" }] };
}

/** Starts the next delivery if none runs, someone is online and a file waits. */
function next(r: RecipientState, bare: string, pending: string[]): Step {
  const fileId = pending.find((id) => !r.skipped.includes(id));
  const full = r.online.filter((f) => !(r.silent ?? []).includes(f)).at(-1);
  if (r.active || !full || !fileId) return { recipient: r, effects: [] };
  return { recipient: { ...r, active: { fileId, full, stopping: false } }, effects: [{ type: "offer", bare, full, fileId }] };
}
