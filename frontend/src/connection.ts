// One terminal WebSocket: input out as binary frames, output in as binary frames, control messages as JSON text.
// It knows nothing of reconnecting; `connector.ts` decides what happens when it ends.

import type { Terminal } from '@xterm/xterm';
import { FileTransfer } from './file_transfer';
import { WriteFlow } from './flow';
import { Heartbeat } from './heartbeat';
import {
  CLOSE_NO_SESSION,
  CLOSE_START_FAILED,
  type ClientMessage,
  type ExitStatus,
  type Hello,
  type Size,
  encodeClientMessage,
  isValidSize,
  parseServerMessage,
} from './protocol';
import { type SentInput, SentLog, notTaken } from './sent_input';
import { SESSION_PARAM } from './session_id';
import { ARG_PARAM, urlArgs } from './url_args';
import type { SessionSize } from './session_size';

/** The largest input frame the page sends (the server's smallest `websocket.max_message_size`). */
const MAX_INPUT_FRAME = 64 * 1024;

/**
 * The most input a page holds for a connection that is not open yet (what is typed, or pasted, while the page
 * reconnects), in bytes; beyond it, input is dropped until the connection opens, and the page says so.
 */
export const MAX_HELD_INPUT = 4 * 1024 * 1024;

/**
 * The terminal socket's URL: `ws` resolved against the page's own URL, so it works under a sub-path, with the
 * scheme switched to `wss:` under TLS and the terminal's size in the query when there is one the server accepts.
 * With a `session` id it attaches to that running session (`?session=ID`) instead of starting a new one.
 */
export function terminalSocketUrl(size: Size | undefined, session?: string, page: string = location.href): string {
  const url = new URL('ws', page);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  if (session !== undefined) {
    url.searchParams.set(SESSION_PARAM, session);
  } else {
    // Program arguments from the page's URL (`?arg=…`); the server refuses them unless session.allow_url_args.
    // They only matter when a program starts, so an attach leaves them out.
    for (const arg of urlArgs(page)) url.searchParams.append(ARG_PARAM, arg);
  }
  if (size !== undefined && isValidSize(size.cols, size.rows)) {
    url.searchParams.set('cols', String(size.cols));
    url.searchParams.set('rows', String(size.rows));
  }
  return url.href;
}

/**
 * What a connection reports. Exactly one of `exit`, `gone`, `refused` and `dropped` is called, once, at its end.
 */
export interface ConnectionEvents {
  /** The server's first message arrived. A resumed session's screen follows it as output. */
  hello(hello: Hello): void;
  /** Whether this client may type changed (another client took control, or this one got it). */
  control(writable: boolean): void;
  /** The program ended; its output has all been written to the terminal. */
  exit(status: ExitStatus): void;
  /** The session asked for does not exist any more (ended, expired, server restarted) or is not this user's. */
  gone(): void;
  /** The server could not start the program, for the reason in `message` (its `error`): trying again would fail. */
  refused(message: string): void;
  /**
   * The socket closed without an exit message (network, server restart, refused upgrade). `unsent` is the input
   * handed in that never went out (the socket never opened, or was closing), and `sent` what went out and may not
   * have arrived: the next connection to the same session can send them (`held`, `previous`).
   */
  dropped(unsent: Uint8Array<ArrayBuffer>[], sent: SentInput | undefined): void;
  /** `bytes` of input sent before the connection dropped did not arrive and could not be sent again. */
  lost(bytes: number): void;
}

/**
 * One WebSocket attached to `term`, to a new session or (with `session`) to a running one. Output goes straight
 * into the terminal; input is handed in by the page; `size` decides the terminal's size.
 */
export class Connection {
  private readonly socket: WebSocket;
  private readonly encoder = new TextEncoder();
  private readonly flow: WriteFlow;
  /** Output goes to the terminal through it: `trz` and `tsz` transfer files in the output and input. */
  private readonly transfer: FileTransfer;
  /** Watches for a dead connection, from `hello` on (when the server says how often to ping). */
  private heartbeat: Heartbeat | undefined;
  private ended = false;
  /** Input typed while the socket was still opening (or `held` from a connection before), sent once it is open. */
  private early: Uint8Array<ArrayBuffer>[];
  private earlyBytes: number;
  /** Whether the server's `hello` came: a close with CLOSE_START_FAILED after it is not a failed start. */
  private greeted = false;
  /** Input was dropped while the socket opened: so is all that comes after it, until it is open. */
  private earlyFull = false;
  /** The server's last `error` message on this connection. */
  private serverError: string | undefined;
  /** This connection's client number in the session, from its `hello`. */
  private client: number | undefined;
  /** The input sent on this connection: how much, and the last `MAX_HELD_INPUT` bytes of it. */
  private readonly sent = new SentLog(MAX_HELD_INPUT);
  /**
   * What the page's connection before this one sent, until the server says how much of it was taken: then the rest
   * goes first, before any input held here.
   */
  private previous: SentInput | undefined;

