// Keeps the page connected: opens a connection, shows its state, and after a drop opens a new one with backoff
// (1, 2, 4 ... 30 s, counted down in the status bar). After the program exits, Enter starts a new session.

import type { Terminal } from '@xterm/xterm';
import { Connection } from './connection';
import { type ExitStatus, type Hello, describeExit } from './protocol';
import type { StatusBar } from './status';

/** The longest wait between two reconnect attempts. */
export const MAX_BACKOFF_SECONDS = 30;

/** Seconds to wait before reconnect attempt `attempt` (0 for the first after a drop): 1, 2, 4 ... 30. */
export function backoffSeconds(attempt: number): number {
  return Math.min(MAX_BACKOFF_SECONDS, 2 ** Math.max(0, attempt));
}

/**
 * Puts the terminal's modes back to a fresh terminal's before a new session starts, keeping the screen and the
 * scrollback: main screen, no bracketed paste, no mouse reports, normal cursor keys, visible cursor, plain
 * colors, the page's own title.
 */
const FRESH_MODES =
  '\x1b[?1049l\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1l\x1b[?25h\x1b[0m\x1b]2;\x07';

/** Where the connector stands between connections. */
type Phase = 'connected' | 'waiting' | 'exited';

/** Owns the page's one connection at a time. */
export class Connector {
  /** The id of the session last greeted; kept so that a later protocol version can resume it. */
  sessionId: string | undefined;
  private connection: Connection | undefined;
  private phase: Phase = 'waiting';
  private attempt = 0;
  private countdown: ReturnType<typeof setInterval> | undefined;
  private sessions = 0;

  /** `greeted` runs on every `hello` (to apply the server's options). */
  constructor(
    private readonly term: Terminal,
    private readonly status: StatusBar,
    private readonly greeted: (hello: Hello) => void,
  ) {}

  /** Opens a connection now, cancelling any countdown. */
  connect(): void {
    clearInterval(this.countdown);
    this.connection?.close();
    if (this.sessions > 0) this.term.write(FRESH_MODES);
    this.sessions += 1;
    this.phase = 'connected';
    if (this.attempt === 0) this.status.show('connecting');
    else this.status.show('reconnecting', `reconnecting (attempt ${this.attempt})`);
    this.term.options.disableStdin = false;
    const connection = new Connection(this.term, {
      hello: (hello) => this.onHello(hello),
      exit: (status) => this.onExit(status),
      dropped: () => this.onDrop(),
    });
    this.connection = connection;
  }

  /** Hands typed text to the connection; while waiting to reconnect, any key reconnects at once. */
  input(data: string): void {
    if (this.phase === 'connected') this.connection?.sendText(data);
    else if (this.phase === 'waiting') this.connect();
    else if (this.phase === 'exited' && data === '\r') {
      this.attempt = 0;
      this.term.write('\r\n');
      this.connect();
    }
  }

  /** Hands binary input (xterm's `onBinary`) to the connection. */
  binaryInput(data: string): void {
    if (this.phase === 'connected') this.connection?.sendBinaryString(data);
  }

  /** Tells the connection that the terminal's size changed. */
  sizeChanged(): void {
    this.connection?.sizeChanged();
  }

  private onHello(hello: Hello): void {
    this.attempt = 0;
    this.sessionId = hello.session;
    this.term.options.disableStdin = !hello.writable;
    this.term.options.cursorBlink = hello.writable;
    this.status.showWritable(hello.writable);
    this.status.show('connected', hello.writable ? 'connected' : 'connected, read-only: your input is not sent');
    this.greeted(hello);
  }

  private onExit(status: ExitStatus): void {
    this.phase = 'exited';
    this.connection = undefined;
    this.term.options.disableStdin = false;
    const how = describeExit(status);
    this.term.write(`\r\n[process exited with ${how}; press Enter for a new session]\r\n`);
    this.status.show('exited', `exited with ${how}. Press Enter for a new session`);
  }

  private onDrop(): void {
    this.phase = 'waiting';
    this.connection = undefined;
    let left = backoffSeconds(this.attempt);
    this.attempt += 1;
    if (this.attempt === 1) this.term.write('\r\n[connection lost]\r\n');
    const show = () =>
      this.status.show('reconnecting', `connection lost; reconnecting in ${left} s (press any key to retry now)`);
    show();
    this.countdown = setInterval(() => {
      left -= 1;
      if (left > 0) show();
      else this.connect();
    }, 1000);
  }
}
