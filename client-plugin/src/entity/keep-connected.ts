// Reconnects our client when its connection drops: exponential backoff with full jitter
// (protocol/recovery/backoff.ts) instead of @xmpp/reconnect's fixed 1 s, each attempt first
// trying XEP-0198 resumption (stream-management.ts), so a transfer on a resumed stream just
// goes on. It is also the RecoveryNetwork the sender's retransfer asks for "network back".
import { backoffDelay, DEFAULT_BACKOFF, untilOnline, type BackoffPolicy, type RecoveryNetwork } from "@xft/protocol";
import type { XmppClient } from "./client.js";

export interface KeepConnectedOptions {
  backoff?: BackoffPolicy;
  /** ms one attempt may take from connect to online (or resumed) */
  attemptTimeout?: number;
  random?: () => number;
}

export interface ConnectionKeeper extends RecoveryNetwork {
  /** attempts made since the connection was last up */
  readonly attempts: number;
  stop(): void;
}

export function keepConnected(xmpp: XmppClient, options: KeepConnectedOptions = {}): ConnectionKeeper {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const attemptTimeout = options.attemptTimeout ?? 10_000;
  const random = options.random ?? Math.random;
  let attempts = 0;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> | undefined;
  let stopped = false;

  const isOnline = () => xmpp.status === "online";

  function attempt(): Promise<void> {
    if (isOnline()) return Promise.resolve();
    inFlight ??= (async () => {
      clearTimeout(timer);
      attempts++;
      // online, or resumed (our stream management): in either case the connection is back
      const up = untilOnline(xmpp, attemptTimeout, ["online", "resumed"]);
      up.catch(() => undefined); // observed below; a connect error must not leave it unhandled
      try {
        // a socket still half there (status "disconnect" comes from its close) is gone already
        await xmpp.reconnect.reconnect();
        await up;
        attempts = 0;
      } catch (err) {
        // an attempt that failed leaves the socket closed: make sure, then schedule the next
        await xmpp.disconnect().catch(() => undefined);
        schedule();
        throw err;
      } finally {
        inFlight = undefined;
      }
    })();
    return inFlight;
  }

  function schedule(): void {
    if (stopped || isOnline()) return;
    clearTimeout(timer);
    timer = setTimeout(() => attempt().catch(() => undefined), backoffDelay(attempts, random, backoff));
  }

  const onDisconnect = () => {
    if (!inFlight) schedule();
  };
  xmpp.on("disconnect", onDisconnect);

  return {
    isOnline,
    reconnect: attempt,
    get attempts() {
      return attempts;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
      xmpp.removeListener("disconnect", onDisconnect);
    },
  };
}
