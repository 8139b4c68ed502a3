// Flow control for terminal output. Two mechanisms, both driven by xterm.js's write callbacks (a write's callback
// fires once its bytes are parsed):
// - `pause` / `resume`: asks the server to stop while too much output waits to be parsed;
// - `ack`: tells the server how many output bytes have been parsed in all, so that it keeps at most its window
//   (`ACK_WINDOW` in `src/protocol.rs`, 1 MiB) of output in flight, whatever the network buffers in between.

/** Pause the server above this many bytes handed to `term.write` and not yet parsed. */
export const HIGH_WATER_BYTES = 256 * 1024;

/** Resume the server below this many. */
export const LOW_WATER_BYTES = 64 * 1024;

/**
 * Acknowledge parsed output every this many bytes. Less than the server's window, so a server waiting for an
 * acknowledgement always gets one; interactive output (an echo, a prompt) sends none.
 */
export const ACK_EVERY_BYTES = 128 * 1024;

/**
 * Counts the bytes handed to `term.write` whose write callback has not fired, and calls `pause` when the count
 * passes the high mark and `resume` when it falls back under the low one (once each, never twice in a row).
 * Calls `ack` with the bytes parsed so far, every ACK_EVERY_BYTES.
 */
export class WriteFlow {
  private pending = 0;
  private paused = false;
  private parsed = 0;
  private acked = 0;

  constructor(
    private readonly pause: () => void,
    private readonly resume: () => void,
    private readonly ack: (parsed: number) => void,
  ) {}

  /** Bytes written and not yet parsed. */
  get pendingBytes(): number {
    return this.pending;
  }

  /** Call when `bytes` are handed to `term.write`; returns the callback to give that write. */
  written(bytes: number): () => void {
    this.pending += bytes;
    if (!this.paused && this.pending > HIGH_WATER_BYTES) {
      this.paused = true;
      this.pause();
    }
    return () => {
      this.pending -= bytes;
      this.parsed += bytes;
      if (this.paused && this.pending < LOW_WATER_BYTES) {
        this.paused = false;
        this.resume();
      }
      if (this.parsed - this.acked >= ACK_EVERY_BYTES) {
        this.acked = this.parsed;
        this.ack(this.parsed);
      }
    };
  }
}
