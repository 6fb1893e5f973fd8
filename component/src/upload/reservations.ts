// Reservations expire (issue 12 item 4): an upload that brings no byte for idleMs is removed, its
// bytes and row, so its declared size stops counting against anyone's quota; the session behind
// it, if any, is ended by the caller (onExpired). This is housekeeping's abandoned-uploads job on
// its own, shorter timer; the check runs every idleMs/4 (at most every 30 s), so a reservation
// goes within 1.25 x idleMs.
import { removeAbandonedUploads } from "../housekeeping/jobs.js";
import type { OfflineStore, StoredFile } from "../store/index.js";

export function expireIdleReservations(deps: {
  store: OfflineStore;
  idleMs: number;
  onExpired: (file: StoredFile) => void;
  onError: (err: unknown) => void;
}): { stop(): Promise<void> } {
  const { store, idleMs, onExpired, onError } = deps;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return; // the previous sweep is still going
    running = removeAbandonedUploads(store, new Date(), { abandonAfterMs: idleMs })
      .then((r) => {
        r.removed.forEach(onExpired);
        r.failed.forEach((f) => onError(f.error));
      })
      .catch(onError)
      .finally(() => (running = undefined));
  };
  const timer = setInterval(tick, Math.min(30_000, Math.max(250, idleMs / 4)));
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
