// What the demo prints: the story, one line per thing that happened, and a progress bar per hop
// (alice -> bob, alice -> store, store -> bob). On a terminal the bars share one status line,
// redrawn in place under the story; in a log (not a terminal) each hop gets a line every
// STEP bytes instead, so that a CI log stays readable.
const MiB = 1024 * 1024;
const STEP = 4 * MiB;
const WIDTH = 20;

export interface Screen {
  /** a line of the story (the status line, if shown, is redrawn below it) */
  say(line: string): void;
  /** how far a hop got: bytes the receiving end holds, of size */
  progress(hop: string, offset: number, size: number): void;
  /** the hop is over (done, or given up): its bar goes, and a late progress event of it is ignored */
  end(hop: string): void;
}

export const mib = (bytes: number) => (bytes / MiB).toFixed(1);

function bar(offset: number, size: number): string {
  const frac = size ? Math.min(offset / size, 1) : 1;
  const filled = Math.round(frac * WIDTH);
  return `[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mib(offset)}/${mib(size)} MiB`;
}

export function createScreen(out: NodeJS.WritableStream & { isTTY?: boolean } = process.stdout, tty = Boolean(out.isTTY)): Screen {
  const hops = new Map<string, { offset: number; size: number; printed: number }>();
  const ended = new Set<string>();
  let statusShown = false;
  const clear = () => {
    if (statusShown) out.write("\r\x1b[K");
    statusShown = false;
  };
  const draw = () => {
    if (!tty || hops.size === 0) return;
    out.write(`\r\x1b[K${[...hops].map(([hop, h]) => `${hop} ${bar(h.offset, h.size)}`).join("  ")}`);
    statusShown = true;
  };
  return {
    say(line) {
      clear();
      out.write(line + "\n");
      draw();
    },
    progress(hop, offset, size) {
      if (ended.has(hop)) return;
      const h = hops.get(hop) ?? { offset, size, printed: -1 };
      hops.set(hop, { ...h, offset, size });
      if (tty) return draw();
      // a line when the hop enters a new STEP (or goes back to an earlier one after a cut)
      const step = offset >= size ? Infinity : Math.floor(offset / STEP);
      if (step === h.printed) return;
      hops.get(hop)!.printed = step;
      out.write(`  ${hop} ${bar(offset, size)}\n`);
    },
    end(hop) {
      ended.add(hop);
      if (!hops.delete(hop)) return;
      clear();
      draw();
    },
  };
}

/** Turns a stream's chunks into whole lines for `onLine` (a chunk may end mid-line). */
export function byLine(onLine: (line: string) => void): (chunk: string) => void {
  let rest = "";
  return (chunk) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    for (const l of lines) if (l.trim()) onLine(l);
  };
}
