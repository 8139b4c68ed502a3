// Flow control for terminal output: asks the server to pause while xterm.js has too much unparsed output queued.

/** Pause the server above this many bytes handed to `term.write` and not yet parsed. */
export const HIGH_WATER_BYTES = 256 * 1024;

/** Resume the server below this many. */
export const LOW_WATER_BYTES = 64 * 1024;

/**
 * Counts the bytes handed to `term.write` whose write callback has not fired, and calls `pause` when the count
 * passes the high mark and `resume` when it falls back under the low one (once each, never twice in a row).
 */
export class WriteFlow {
  private pending = 0;
  private paused = false;

  constructor(
    private readonly pause: () => void,
    private readonly resume: () => void,
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
      if (this.paused && this.pending < LOW_WATER_BYTES) {
        this.paused = false;
        this.resume();
      }
    };
  }
}
