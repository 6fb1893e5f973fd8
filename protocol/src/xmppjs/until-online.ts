// Waiting for an xmpp.js entity (client 0.14 or component 0.13) to be online: resolves on the
// first "online" (or another event that means in, e.g. our stream management's "resumed"),
// rejects when the connection drops first or time runs out. The reconnect loops of both the
// client and the component, and the component's delivery, wait through this one helper.
export interface EventSource {
  on(event: string, fn: (...args: any[]) => void): unknown;
  off(event: string, fn: (...args: any[]) => void): unknown;
}

export function untilOnline(entity: EventSource, timeoutMs: number, upEvents: readonly string[] = ["online"]): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      clearTimeout(timer);
      for (const e of upEvents) entity.off(e, up);
      entity.off("disconnect", down);
      if (err) reject(err);
      else resolve();
    };
    const up = () => done();
    const down = () => done(new Error("the connection dropped before it was online"));
    const timer = setTimeout(() => done(new Error(`not online within ${timeoutMs} ms`)), timeoutMs);
    timer.unref(); // a wait must not keep the process alive
    for (const e of upEvents) entity.on(e, up);
    entity.on("disconnect", down);
  });
}
