// Cuts in turn under a running transfer: the sender's link, then the receiver's, and so on, each
// after the receiver got `gap` more bytes, until `count` cuts or the end of the transfer.
import { DEFAULTS } from "@xft/protocol";
import type { FaultProxy } from "../harness/fault-proxy.js";
import { until } from "./wait.js";

/** One send window at the engine's default block size and window (16 x 32766 bytes): what was
 *  in flight when a link is cut, so the most a cut may make a sender send again. */
export const WINDOW_BYTES = DEFAULTS.window * DEFAULTS.blockSize;

export async function cutInTurn(opts: {
  done: Promise<unknown>;
  received: () => number;
  proxies: [FaultProxy, FaultProxy];
  count: number;
  gap: number;
}): Promise<number> {
  let cuts = 0;
  let finished = false;
  void opts.done.then(() => (finished = true), () => (finished = true));
  while (cuts < opts.count && !finished) {
    const before = opts.received();
    await until("progress between cuts", () => finished || opts.received() > before + opts.gap, 60_000);
    if (finished) break;
    opts.proxies[cuts % 2].cutAll();
    cuts++;
  }
  return cuts;
}
