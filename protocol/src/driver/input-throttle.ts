// Bounds what a receiving entity holds in memory when many bytestreams arrive at once. Each IBB
// block is decoded when its stanza is parsed and kept until the sink has written it; one session
// holds at most its sender's window, but a store taking 100 uploads holds 100 windows (at 16 x
// 32 KiB, 50 MiB of blocks plus their base64 text: the component's RSS grew past 230 MiB in the
// 100-upload bench). Past `high` bytes pending we stop reading the socket, so the rest waits in
// TCP buffers and the server's queue (TCP flow control; the senders' windows are unchanged), and
// read again once the sinks have brought it under `low`. Nothing is refused or reordered.

export interface InputGate {
  /** stop reading the connection */
  pause(): void;
  /** read it again */
  resume(): void;
}

export class InputThrottle {
  private pending = 0;
  private paused = false;

  constructor(private readonly gate: InputGate, readonly high: number, readonly low: number = high / 4) {
    if (!(low >= 0 && low < high)) throw new RangeError(`throttle marks: need 0 <= low < high, got ${low}, ${high}`);
  }

  /** a block of `bytes` arrived and waits for its sink */
  took(bytes: number): void {
    this.pending += bytes;
    if (!this.paused && this.pending > this.high) {
      this.paused = true;
      this.gate.pause();
    }
  }

  /** that block was written (or dropped) */
  released(bytes: number): void {
    this.pending = Math.max(0, this.pending - bytes);
    if (this.paused && this.pending <= this.low) {
      this.paused = false;
      this.gate.resume();
    }
  }

  get pendingBytes(): number {
    return this.pending;
  }
  get isPaused(): boolean {
    return this.paused;
  }
}
