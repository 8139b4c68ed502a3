// The JSON control messages of wire protocol v1 (`docs/protocol.md`). Pure: no I/O.
//
// Mirrors `src/protocol.rs` name for name (its `options.rs` is `client_options.ts`); change the doc and the files
// together.

import { type ClientOptions, parseClientOptions } from './client_options';

/** The protocol version announced in `hello`. */
export const PROTOCOL_VERSION = 1;

/** The largest number of columns or rows a client may ask for. */
export const MAX_DIMENSION = 1_000;

/** The largest number of cells (columns times rows) a client may ask for. */
export const MAX_CELLS = 250_000;

/**
 * The WebSocket close code after an attach (`?session=ID`) to a session that does not exist any more (ended,
 * expired, killed, server restarted) or belongs to someone else; an `error` message says which before it.
 */
export const CLOSE_NO_SESSION = 4404;

/**
 * The WebSocket close code after the server could not start the program of a new session (a missing command, a
 * failed PTY); an `error` message says why before it. Trying again fails the same way until an operator acts.
 */
export const CLOSE_START_FAILED = 1011;

/** The terminal size used when a client does not give one. */
export const DEFAULT_SIZE: Size = { cols: 80, rows: 24 };

/** A terminal size in character cells. */
export interface Size {
  cols: number;
  rows: number;
}

/** Resize the terminal; both values are 1..=MAX_DIMENSION, and their product at most MAX_CELLS. */
export interface Resize {
  type: 'resize';
  cols: number;
  rows: number;
}

/** Stop reading the PTY for this client. */
export interface Pause {
  type: 'pause';
}

/** Start reading again. */
export interface Resume {
  type: 'resume';
}

/**
 * Under the `single` input policy: make this client the one that types. With `from` (the `client` of this page's
 * previous connection's `hello`), take back the control that connection had: refused when someone took it since.
 */
export interface TakeControl {
  type: 'take_control';
  from?: number;
}

/**
 * Output bytes processed in all on this connection. From the first `ack` on, the server keeps at most its window
 * (1 MiB) of output beyond it in flight.
 */
export interface Ack {
  type: 'ack';
  bytes: number;
}

/** Is the connection alive? The server answers `pong`. */
export interface Ping {
  type: 'ping';
}

/**
 * How much of client `from`'s input (this page's previous connection) did the session take? Answered with
 * `input_taken`; from then on the session takes none of `from`'s input.
 */
export interface ResumeInput {
  type: 'resume_input';
  from: number;
}

/**
 * A file transfer runs in this client's output (`active`), or no longer does: while one runs, the client misses no
 * output (the program waits for it rather than the server sending it a snapshot).
 */
export interface Transfer {
  type: 'transfer';
  active: boolean;
}

/** A control message from the client (a text frame). */
export type ClientMessage = Resize | Pause | Resume | TakeControl | Ping | Ack | ResumeInput | Transfer;

/**
 * Who may type when several clients share a session (a route's `input`): `shared`, every client with the `write`
 * role; `single`, one writer at a time, and another takes over with `take_control`.
 */
export type InputPolicy = 'shared' | 'single';

/** The most a client may do: `read` never types, `write` types (or may take control). */
export type Role = 'read' | 'write';

/** The first message on every connection. */
export interface Hello {
  type: 'hello';
  protocol: number;
  session: string;
  cols: number;
  rows: number;
  /** Whether this client's input reaches the program, now. */
  writable: boolean;
  /** This client's number in the session (the `from` of a later connection's `take_control` and `resume_input`). */
  client?: number;
  /** Whether the session was already running (a reattach); its screen follows as output. */
  resumed: boolean;
  /** The terminal path the session runs under (`/`, or a `[[terminal]]`'s), as `/api/sessions` lists it. */
  path?: string;
  /** Who may type when several clients share the session. */
  input: InputPolicy;
  /** The most this client may do. */
  role: Role;
  options?: ClientOptions;
  /** The tab title until the program sets one; absent means the page's own. */
  title?: string;
  /** Seconds between the client's `ping`s; absent from older servers (then the page does not ping). */
  heartbeat?: number;
  /**
   * Seconds the session outlives its last client; 0: closing the last page ends the program. Absent from older
   * servers.
   */
  linger?: number;
  /** The user who started the session, when that is not this client's user (an admin, a viewer, a shared link). */
  owner?: string;
}

/** A control message was rejected; the session goes on. */
export interface ErrorMessage {
  type: 'error';
  message: string;
}

/** Whether this client may type changed (the `single` policy's writer changed). */
export interface Control {
  type: 'control';
  /** Whether this client's input reaches the program from now on. */
  writable: boolean;
}

/**
 * The session's terminal size, after a resize the server accepted (from any client, this one included). It comes in
 * order with the output: the last one a client got is the size the program draws for. Named like `ErrorMessage`:
 * `Size` is the size itself.
 */
