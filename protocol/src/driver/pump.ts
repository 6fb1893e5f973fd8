// The sending side of an IBB stream: reads blocks from disk and keeps up to `window` of them
// in flight (XEP-0047 allows pipelining), so the link never idles waiting for one ack.
import { nextSeq } from "../xep0047/ibb.js";
import { IqError } from "./port.js";

export interface PumpOptions {
  blocks: AsyncIterable<Buffer>;
  startOffset: number;
  window: number;
  sendBlock(seq: number, data: Buffer): Promise<void>;
  onAcked?(offset: number): void;
  signal: AbortSignal;
}

export type PumpResult = { ok: true; offset: number } | { ok: false; offset: number; error: IqError };

export async function pump({ blocks, startOffset, window, sendBlock, onAcked, signal }: PumpOptions): Promise<PumpResult> {
  let seq = 0;
  let acked = startOffset;
  let failure: IqError | undefined;
  const inFlight = new Set<Promise<void>>();
  // blocks not yet counted in `acked`, in send order: with a window, an ack only moves `acked` once
  // every earlier block is acked too, so a lost block is never covered by a later one's ack
  const unacked: { length: number; acked: boolean }[] = [];
  for await (const block of blocks) {
    if (failure || signal.aborted) break;
    while (inFlight.size >= window) await Promise.race(inFlight);
    if (failure || signal.aborted) break;
    const entry = { length: block.length, acked: false };
    unacked.push(entry);
    const sent: Promise<void> = sendBlock(seq, block).then(
      () => {
        entry.acked = true;
        const before = acked;
        while (unacked[0]?.acked) acked += unacked.shift()!.length;
        if (acked !== before) onAcked?.(acked);
      },
      (err) => {
        failure ??= err instanceof IqError ? err : new IqError("undefined-condition", "cancel", String(err?.message ?? err));
      },
    ).finally(() => inFlight.delete(sent));
    inFlight.add(sent);
    seq = nextSeq(seq);
  }
  // Stopped: blocks still in flight may never be answered (the link is gone); their acks no
  // longer matter, so do not wait for their timeouts.
  const stopped = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
  await Promise.race([Promise.all(inFlight), stopped]);
  if (failure) return { ok: false, offset: acked, error: failure };
  if (signal.aborted) return { ok: false, offset: acked, error: new IqError("cancelled", "cancel", "stopped") };
  return { ok: true, offset: acked };
}
