// Keeps the page connected to its session: opens a connection, shows its state, and after a drop (or a connection
// that stopped answering its heartbeat, `heartbeat.ts`) attaches to the same session again with backoff
// (`reconnect_wait.ts`); the server then sends the session's whole screen. A session that is gone (close code
// 4404) is forgotten and a new one starts. After the program exits, Enter starts a new session.
// A program the server could not start (close code 1011 after an `error`) is not retried by itself: the status bar
// shows the server's reason, and Enter tries again.
// Under the `single` input policy it offers "Take control", and a page that had control when its connection dropped
// asks for it back once it is attached again: its old connection may keep control at the server until the ping
// timeout (up to a minute), and the person at this page was the one typing.

import type { Terminal } from '@xterm/xterm';
import { Connection } from './connection';
import { KeptInput, LostInput, utf8Length } from './kept_input';
import { type ExitStatus, type Hello, describeExit } from './protocol';
import { ReconnectWait, backoffSeconds } from './reconnect_wait';
import type { SentInput } from './sent_input';
import { keepControl, rememberSessionId, takeKeptControl } from './session_id';
import type { SessionSize } from './session_size';
import type { StatusBar } from './status';
import { urlArgs } from './url_args';

/**
 * How long after it last heard from the server a page still takes control back by itself: the server's default
 * ping timeout (`websocket.ping_timeout_secs`), until which its old connection may keep control. Later, whoever
 * has control took it (or got it) while this page was away: a laptop that slept does not take the keyboard.
 */
const RECLAIM_WINDOW_MS = 60_000;

/**
 * Puts the terminal's modes back to a fresh terminal's before a new session starts, keeping the screen and the
 * scrollback: no bracketed paste, no mouse reports, normal cursor keys, visible cursor, plain colors, the page's
 * own title, no focus reports. A resumed session needs none of this: its screen starts with a full reset.
 */
const FRESH_MODES =
  '\x1b[?2004l\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?1004l\x1b[?1l\x1b[?25h\x1b[0m\x1b]2;\x07';

/**
 * Where the connector stands between connections; `starting` until the first `connect` (the page is still finding
 * out which session is its own); `failed` once the server could not start the program, until Enter.
 */
type Phase = 'starting' | 'connected' | 'waiting' | 'exited' | 'failed';

/** Owns the page's one connection at a time. */
export class Connector {
  private session: string | undefined;
  private connection: Connection | undefined;
  private phase: Phase = 'starting';
  private attempt = 0;
  /** The wait before the next attempt, while `waiting`. */
  private readonly wait = new ReconnectWait(() => {
    if (this.phase === 'waiting') this.connect();
  });
  /** The current connection's `hello`, until it ends. */
  private hello: Hello | undefined;
  /** Whether this page's input reaches the program, on the current connection. */
  private writable = false;
  /**
   * Whether what is typed here reaches the program, as last shown for the current connection's `hello`: writable,
   * and not held back on another user's session.
   */
  private typingNow = false;
  /** This page had control (the `single` policy) when its last connection dropped: it asks for it back. */
  private reclaim = false;
  /** The client number of the connection that dropped with control; the server gives control back to it only. */
  private reclaimFrom: number | undefined;
  /**
   * When the connection that dropped last heard from the server (`Date.now()`, which jumps across a sleep, while
   * the drop itself is noticed only after it).
   */
  private lastHeard = 0;
  /**
   * This page reattaches to take control back: what is typed waits until the server gives it (the old connection
   * may keep it until its ping timeout, and the server refuses input from a client that does not type).
   */
  private awaitingControl = false;
  /**
   * The session of another user (`hello.owner`) that the person at this page said to type into ("Type here"). Until
   * then such a session is shown but nothing typed is sent: a link to someone else's session must not collect what
   * an admin types (a fake password prompt).
   */
  private approved: string | undefined;
  /** Whose `session` is, as its last `hello` said: `name` is the owner when that is not this page's user. */
  private owner: { session: string; name: string | undefined } | undefined;
  /** Text typed before it is known whether it may be sent (`kept_input.ts`). */
  private readonly kept = new KeptInput();
  /** Text typed or pasted that could not be held for the next connection; said until the next drop. */
  private readonly lost: LostInput;
  /** Input the last connection was handed but never sent (it did not open): the next one to the session sends it. */
  private unsent: Uint8Array<ArrayBuffer>[] = [];
  /** What the connection that dropped sent, for the next one to send again what did not arrive. */
  private sent: SentInput | undefined;

