// Who gets which stored file when (README, "Delivery"; xep-draft §'Delivery'): a pure
// transition(state, event) -> {state, effects}. The driver (driver.ts) feeds it the store's
// pending ids and presence changes and carries out the effects; nothing here does I/O.
//
// Rules:
// - A file stored for a recipient who is offline: subscribe to their presence once per process
//   (a repeated subscribe is harmless, RFC 6121 §3.1.3, but noisy) unless we have seen them
//   online, and one notice per offline period, however many files arrive in it.
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
//   nothing waits. A bounced notice goes again once with the next retry: the recipient never
//   got it, and one more is still no spam.

export interface RecipientState {
  /** full JIDs online, in the order they came online */
  online: string[];
  /** the delivery running: one at a time */
  active?: { fileId: string; full: string; stopping: boolean };
  /** we have seen their presence, so our subscription is approved */
  subscribed: boolean;
  subscribeSent: boolean;
  /** a notice went out since they were last online */
  notified: boolean;
  /** ids that failed since they came online: not offered again until the next login */
  skipped: string[];
  /** resources that never answered an offer: not chosen until they come online again */
  silent?: string[];
  /** our subscribe, probe or notice bounced: retrying (attempt = retries sent so far) */
  retry?: RetryState;
}

export interface RetryState {
  attempt: number;
  /** a retry-later is outstanding: more bounces of the same attempt add no timer */
  scheduled: boolean;
  /** the notice bounced: the next retry sends it again */
  resendNotice: boolean;
  /** it was sent again once already in this offline period */
  noticeResent: boolean;
}

export type DeliveryState = Readonly<Record<string, RecipientState>>;

export type DeliveryEvent =
  | { type: "stored"; bare: string; fileId: string; pending: string[] }
  | { type: "came-online"; bare: string; full: string; pending: string[] }
  | { type: "went-offline"; bare: string; full: string }
  /** a delivery ended; pending = what the store still holds for bare */
  | { type: "finished"; bare: string; fileId: string; outcome: "delivered" | "interrupted" | "failed" | "unanswered"; pending: string[] }
  /** an error came back for our subscribe or probe (presence) or for our notice (message) */
  | { type: "bounced"; bare: string; what: "subscription" | "notice"; pending: string[] }
  /** the timer of a retry-later fired */
  | { type: "retry-due"; bare: string; pending: string[] };

export type DeliveryEffect =
  | { type: "subscribe"; bare: string }
  | { type: "probe"; bare: string }
  /** start a timer for backoffDelay(attempt), then feed retry-due */
  | { type: "retry-later"; bare: string; attempt: number }
  | { type: "cancel-retry"; bare: string }
  | { type: "notify"; bare: string }
  | { type: "offer"; bare: string; full: string; fileId: string }
  | { type: "stop"; bare: string; fileId: string };

export interface DeliveryTransition {
  state: DeliveryState;
  effects: DeliveryEffect[];
}

export const initialDelivery: DeliveryState = {};

const fresh = (): RecipientState => ({ online: [], subscribed: false, subscribeSent: false, notified: false, skipped: [] });

export function deliver(state: DeliveryState, event: DeliveryEvent): DeliveryTransition {
  const before = state[event.bare] ?? fresh();
  const { recipient, effects } = step(before, event);
  return { state: { ...state, [event.bare]: recipient }, effects };
}

function step(r: RecipientState, event: DeliveryEvent): { recipient: RecipientState; effects: DeliveryEffect[] } {
  switch (event.type) {
    case "stored": {
      if (r.online.length > 0) return next(r, event.bare, event.pending);
      const effects: DeliveryEffect[] = [];
      const subscribe = !r.subscribed && !r.subscribeSent;
      if (subscribe) effects.push({ type: "subscribe", bare: event.bare });
      if (!r.notified) effects.push({ type: "notify", bare: event.bare });
      return { recipient: { ...r, subscribeSent: r.subscribeSent || subscribe, notified: true }, effects };
    }
    case "came-online": {
      const online = [...r.online.filter((f) => f !== event.full), event.full];
      const silent = (r.silent ?? []).filter((f) => f !== event.full);
      // a login (first resource) starts a new period: skipped files get another chance
      const login = r.online.length === 0;
      // their presence reached us: the route works, no more retries
      const cancel: DeliveryEffect[] = r.retry?.scheduled ? [{ type: "cancel-retry", bare: event.bare }] : [];
      const t = next({ ...r, online, silent, subscribed: true, notified: false, skipped: login ? [] : r.skipped, retry: undefined }, event.bare, event.pending);
      return { recipient: t.recipient, effects: [...cancel, ...t.effects] };
    }
    case "went-offline": {
      const online = r.online.filter((f) => f !== event.full);
      const a = r.active;
      if (a && a.full === event.full && !a.stopping) {
        return { recipient: { ...r, online, active: { ...a, stopping: true } }, effects: [{ type: "stop", bare: event.bare, fileId: a.fileId }] };
      }
      return { recipient: { ...r, online }, effects: [] };
    }
    case "finished": {
      if (r.active?.fileId !== event.fileId) return { recipient: r, effects: [] };
      if (event.outcome === "unanswered") {
        return next({ ...r, active: undefined, silent: [...(r.silent ?? []), r.active.full] }, event.bare, event.pending);
      }
      const skipped = event.outcome === "failed" ? [...r.skipped, event.fileId] : r.skipped;
      return next({ ...r, active: undefined, skipped }, event.bare, event.pending);
    }
    case "bounced": {
      if (event.pending.length === 0 || r.online.length > 0) return { recipient: r, effects: [] };
      const retry = r.retry ?? { attempt: 0, scheduled: false, resendNotice: false, noticeResent: false };
      const resendNotice = retry.resendNotice || (event.what === "notice" && !retry.noticeResent);
      // the subscribe and the probe of one attempt both bounce: one timer for them
      if (retry.scheduled) return { recipient: { ...r, retry: { ...retry, resendNotice } }, effects: [] };
      return {
        recipient: { ...r, retry: { ...retry, scheduled: true, resendNotice } },
        effects: [{ type: "retry-later", bare: event.bare, attempt: retry.attempt }],
      };
    }
    case "retry-due": {
      const retry = r.retry;
      if (!retry?.scheduled) return { recipient: r, effects: [] };
      // delivered, expired, or they came online meanwhile: the retries end here
      if (event.pending.length === 0 || r.online.length > 0) return { recipient: { ...r, retry: undefined }, effects: [] };
      // the probe first, as after a reconnect (driver.ts probeWaiting: a probe after the
      // subscribe would cancel it on Prosody)
      const effects: DeliveryEffect[] = [{ type: "probe", bare: event.bare }, { type: "subscribe", bare: event.bare }];
      if (retry.resendNotice) effects.push({ type: "notify", bare: event.bare });
      const noticeResent = retry.noticeResent || retry.resendNotice;
      return { recipient: { ...r, subscribeSent: true, retry: { attempt: retry.attempt + 1, scheduled: false, resendNotice: false, noticeResent } }, effects };
    }
  }
}

/** Starts the next delivery if none runs, someone is online and a file waits. */
function next(r: RecipientState, bare: string, pending: string[]): { recipient: RecipientState; effects: DeliveryEffect[] } {
  const fileId = pending.find((id) => !r.skipped.includes(id));
  const full = r.online.filter((f) => !(r.silent ?? []).includes(f)).at(-1);
  if (r.active || !full || !fileId) return { recipient: r, effects: [] };
  return { recipient: { ...r, active: { fileId, full, stopping: false } }, effects: [{ type: "offer", bare, full, fileId }] };
}
