// How `xft` shows events: JSON lines with --json, a progress bar on a terminal, plain lines otherwise.
export interface CliEvent {
  type:
    | "started" | "progress" | "interrupted" | "resumed" | "completed" | "failed" | "declined"
    | "prompt" | "forwarding" | "stored-offline" | "partial-rejected" | "summary"
    /** a signal: sessions end (<gone/>), partials kept, the stream closes, exit 130/143 */
    | "stopping"
    /** an offer refused in its IQ reply (no size, too many at once, a reserved name...) */
    | "refused";
  offset?: number;
  size?: number;
  sha256?: string;
  name?: string;
  path?: string;
  peer?: string;
  reason?: string;
  /** completed: no hash of the sender's checked it (sha256 is of what arrived) */
  unverified?: true;
  /** refused: the stanza error condition */
  condition?: string;
  /** summary: file bytes this process handed to the link, in all and by peer (bare JID) */
  sent?: number;
  sentTo?: Record<string, number>;
}

const MiB = 1024 * 1024;

export function createRenderer(opts: { json: boolean; tty: boolean; out?: NodeJS.WritableStream; now?: () => number }) {
  const out = opts.out ?? process.stdout;
  const now = opts.now ?? Date.now;
  let start = now();
  let startOffset = 0;
  let barShown = false;

  function bar(e: CliEvent): string {
    const size = e.size ?? 0;
    const offset = e.offset ?? 0;
    const frac = size ? offset / size : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    const secs = Math.max((now() - start) / 1000, 0.001);
    const rate = (offset - startOffset) / secs;
    const eta = rate > 0 ? (size - offset) / rate : 0;
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${(frac * 100).toFixed(1).padStart(5)}% ${(offset / MiB).toFixed(1)}/${(size / MiB).toFixed(1)} MiB ${(rate / MiB).toFixed(1)} MiB/s ETA ${eta.toFixed(0)} s`;
  }

  return function render(e: CliEvent): void {
    if (e.type === "started" || e.type === "resumed") {
      start = now();
      startOffset = e.offset ?? 0;
    }
    if (opts.json) {
      out.write(JSON.stringify(e) + "\n");
      return;
    }
    if (e.type === "progress") {
      if (opts.tty) {
        out.write(`\r${bar(e)}`);
        barShown = true;
      }
      return;
    }
    if (barShown) {
      out.write("\n");
      barShown = false;
    }
    const where = e.size !== undefined ? ` at ${e.offset ?? 0}/${e.size} bytes` : "";
    const detail = [e.name, e.path && `-> ${e.path}`, e.reason && `(${e.reason})`].filter(Boolean).join(" ");
    out.write(`${e.type}${where}${detail ? " " + detail : ""}\n`);
  };
}