export interface SizeMessage {
  type: 'size';
  cols: number;
  rows: number;
}

/** How the program ended: an exit code or the name of the signal that killed it. */
export type ExitStatus = { code: number } | { signal: string };

/** The program ended; all its output was sent before this. */
export type Exit = { type: 'exit' } & ExitStatus;

/** The server is shutting down; the program is being hung up. A close frame 1001 follows. */
export interface Shutdown {
  type: 'shutdown';
}

/** The answer to a client's `ping`. */
export interface Pong {
  type: 'pong';
}

/**
 * The answer to `resume_input`: the session took the first `bytes` bytes of client `from`'s input for the program;
 * `null` when it does not know `from`.
 */
export interface InputTaken {
  type: 'input_taken';
  from: number;
  bytes: number | null;
}

/** A control message from the server (a text frame). */
export type ServerMessage = Hello | ErrorMessage | Control | SizeMessage | Exit | Shutdown | Pong | InputTaken;

/** The JSON text of a client message, ready to send as a text frame. */
export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** Whether `cols` x `rows` is a size the server accepts. */
export function isValidSize(cols: number, rows: number): boolean {
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_DIMENSION;
  return ok(cols) && ok(rows) && cols * rows <= MAX_CELLS;
}

/**
 * The largest size the server accepts that fits in `cols` x `rows` (whole numbers of at least 1): a window too
 * large for the limits gets a terminal of the largest width allowed, with fewer rows if the cells run out.
 */
export function clampSize(cols: number, rows: number): Size {
  const width = Math.min(cols, MAX_DIMENSION);
  return { cols: width, rows: Math.min(rows, MAX_DIMENSION, Math.floor(MAX_CELLS / width)) };
}

/**
 * Decodes one server text frame. Returns `null` for anything that is not a well-formed message of a known type,
 * so a newer server's messages are ignored rather than crashing the page. Unknown fields are dropped.
 */
export function parseServerMessage(text: string): ServerMessage | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(value)) {
    return null;
  }
  const v = value;
  switch (v.type) {
    case 'hello':
      if (
        typeof v.protocol === 'number' &&
        typeof v.session === 'string' &&
        typeof v.cols === 'number' &&
        typeof v.rows === 'number' &&
        typeof v.writable === 'boolean' &&
        typeof v.resumed === 'boolean' &&
        (v.input === 'shared' || v.input === 'single') &&
        (v.role === 'read' || v.role === 'write')
      ) {
        const hello: Hello = {
          type: 'hello',
          protocol: v.protocol,
          session: v.session,
          cols: v.cols,
          rows: v.rows,
          writable: v.writable,
          resumed: v.resumed,
          input: v.input,
          role: v.role,
        };
        if (isRecord(v.options)) hello.options = parseClientOptions(v.options);
        if (typeof v.title === 'string') hello.title = v.title;
        if (typeof v.path === 'string' && v.path.startsWith('/')) hello.path = v.path;
        if (typeof v.heartbeat === 'number' && Number.isInteger(v.heartbeat) && v.heartbeat > 0) {
          hello.heartbeat = v.heartbeat;
        }
        if (typeof v.linger === 'number' && Number.isSafeInteger(v.linger) && v.linger >= 0) hello.linger = v.linger;
        if (typeof v.owner === 'string') hello.owner = v.owner;
        if (typeof v.client === 'number' && Number.isSafeInteger(v.client) && v.client >= 0) hello.client = v.client;
        return hello;
      }
      return null;
    case 'error':
      return typeof v.message === 'string' ? { type: 'error', message: v.message } : null;
    case 'control':
      return typeof v.writable === 'boolean' ? { type: 'control', writable: v.writable } : null;
    case 'size':
      return typeof v.cols === 'number' && typeof v.rows === 'number' && isValidSize(v.cols, v.rows)
        ? { type: 'size', cols: v.cols, rows: v.rows }
        : null;
    case 'exit':
      if (typeof v.code === 'number' && Number.isInteger(v.code)) {
        return { type: 'exit', code: v.code };
      }
      if (typeof v.signal === 'string') {
        return { type: 'exit', signal: v.signal };
      }
      return null;
    case 'shutdown':
      return { type: 'shutdown' };
    case 'pong':
      return { type: 'pong' };
    case 'input_taken':
      if (isCount(v.from) && (v.bytes === null || isCount(v.bytes))) {
        return { type: 'input_taken', from: v.from, bytes: v.bytes };
      }
      return null;
    default:
      return null;
  }
}

/** Whether `value` is a whole number of at least 0 (a client number, a count of bytes). */
function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Words for how the program ended, e.g. `code 3` or `signal SIGKILL`. */
export function describeExit(exit: ExitStatus): string {
  return 'code' in exit ? `code ${exit.code}` : `signal ${exit.signal}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