  /** `greeted` runs on every `hello` (to apply the server's options). */
  constructor(
    private readonly term: Terminal,
    private readonly status: StatusBar,
    private readonly size: SessionSize,
    private readonly greeted: (hello: Hello) => void,
  ) {
    this.lost = new LostInput(status);
  }

  /** The id of this page's session: attached to again after a drop or a reload; undefined starts a new one. */
  get sessionId(): string | undefined {
    return this.session;
  }

  /** The current connection's `hello` (for the page's debug hook), until the connection ends. */
  get currentHello(): Hello | undefined {
    return this.hello;
  }

  /**
   * Whether what is typed in this page reaches the program now: connected, writable, and not held back on another
   * user's session until "Type here".
   */
  get typing(): boolean {
    return this.hello !== undefined && this.typingNow;
  }

  /**
   * Whether closing the page would end the program: the session does not linger (`session.linger_secs = 0`), and
   * this page types into it (ask before it closes, as ttyd does).
   */
  get closingEndsSession(): boolean {
    return this.hello?.linger === 0 && this.typing;
  }

  /** Output bytes of the current connection handed to the terminal and not parsed yet (for the debug hook). */
  get unparsedBytes(): number {
    return this.connection?.unparsedBytes ?? 0;
  }

  /** Sets the page's session, and keeps it in the tab's storage for a reload. */
  private setSession(id: string | undefined): void {
    this.session = id;
    rememberSessionId(id);
  }

  /**
   * Opens a connection now, to this page's session when it has one, cancelling any countdown. `sessionId` is a
   * session to attach to (from the tab's storage or the page's address), for the first connection; without one the
   * first connection starts a new session.
   */
  connect(sessionId?: string): void {
    if (sessionId !== undefined) {
      this.session = sessionId;
      // A reload of a page that had the keyboard asks for it back, as after a dead network.
      const kept = takeKeptControl(sessionId);
      if (kept !== undefined) {
        this.reclaim = true;
        this.reclaimFrom = kept.client;
        this.lastHeard = kept.heard;
      }
    }
    this.wait.stop();
    this.connection?.close();
    this.hello = undefined;
    this.phase = 'connected';
    if (this.attempt === 0) this.status.show('connecting');
    else this.status.show('reconnecting', `reconnecting (attempt ${this.attempt})`);
    this.term.options.disableStdin = false;
    this.status.showTakeControl(false);
    this.status.showTypeHere(false);
    if (this.mayTypeHere() === undefined) this.size.awaitOwner();
    this.awaitingControl = this.reclaim;
    const events = {
      hello: (hello: Hello) => this.onHello(hello),
      control: (writable: boolean) => this.onControl(writable),
      exit: (status: ExitStatus) => this.onExit(status),
      gone: () => this.onGone(),
      refused: (message: string) => this.onRefused(message),
      dropped: (unsent: Uint8Array<ArrayBuffer>[], sent: SentInput | undefined) => this.onDrop(unsent, sent),
      lost: (bytes: number) => this.lost.lose(bytes),
    };
    // What went out on the connection before is sent again only to the same session.
    const sent = this.session === undefined ? undefined : this.sent;
    const connection = new Connection(
      this.term,
      this.session,
      this.size,
      events,
      () => this.typing,
      this.unsent,
      sent,
    );
    this.unsent = [];
    this.sent = undefined;
    this.connection = connection;
    // A new session is this page's own: what was typed goes now (the connection keeps it while its socket opens).
    this.releaseKept();
  }

