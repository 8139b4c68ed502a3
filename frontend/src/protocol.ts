// The JSON control messages of wire protocol v1 (`docs/protocol.md`). Pure: no I/O.
//
// Mirrors `src/protocol.rs` name for name; change the doc and both files together.

/** The protocol version announced in `hello`. */
export const PROTOCOL_VERSION = 1;

/** The largest number of columns or rows a client may ask for. */
export const MAX_DIMENSION = 10_000;

/** The terminal size used when a client does not give one. */
export const DEFAULT_SIZE: Size = { cols: 80, rows: 24 };

/** A terminal size in character cells. */
export interface Size {
  cols: number;
  rows: number;
}

/** Resize the terminal; both values are 1..=MAX_DIMENSION. */
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

/** A control message from the client (a text frame). */
export type ClientMessage = Resize | Pause | Resume;

/** The first message on every connection. */
export interface Hello {
  type: 'hello';
  protocol: number;
  session: string;
  cols: number;
  rows: number;
  writable: boolean;
}

/** A control message was rejected; the session goes on. */
export interface ErrorMessage {
  type: 'error';
  message: string;
}

/** How the program ended: an exit code or the name of the signal that killed it. */
export type ExitStatus = { code: number } | { signal: string };

/** The program ended; all its output was sent before this. */
export type Exit = { type: 'exit' } & ExitStatus;

/** A control message from the server (a text frame). */
export type ServerMessage = Hello | ErrorMessage | Exit;

/** The JSON text of a client message, ready to send as a text frame. */
export function encodeClientMessage(message: ClientMessage): string {
  return JSON.stringify(message);
}

/** Whether `cols` x `rows` is a size the server accepts. */
export function isValidSize(cols: number, rows: number): boolean {
  const ok = (n: number) => Number.isInteger(n) && n >= 1 && n <= MAX_DIMENSION;
  return ok(cols) && ok(rows);
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
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return null;
  }
  const v = value as Record<string, unknown>;
  switch (v.type) {
    case 'hello':
      if (
        typeof v.protocol === 'number' &&
        typeof v.session === 'string' &&
        typeof v.cols === 'number' &&
        typeof v.rows === 'number' &&
        typeof v.writable === 'boolean'
      ) {
        return {
          type: 'hello',
          protocol: v.protocol,
          session: v.session,
          cols: v.cols,
          rows: v.rows,
          writable: v.writable,
        };
      }
      return null;
    case 'error':
      return typeof v.message === 'string' ? { type: 'error', message: v.message } : null;
    case 'exit':
      if (typeof v.code === 'number' && Number.isInteger(v.code)) {
        return { type: 'exit', code: v.code };
      }
      if (typeof v.signal === 'string') {
        return { type: 'exit', signal: v.signal };
      }
      return null;
    default:
      return null;
  }
}

/** Words for how the program ended, e.g. `code 3` or `signal SIGKILL`. */
export function describeExit(exit: ExitStatus): string {
  return 'code' in exit ? `code ${exit.code}` : `signal ${exit.signal}`;
}
