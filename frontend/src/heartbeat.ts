// Tells a live connection from a dead one. The browser answers the server's WebSocket pings without showing them
// to the page, and after a laptop sleep or a network change a socket can stay "open" for minutes with nobody at
// the other end. So the page asks for itself: a `ping` every heartbeat (from `hello`), and one at once when the
// machine wakes up (a timer that fires far too late), the network comes back (`online`) or the tab is shown again.
// Silence, no frame of any kind, for two heartbeats, or for PROBE_TIMEOUT_MS after a wake-up ping, means the
// connection is dead.

/** How often the heartbeat looks at the clock. */
const TICK_MS = 1000;

/** A tick this much later than due means the machine (or the tab) was asleep. */
const WAKE_GAP_MS = 5000;

/** How long an answer to a wake-up ping may take. */
export const PROBE_TIMEOUT_MS = 5000;

/** Watches one connection; see the module documentation. */
export class Heartbeat {
  private lastHeard = Date.now();
  private lastPing = Date.now();
  private lastTick = Date.now();
  /** When the pending wake-up ping went out, if one is pending. */
  private probeSince: number | undefined;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly onOnline = () => this.probe();
  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible') this.probe();
  };

  /** Sends `ping` every `intervalSeconds`; calls `dead` once when the connection stops answering. */
  constructor(
    private readonly intervalSeconds: number,
    private readonly ping: () => void,
    private readonly dead: () => void,
  ) {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    window.addEventListener('online', this.onOnline);
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  /** A frame arrived: the connection is alive. */
  heard(): void {
    this.lastHeard = Date.now();
    this.probeSince = undefined;
  }

  /** Stops watching (the connection ended). */
  stop(): void {
    clearInterval(this.timer);
    window.removeEventListener('online', this.onOnline);
    document.removeEventListener('visibilitychange', this.onVisibility);
  }

  /** Pings now and expects an answer within PROBE_TIMEOUT_MS. */
  private probe(): void {
    if (this.probeSince !== undefined) return;
    this.probeSince = Date.now();
    this.sendPing();
  }

  private sendPing(): void {
    this.lastPing = Date.now();
    this.ping();
  }

  private tick(): void {
    const now = Date.now();
    const late = now - this.lastTick - TICK_MS;
    this.lastTick = now;
    const interval = this.intervalSeconds * 1000;
    if (late > WAKE_GAP_MS && this.probeSince === undefined) {
      // After a sleep the last frame is old for a reason that says nothing about the connection: ask it.
      this.probe();
    } else if (this.probeSince !== undefined) {
      if (now - this.probeSince > PROBE_TIMEOUT_MS) this.die();
    } else if (now - this.lastHeard > 2 * interval) {
      this.die();
    } else if (now - this.lastPing >= interval) {
      this.sendPing();
    }
  }

  private die(): void {
    this.stop();
    this.dead();
  }
}
