// @xmpp/iq 0.14's IQ caller with one race closed, for every entity of ours (the client and the
// store component, whose caller @xmpp/component makes itself). Its request() registers the reply's
// Deferred, then awaits entity.send(stanza), and only then listens to the Deferred's promise: a
// reply that comes before the write's callback (a TLS socket under load calls it late:
// receive-flood.test over STARTTLS, 2000 offers at `xft receive`, the store's "Component
// unavailable" error to a disco#info) rejects a promise nobody listens to yet, and Node ends the
// process on the unhandled rejection. Marking each promise handled when it is registered changes
// nothing else: request() still awaits it, and rejects with the same StanzaError.

type Pending = { promise: Promise<unknown> };

/** Patches an @xmpp/iq caller in place and returns it. */
export function handleEarlyReplies<T extends object>(caller: T): T {
  const handlers = (caller as unknown as { handlers?: unknown }).handlers;
  // the field this relies on: a newer @xmpp/iq without it fails here, at start-up, not in a race
  if (!(handlers instanceof Map)) throw new Error("@xmpp/iq's caller has no 'handlers' map: see protocol/src/xmppjs/early-replies.ts");
  const register = handlers.set.bind(handlers) as (id: string, pending: Pending) => Map<string, Pending>;
  handlers.set = (id: string, pending: Pending) => {
    pending.promise.catch(() => undefined); // handled from the start; request() awaits it later
    return register(id, pending);
  };
  return caller;
}
