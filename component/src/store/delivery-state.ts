// Delivery's per-recipient state in the store's database (migration 2, `delivery_state`): what
// the store sent each recipient (subscription request, probe, notice of the offline period), what
// they answered (approved), the retry schedule and the day's budget. delivery/driver.ts reads it
// all at start and writes a recipient's row after each change, so a restart re-sends nothing.
import type { Db } from "./db.js";
import type { Budget, RecipientDeliveryState, RetryState } from "./model.js";

interface Row {
  recipient: string;
  subscribe_sent_at: number | null;
  approved_at: number | null;
  probe_sent_at: number | null;
  notice_sent_at: number | null;
  retry_attempt: number | null;
  retry_due_at: number | null;
  retry_resend_notice: number;
  retry_notice_resent: number;
  budget_day: number | null;
  budget_used: number;
  updated_at: number;
}

export interface DeliveryStates {
  /** every recipient's state, by bare JID */
  all(): Record<string, RecipientDeliveryState>;
  save(recipient: string, state: RecipientDeliveryState, now: number): void;
  /** Deletes up to `limit` rows last changed before `cutoff` whose recipient has no file waiting
   *  (uploading, stored or delivering); returns their recipients. Such a row only remembers what
   *  was sent for files that are gone; a later file starts afresh (a subscribe they approved
   *  before is answered by their server, RFC 6121 §3.1.3). */
  prune(cutoff: number, limit: number): string[];
}

const opt = (v: number | null): number | undefined => (v === null ? undefined : v);

function fromRow(row: Row): RecipientDeliveryState {
  const retry: RetryState | undefined = row.retry_attempt === null ? undefined : {
    attempt: row.retry_attempt,
    ...(row.retry_due_at === null ? {} : { dueAt: row.retry_due_at }),
    resendNotice: row.retry_resend_notice === 1,
    noticeResent: row.retry_notice_resent === 1,
  };
  const budget: Budget | undefined = row.budget_day === null ? undefined : { day: row.budget_day, used: row.budget_used };
  const s: RecipientDeliveryState = {
    subscribeSentAt: opt(row.subscribe_sent_at), approvedAt: opt(row.approved_at), probeSentAt: opt(row.probe_sent_at),
    noticeSentAt: opt(row.notice_sent_at), retry, budget,
  };
  for (const k of Object.keys(s) as (keyof RecipientDeliveryState)[]) if (s[k] === undefined) delete s[k];
  return s;
}

export function createDeliveryStates(db: Db): DeliveryStates {
  const all = db.prepare<[], Row>("SELECT * FROM delivery_state ORDER BY recipient");
  const upsert = db.prepare(
    `INSERT INTO delivery_state (recipient, subscribe_sent_at, approved_at, probe_sent_at, notice_sent_at, retry_attempt, retry_due_at,
                                 retry_resend_notice, retry_notice_resent, budget_day, budget_used, updated_at)
     VALUES (@recipient, @subscribe_sent_at, @approved_at, @probe_sent_at, @notice_sent_at, @retry_attempt, @retry_due_at,
             @retry_resend_notice, @retry_notice_resent, @budget_day, @budget_used, @updated_at)
     ON CONFLICT (recipient) DO UPDATE SET
       subscribe_sent_at = excluded.subscribe_sent_at, approved_at = excluded.approved_at, probe_sent_at = excluded.probe_sent_at,
       notice_sent_at = excluded.notice_sent_at, retry_attempt = excluded.retry_attempt, retry_due_at = excluded.retry_due_at,
       retry_resend_notice = excluded.retry_resend_notice, retry_notice_resent = excluded.retry_notice_resent,
       budget_day = excluded.budget_day, budget_used = excluded.budget_used, updated_at = excluded.updated_at`,
  );
  const prune = db.prepare<[number, number], { recipient: string }>(
    `DELETE FROM delivery_state WHERE recipient IN (
       SELECT d.recipient FROM delivery_state d
       WHERE d.updated_at < ? AND NOT EXISTS (SELECT 1 FROM files f WHERE f.recipient = d.recipient AND f.state <> 'delivered')
       ORDER BY d.updated_at LIMIT ?)
     RETURNING recipient`,
  );
  return {
    prune: (cutoff, limit) => prune.all(cutoff, limit).map((r) => r.recipient),
    all: () => Object.fromEntries(all.all().map((row) => [row.recipient, fromRow(row)])),
    save(recipient, s, now) {
      const row: Row = {
        recipient,
        subscribe_sent_at: s.subscribeSentAt ?? null, approved_at: s.approvedAt ?? null, probe_sent_at: s.probeSentAt ?? null,
        notice_sent_at: s.noticeSentAt ?? null,
        retry_attempt: s.retry?.attempt ?? null, retry_due_at: s.retry?.dueAt ?? null,
        retry_resend_notice: s.retry?.resendNotice ? 1 : 0, retry_notice_resent: s.retry?.noticeResent ? 1 : 0,
        budget_day: s.budget?.day ?? null, budget_used: s.budget?.used ?? 0,
        updated_at: now,
      };
      upsert.run(row);
    },
  };
}
