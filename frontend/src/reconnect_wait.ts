// The wait before a reconnect attempt: 1, 2, 4 ... 30 s of wall time after a drop, counted down in the status bar,
// and cut short when the network comes back or the tab is shown again. Counted against the clock, not in ticks: a
// tab in the background gets its timers once a minute or less, and a machine that slept got none at all.

/** The longest wait between two reconnect attempts. */
export const MAX_BACKOFF_SECONDS = 30;

/** Seconds to wait before reconnect attempt `attempt` (0 for the first after a drop): 1, 2, 4 ... 30. */
export function backoffSeconds(attempt: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, 2 ** Math.max(0, attempt));
}

/** One wait at a time; `start` begins one, `stop` ends it without an attempt. */
export class ReconnectWait {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onOnline = () => this.timeUp();
  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible') this.timeUp();
  };

  /** `attempt` runs when a wait is over (its time is up, the network is back, or the tab is shown again). */
  constructor(private readonly attempt: () => void) {}

  /** Waits `ms`, calling `show` with the whole seconds left each time that number changes. */
  start(ms: number, show: (secondsLeft: number) => void): void {
    this.stop();
    let deadline = Date.now() + ms;
    const tick = () => {
      const now = Date.now();
      // A clock set back starts the wait anew rather than stretching it.
      if (deadline - now > ms) deadline = now + ms;
      const left = Math.ceil((deadline - now) / 1000);
      if (left <= 0) {
        this.timeUp();
        return;
      }
      show(left);
      // Next when the number shown changes, or the time is up.
      this.timer = setTimeout(tick, deadline - now - (left - 1) * 1000);
    };
    tick();
    if (this.timer === undefined) return;
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  /** Ends the wait, if there is one, without an attempt. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  private timeUp(): void {
    this.stop();
    this.attempt();
  }
}
