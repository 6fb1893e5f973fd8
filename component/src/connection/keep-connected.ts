// Keeps the component connected to its server: after every disconnect it tries again after
// backoffDelay(attempt) (exponential with jitter), and starts over at attempt 0 once online.
// xmpp.js 0.13's @xmpp/reconnect retries after a fixed 1 s, so every component of a restarted
// server comes back in lockstep and a server that stays down is hammered once a second.
import { backoffDelay, type BackoffPolicy } from "@xft/protocol/recovery/backoff.js";
import { untilOnline } from "@xft/protocol/xmppjs/until-online.js";
import type { ComponentEntity } from "../entity/types.js";

export interface KeepConnectedOptions {
  /** default: first retry after 0.25-0.5 s, at most 30 s apart */
  policy?: BackoffPolicy;
  random?: () => number;
  /** one attempt (socket, stream header, handshake) gives up after this long; default 15 s */
  attemptTimeoutMs?: number;
  /** a retry was scheduled: attempt counts from 1 */
  onRetry?(info: { attempt: number; delayMs: number; reason: string }): void;
}

export const RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000 };

export interface KeptConnection {
  /** makes the first attempt now, and keeps trying; the entity emits "online" each time it is in */
  start(): void;
  /** no more attempts (a running one finishes); call before entity.stop() */
  stop(): void;
}

export type Reconnectable = Pick<ComponentEntity, "status" | "socket" | "options" | "connect" | "open" | "disconnect" | "on" | "off">;

export function keepConnected(entity: Reconnectable, options: KeepConnectedOptions = {}): KeptConnection {
  const policy = options.policy ?? RECONNECT_BACKOFF;
  const random = options.random ?? Math.random;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 15_000;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  let stopped = true;

  // Both the 'disconnect' event and a failed attempt call this; the timer makes it idempotent.
  const schedule = (reason: string) => {
    if (stopped || timer) return;
    const delayMs = backoffDelay(attempt, random, policy);
    attempt++;
    options.onRetry?.({ attempt, delayMs, reason });
    timer = setTimeout(() => {
      timer = undefined;
      void tryOnce();
    }, delayMs);
  };

  const tryOnce = async () => {
    // 'disconnect' is the status after a closed socket, 'offline' before the first start
    if (stopped || (entity.status !== "disconnect" && entity.status !== "offline")) return;
    try {
      await connectOnce();
    } catch (err: any) {
      // a failed attempt usually closes the socket ('disconnect' schedules the next one);
      // one that hangs (no handshake answer) still holds it: close it
      if (entity.socket) await entity.disconnect().catch(() => undefined);
      schedule(err?.message ?? String(err));
    }
  };

  const connectOnce = async () => {
    const { service, domain } = entity.options;
    const online = untilOnline(entity, attemptTimeoutMs);
    online.catch(() => undefined); // observed below; a failed connect must not leave it unhandled
    await entity.connect(service);
    await entity.open({ domain });
    await online; // component() handshakes on 'open' (XEP-0114 §3), then goes 'online'
  };

  const onOnline = () => (attempt = 0);
  const onDisconnect = (info?: { clean?: boolean }) => schedule(info?.clean ? "server closed the connection" : "connection lost");

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      entity.on("online", onOnline);
      entity.on("disconnect", onDisconnect);
      void tryOnce();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      timer = undefined;
      entity.off("online", onOnline);
      entity.off("disconnect", onDisconnect);
    },
  };
}