  /**
   * A key was pressed, or text is pasted (before its input comes to `input`): while waiting to reconnect, reconnects
   * at once, and the key and those after it are sent once the socket is open (to the same session: one that is gone
   * never gets them). Only a key or a paste: a program's mouse and focus reports are input too, and would otherwise
   * open a socket for every move of the mouse while the server is down.
   */
  keyPressed(): void {
    // First, so that a reconnect it starts asks for this page's size; not on a session this page may not type into.
    if (this.mayType() === true) this.size.keyPressed();
    if (this.phase === 'waiting') this.connect();
  }

  /**
   * Hands typed text to the connection: kept until it is known that it may be sent (`mayType`), dropped
   * on another user's session until "Type here" and while waiting to reconnect; Enter after an exit starts anew.
   */
  input(data: string): void {
    if (this.phase === 'exited') {
      if (data === '\r') this.startNewSession('\r\n');
      return;
    }
    if (this.phase === 'failed') {
      if (data === '\r') this.connect();
      return;
    }
    if (this.phase === 'waiting') return;
    const may = this.phase === 'starting' ? undefined : this.mayType();
    if (may === undefined) {
      if (!this.kept.keep(data)) this.lost.lose(utf8Length(data));
    } else if (may) {
      this.send(data);
    }
  }

  /** Sends `data` on the current connection, which holds it while it opens; says so when it could not. */
  private send(data: string): void {
    if (this.connection !== undefined && !this.connection.sendText(data)) this.lost.lose(utf8Length(data));
  }

  /** Sends what was kept if it may be sent now, forgets it if it may not, and keeps it while that is unknown. */
  private releaseKept(): void {
    const may = this.mayType();
    if (may === undefined) return;
    const kept = this.kept.take();
    if (may) for (const data of kept) this.send(data);
  }

  /** Uploads dropped files to the session's current directory (`file_transfer.ts`), when this page types. */
  async upload(items: DataTransferItemList): Promise<void> {
    if (this.connection === undefined || !this.typing) throw new Error('this page does not type into the session');
    await this.connection.upload(items);
  }

  /** Hands binary input (xterm's `onBinary`) to the connection. */
  binaryInput(data: string): void {
    if (this.phase === 'connected' && this.mayType() === true) this.connection?.sendBinaryString(data);
  }

  /** Asks the server to make this page the one that types (the "Take control" button). */
  takeControl(): void {
    if (this.phase !== 'connected') return;
    this.approved = this.hello?.session;
    this.size.hold(false);
    this.connection?.takeControl();
  }

  /** Starts sending what is typed to another user's session (the "Type here" button). */
  typeHere(): void {
    if (this.hello === undefined) return;
    this.approved = this.hello.session;
    this.size.hold(false);
    this.showWritable(this.writable);
  }

  /** Whether what is typed may go to the program now: `mayTypeHere`, and undefined while control comes back. */
  private mayType(): boolean | undefined {
    return this.awaitingControl ? undefined : this.mayTypeHere();
  }

  /**
   * Whether what is typed may go to the program of this page's session: yes for a new session (this page's own) and
   * for one whose `hello` named no other owner; no for another user's session until "Type here"; undefined while
   * attaching until `hello` says whose it is.
   */
  private mayTypeHere(): boolean | undefined {
    if (this.session === undefined) return true;
    if (this.owner?.session !== this.session) return undefined;
    return this.owner.name === undefined || this.approved === this.session;
  }

