// The size of the terminal when several clients share one session. The session (its PTY) has one size, which the
// program draws for. The page that set it last leads: its terminal fits its window and it tells the server each
// change. Every other page follows: its terminal has the session's size, as the server's `hello` and `size`
// messages say, and its window scrolls or leaves space where it differs, so the program's lines never wrap
// wrongly. A page that may type takes the size back when its window changes or a key is typed in it (like tmux's
// `window-size latest`), and when it gets control; a page that may not type never sends a size.

import type { Terminal } from '@xterm/xterm';
import { type Hello, type Size, isValidSize } from './protocol';

/** Wait this long after the last size change before telling the server, so a window drag sends one resize. */
const RESIZE_DEBOUNCE_MS = 50;

/** What the page's terminal does with a size (`terminal.ts`). */
export interface Sizing {
  /** Fits the terminal to its window, unless it follows. */
  fit(): void;
  /** Gives the terminal `size` and keeps it there, or (`undefined`) fits it to its window from now on. */
  follow(size: Size | undefined): void;
}

/** Whether `a` and `b` are the same size. */
function same(a: Size, b: Size): boolean {
  return a.cols === b.cols && a.rows === b.rows;
}

/** Decides the terminal's size for the page, across its connections. */
export class SessionSize {
  /** This page's window sets the session's size (a page starts so: it fits its window). */
  private leading = true;
  /** This page's input reaches the program, on its current connection. */
  private writable = false;
  /** This page shows another user's session and was not told to type into it ("Type here"): it only follows. */
  private holding = false;
  /** This page attaches without knowing whose the session is: it leads again once `hello` says it is its own. */
  private regain = false;
  /** Sends a resize on the current connection; undefined between connections. */
  private send: ((size: Size) => boolean) | undefined;
  /** The session's size as last heard from the server, or as this page last asked for it. */
  private known: Size | undefined;
  /**
   * This page's resizes on the current connection that the server has not answered yet, oldest first. The
   * server answers every resize it accepts with a `size` message to every client, in the order it applied them.
   */
  private unanswered: Size[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly term: Terminal,
    private readonly sizing: Sizing,
  ) {}

  /** The terminal's size now. */
  private get own(): Size {
    return { cols: this.term.cols, rows: this.term.rows };
  }

  /**
   * The size a new connection puts in its URL: this page's own for a new session or while it leads (an attach
   * with a size resizes the session when the client may type), else none (the session keeps its size).
   */
  requested(attaching: boolean): Size | undefined {
    return attaching && !this.leading ? undefined : this.own;
  }

  /**
   * The next connection attaches to a session that may be another user's: it asks for no size (an attach with a
   * size resizes the session), and leads again only if `hello` says the session is this page's user's.
   */
  awaitOwner(): void {
    this.leading = false;
    this.regain = true;
  }

  /** Whether this page holds what is typed on another user's session; when it stops, it may lead. */
  hold(holding: boolean): void {
    const was = this.holding;
    this.holding = holding;
    // Only when holding stops: a page that follows another of its user's pages keeps following.
    if (was && !holding && this.writable && !this.leading) this.lead();
  }

  /** Whether this page may set the session's size: it types, and not only in principle. */
  private get types(): boolean {
    return this.writable && !this.holding;
  }

  /** A new session starts for this page: it leads, at the size of its window. */
  restart(): void {
    this.leading = true;
    this.sizing.follow(undefined);
  }

  /** A connection's `hello`: from now on `send` sends a resize on it. */
  hello(hello: Hello, send: (size: Size) => boolean): void {
    this.send = send;
    this.unanswered = [];
    this.writable = hello.writable;
    this.known = { cols: hello.cols, rows: hello.rows };
    // A page that leads attached with its own size, which the server applied if the page may type; one that did
    // not know whose the session was leads now if it is its own. Another user's session keeps its size.
    const mine = hello.owner === undefined;
    if (this.types && mine && (this.leading || this.regain)) this.lead();
    else this.follow(this.known);
    this.regain = false;
  }

  /** The connection ended: nothing more is sent until the next `hello`. */
  disconnected(): void {
    clearTimeout(this.timer);
    this.send = undefined;
    this.unanswered = [];
  }

  /** Whether this page may type changed (the `single` input policy). */
  control(writable: boolean): void {
    this.writable = writable;
    // Its resizes from before were answered before this message; any since are ignored by the server.
    this.unanswered = [];
    if (this.types) {
      // The keyboard came to this page: so does the size.
      this.known = undefined;
      this.lead();
    } else {
      // Another client may type: from now on its size is the session's, and this page keeps its own until told.
      this.follow(this.own);
    }
  }

  /** The server's `size` message. */
  size(size: Size): void {
    const answered = this.unanswered.findIndex((asked) => same(asked, size));
    if (answered >= 0) {
      // The answer to a resize of this page's own (and older ones of its own were not answered with their size:
      // another client's came between, or the session was already that size).
      this.unanswered.splice(0, answered + 1);
      return;
    }
    // Another client's resize. When this page has a resize of its own on the way, the server applies that one
    // after this, and it wins.
    if (this.unanswered.length > 0) return;
    this.known = size;
    if (this.leading && same(size, this.own)) return;
    this.follow(size);
  }

  /** The room for the terminal changed (the window, the key bar): a page that may type takes the size back. */
  windowChanged(): void {
    if (this.types && !this.leading) this.lead();
    else this.sizing.fit();
  }

  /** A key was typed in this page: one that may type takes the size back, before the key is sent. */
  keyPressed(): void {
    if (this.types && !this.leading) this.lead();
  }

  /** The terminal's size changed (xterm's `onResize`): a leading page tells the server, once it settles. */
  resized(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tell(), RESIZE_DEBOUNCE_MS);
  }

  /** Fits the terminal to this page's window and tells the server at once. */
  private lead(): void {
    this.leading = true;
    this.sizing.follow(undefined);
    this.tell();
  }

  /** Renders the terminal at the session's `size`. */
  private follow(size: Size): void {
    this.leading = false;
    this.known = size;
    this.sizing.follow(size);
  }

  /** Sends this page's size when it leads, may type, and the session has another size. */
  private tell(): void {
    clearTimeout(this.timer);
    if (!this.leading || !this.writable || this.send === undefined) return;
    const size = this.own;
    if (!isValidSize(size.cols, size.rows)) return;
    if (this.known !== undefined && same(size, this.known)) return;
    if (this.send(size)) {
      this.unanswered.push(size);
      this.known = size;
    }
  }
}