  constructor(
    private readonly term: Terminal,
    session: string | undefined,
    private readonly size: SessionSize,
    private readonly events: ConnectionEvents,
    typing: () => boolean,
    held: Uint8Array<ArrayBuffer>[] = [],
    previous?: SentInput,
  ) {
    this.previous = previous;
    this.early = held;
    this.earlyBytes = held.reduce((sum, bytes) => sum + bytes.length, 0);
    this.socket = new WebSocket(terminalSocketUrl(size.requested(session !== undefined), session));
    this.socket.binaryType = 'arraybuffer';
    this.flow = new WriteFlow(
      () => this.sendControl({ type: 'pause' }),
      () => this.sendControl({ type: 'resume' }),
      (parsed) => this.sendControl({ type: 'ack', bytes: parsed }),
    );
    this.transfer = new FileTransfer(
      term,
      (bytes) => this.sendBytes(bytes),
      (active) => this.sendControl({ type: 'transfer', active }),
      typing,
    );
    this.socket.addEventListener('open', () => {
      // After a drop, what is held waits for what did not arrive on the connection before (`input_taken`).
      if (this.previous === undefined) this.sendEarly();
    });
    this.socket.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) => this.receive(event.data));
    this.socket.addEventListener('close', (event) => {
      if (this.ended) return;
      this.end();
      const error = this.serverError;
      if (event.code === CLOSE_NO_SESSION) this.events.gone();
      else if (event.code === CLOSE_START_FAILED && !this.greeted && error !== undefined) this.events.refused(error);
      else this.events.dropped(this.takeEarly(), this.takeSent());
    });
  }

  /** When the server was last heard from on this connection (`Date.now()`); when it opened, until then. */
  lastHeard = Date.now();

  /** Output bytes handed to the terminal and not parsed yet. */
  get unparsedBytes(): number {
    return this.flow.pendingBytes;
  }

  /**
   * Sends typed or pasted text; false when it was dropped (past `MAX_HELD_INPUT` while the socket opens). While a
   * file transfer runs, the text goes to the transfer instead (Ctrl-C stops it).
   */
  sendText(data: string): boolean {
    if (this.transfer.busy) {
      this.transfer.input(data);
      return true;
    }
    this.transfer.typed();
    return this.sendBytes(this.encoder.encode(data));
  }

  /** Uploads dropped files to the program's current directory with `trz` (`file_transfer.ts`). */
  upload(items: DataTransferItemList): Promise<void> {
    return this.transfer.upload(items);
  }

  /** Sends bytes given as one UTF-16 code unit each (xterm's `onBinary`, some mouse reports). */
  sendBinaryString(data: string): void {
    this.sendBytes(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff));
  }

  /**
   * Asks to be the one client that types (the `single` input policy); a `control` message answers. With `from`,
   * asks for control back for this page, whose previous connection was client `from`.
   */
  takeControl(from?: number): void {
    this.sendControl(from === undefined ? { type: 'take_control' } : { type: 'take_control', from });
  }

  /** Closes the socket without reporting anything more. */
  close(): void {
    this.end();
    this.socket.close(1000);
  }

  /** Nothing more is reported or sent on this connection. */
  private end(): void {
    this.ended = true;
    this.transfer.close();
    this.size.disconnected();
    this.heartbeat?.stop();
  }

  /** The heartbeat heard nothing: the connection is dead even if the socket does not know it yet. */
  private silent(): void {
    if (this.ended) return;
    console.warn('webterm: the connection stopped answering; reconnecting');
    // A dead network may keep the closing handshake from ever finishing: report the drop now.
    this.close();
    this.events.dropped(this.takeEarly(), this.takeSent());
  }

  /** Sends the input held while the socket opened. */
  private sendEarly(): void {
    const early = this.takeEarly();
    for (const bytes of early) this.sendBytes(bytes);
  }

  /**
   * What went out on this connection and may not have arrived; or, while the server has not said how much of the
   * previous connection's input arrived, what that one sent.
   */
  private takeSent(): SentInput | undefined {
    return this.previous ?? this.sent.sent(this.client);
  }

  /**
   * The server took the first `taken` bytes of the previous connection's input (`null`: unknown): sends the rest,
   * then what is held.
   */
  private resume(taken: number | null): void {
    const previous = this.previous;
    if (previous === undefined) return;
    this.previous = undefined;
    if (taken === null) {
      console.warn('webterm: what the connection before sent may not have arrived, and is not sent again');
    } else {
      const { rest, lost } = notTaken(previous, taken);
      if (lost > 0) this.events.lost(lost);
      for (const bytes of rest) this.sendBytes(bytes);
    }
    this.sendEarly();
  }

  /** The input held for the socket that never went out. */
  private takeEarly(): Uint8Array<ArrayBuffer>[] {
    const early = this.early;
    this.early = [];
    this.earlyBytes = 0;
    return early;
  }

  private isOpen(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  private sendControl(message: ClientMessage): boolean {
    if (!this.isOpen()) return false;
    this.socket.send(encodeClientMessage(message));
    return true;
  }

  /**
   * Sends `bytes`, or holds them while the socket opens (or closes), or while what the connection before sent is
   * being sent again; false when they were dropped.
   */
  private sendBytes(bytes: Uint8Array<ArrayBuffer>): boolean {
    if (!this.isOpen() || this.previous !== undefined) {
      // Keys typed while the socket opens (on page load, or the key or paste that started a reconnect and what
      // comes after it), or while it closes (they go on the next connection: `dropped`). Past the limit the rest
      // goes too: a paste cut short and the Enter after it would run something else than what was pasted.
      if (this.earlyFull || this.earlyBytes + bytes.length > MAX_HELD_INPUT) {
        this.earlyFull = true;
        return false;
      }
      this.early.push(bytes);
      this.earlyBytes += bytes.length;
      return true;
    }
    // A paste comes as one string, of any size: in pieces, so that none is over the server's message limit
    // (`websocket.max_message_size`, never under MAX_INPUT_FRAME). The program gets the same bytes in order.
    for (let at = 0; at < bytes.length; at += MAX_INPUT_FRAME) {
      this.socket.send(bytes.subarray(at, at + MAX_INPUT_FRAME));
    }
    this.sent.record(bytes);
    return true;
  }

  private receive(data: ArrayBuffer | string): void {
    if (this.ended) return;
    this.lastHeard = Date.now();
    this.heartbeat?.heard();
    if (data instanceof ArrayBuffer) {
      const bytes = new Uint8Array(data);
      this.transfer.output(bytes, this.flow.written(bytes.length));
      return;
    }
    const message = parseServerMessage(data);
    if (message === null) {
      console.warn('webterm: ignoring a control message this page does not understand:', data);
      return;
    }
    switch (message.type) {
      case 'hello':
        this.greeted = true;
        this.size.hello(message, (size) => this.sendControl({ type: 'resize', ...size }));
        // Turns the server's ack window on from the start; later acks come from the write callbacks.
        this.sendControl({ type: 'ack', bytes: 0 });
        if (message.heartbeat !== undefined && this.heartbeat === undefined) {
          this.heartbeat = new Heartbeat(
            message.heartbeat,
            () => this.sendControl({ type: 'ping' }),
            () => this.silent(),
          );
        }
        this.client = message.client;
        this.events.hello(message);
        // After `take_control`, if the page asks for control back: what is sent again must be taken.
        if (this.previous !== undefined && message.role === 'write') {
          this.sendControl({ type: 'resume_input', from: this.previous.client });
        } else if (this.previous !== undefined) {
          // This connection may not type (the server's roles changed): nothing is sent again.
          this.resume(null);
        }
        break;
      case 'error':
        // A rejected control message or input; or, before a close with CLOSE_NO_SESSION, why the attach failed, and
        // before CLOSE_START_FAILED, why the program did not start (the page shows that one).
        console.warn('webterm: the server says:', message.message);
        this.serverError = message.message;
        break;
      case 'control':
        this.size.control(message.writable);
        this.events.control(message.writable);
        break;
      case 'size':
        this.size.size(message);
        break;
      case 'shutdown':
        // The close frame follows; the page then reconnects once the server is back.
        this.term.write('\r\n\x1b[2m[webterm is shutting down]\x1b[0m\r\n');
        break;
      case 'pong':
        break;
      case 'input_taken':
        if (message.from === this.previous?.client) this.resume(message.bytes);
        break;
      case 'exit': {
        this.end();
        // Report once everything written before the exit message has been parsed, so the banner comes last.
        const { type: _, ...status } = message;
        this.term.write('', () => this.events.exit(status));
        break;
      }
    }
  }
}