  /**
   * The page is going (`pagehide`: a reload, or leaving it). If it has the keyboard under the `single` policy, or
   * was getting it back, the next page in this tab (a reload) asks for it back from this page's client.
   */
  leaving(): void {
    const hello = this.hello;
    let kept: { client: number; heard: number } | undefined;
    if (hello?.client !== undefined && hello.input === 'single' && this.writable && !this.awaitingControl) {
      kept = { client: hello.client, heard: this.connection?.lastHeard ?? Date.now() };
    } else if ((this.reclaim || this.awaitingControl) && this.reclaimFrom !== undefined) {
      kept = { client: this.reclaimFrom, heard: this.lastHeard };
    }
    keepControl(kept && this.session !== undefined ? { session: this.session, ...kept } : undefined);
  }

  /** Forgets the old session and starts a new one, after fresh modes and `note` (local text, not the program's). */
  private startNewSession(note: string): void {
    // Keys kept for the old session (waiting for its `hello` or for control) are not for a new shell.
    this.kept.take();
    this.unsent = [];
    this.sent = undefined;
    this.lost.forget();
    this.awaitingControl = false;
    this.setSession(undefined);
    this.attempt = 0;
    this.reclaim = false;
    this.size.restart();
    // Back to the main screen only from the alternate one: leaving it restores the cursor saved on entering it,
    // which on the main screen would jump the cursor to the top.
    const mainScreen = this.term.buffer.active.type === 'alternate' ? '\x1b[?1049l' : '';
    this.term.write(mainScreen + FRESH_MODES + note);
    this.connect();
  }

  private onHello(hello: Hello): void {
    this.attempt = 0;
    this.hello = hello;
    this.owner = { session: hello.session, name: hello.owner };
    this.setSession(hello.session);
    this.size.hold(this.mayTypeHere() === false);
    // Read-only only because the old connection still has control, not because of this page's role; and only
    // soon after it was last heard from, in a tab the person is looking at (a tab in the background that
    // reconnects by itself must not take the keyboard from the one in use).
    const recent = Date.now() - this.lastHeard < RECLAIM_WINDOW_MS;
    const seen = document.visibilityState === 'visible';
    // Only where what is typed here goes to the program: a reload forgets "Type here" on another user's session.
    const reclaiming =
      this.reclaim &&
      recent &&
      seen &&
      !hello.writable &&
      hello.input === 'single' &&
      hello.role === 'write' &&
      this.mayTypeHere() === true;
    this.reclaim = false;
    if (!reclaiming) this.awaitingControl = false;
    this.showWritable(hello.writable);
    this.greeted(hello);
    if (reclaiming) this.connection?.takeControl(this.reclaimFrom);
    this.releaseKept();
  }

  /** Whether this page may type changed: what waited for control back goes now, or not at all. */
  private onControl(writable: boolean): void {
    if (this.awaitingControl) {
      this.awaitingControl = false;
      if (writable) this.releaseKept();
      else this.kept.take();
    }
    this.showWritable(writable);
  }

  /**
   * Shows whether this page types now, offers "Take control" when another client has the keyboard, and "Type here"
   * on another user's session until told to type into it.
   */
  private showWritable(writable: boolean): void {
    this.writable = writable;
    const hello = this.hello;
    if (hello === undefined) return;
    // Whoever may not type now but could: only the `single` policy hands the keyboard from one client to another.
    const canTake = !writable && hello.input === 'single' && hello.role === 'write';
    const holding = writable && this.mayType() === false;
    const typing = writable && !holding;
    this.typingNow = typing;
    // While control is on its way back, keys are kept for it rather than refused.
    this.term.options.disableStdin = !typing && !this.awaitingControl;
    this.term.options.cursorBlink = typing;
    this.status.showWritable(typing);
    this.status.showTakeControl(canTake);
    this.status.showTypeHere(holding);
    let text = hello.resumed ? 'connected (session resumed)' : 'connected';
    if (hello.owner !== undefined) text += ` to ${hello.owner}'s session`;
    if (canTake) text += ', another client is typing: take control to type here';
    else if (holding) text += ': nothing you type is sent until you click "Type here"';
    else if (!writable) text += ', read-only: your input is not sent';
    this.status.show('connected', text);
  }

  private onExit(status: ExitStatus): void {
    this.phase = 'exited';
    this.lost.forget();
    this.reclaim = false;
    this.connection = undefined;
    this.hello = undefined;
    // The session is over: a reload, or Enter, starts a new one.
    this.setSession(undefined);
    this.term.options.disableStdin = false;
    this.status.showTakeControl(false);
    this.status.showTypeHere(false);
    const how = describeExit(status);
    this.term.write(`\r\n[process exited with ${how}; press Enter for a new session]\r\n`);
    this.status.show('exited', `exited with ${how}. Press Enter for a new session`);
  }

  private onGone(): void {
    // Only an attach is answered with "gone"; anything else closing that way is an ordinary drop.
    if (this.session === undefined) {
      this.onDrop([], undefined);
      return;
    }
    this.connection = undefined;
    this.hello = undefined;
    // What was typed for the session that is gone is not for a new shell (`rm -rf *` meant for another directory):
    // `startNewSession` forgets it.
    this.startNewSession('\r\n[the previous session has ended; starting a new one]\r\n');
  }

  /** The server could not start the program: says why, and waits for Enter (trying by itself would fail again). */
  private onRefused(message: string): void {
    this.phase = 'failed';
    this.connection = undefined;
    this.hello = undefined;
    this.attempt = 0;
    this.kept.take();
    this.unsent = [];
    this.sent = undefined;
    // Enter must reach the page to try again, on a page that was read-only or holding too.
    this.term.options.disableStdin = false;
    this.status.showTakeControl(false);
    this.status.showTypeHere(false);
    this.term.write(`\r\n[${message}; press Enter to try again]\r\n`);
    this.status.show('disconnected', `${message}. Press Enter to try again`);
  }

  private onDrop(unsent: Uint8Array<ArrayBuffer>[], sent: SentInput | undefined): void {
    // What the connection never sent goes on the next one, to the same session (or, with none, a new one again),
    // after what it sent that did not arrive.
    this.unsent = unsent;
    this.sent = sent;
    // A connection that ended before its `hello` changes nothing: the one before it decides.
    // Only a page that typed: one holding input on another user's session never takes the keyboard by itself.
    if (this.hello !== undefined) {
      const hadControl = this.writable || this.awaitingControl;
      this.reclaim = hadControl && this.hello.input === 'single' && this.mayTypeHere() === true;
      // Only a connection that had control: one still waiting for it back names the one before it.
      if (this.writable) this.reclaimFrom = this.hello.client;
      this.lastHeard = this.connection?.lastHeard ?? Date.now();
    }
    // A link's program arguments (`?arg=`) refused at the upgrade look like a network failure: the browser does
    // not show the page the server's answer. After a second attempt in a row without a `hello`, the page says
    // that they may be why.
    const argsRefused =
      this.hello === undefined && this.attempt > 0 && this.session === undefined && urlArgs().length > 0;
    const hint = argsRefused ? '; the server may be refusing the program arguments in the address (?arg=)' : '';
    this.phase = 'waiting';
    this.connection = undefined;
    this.hello = undefined;
    this.status.showTakeControl(false);
    this.status.showTypeHere(false);
    const wait = backoffSeconds(this.attempt) * 1000;
    // A new outage: what was lost in the last one has been told.
    if (this.attempt === 0) this.lost.forget();
    this.attempt += 1;
    // Local text only: a resumed session's screen begins with a full reset, which wipes it.
    if (this.attempt === 1) this.term.write('\r\n[connection lost]\r\n');
    this.wait.start(wait, (left) => {
      const retry = `connection lost; reconnecting in ${left} s (press any key to retry now)`;
      this.status.show('reconnecting', retry + hint);
    });
  }
}
