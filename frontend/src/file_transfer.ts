// File transfer in the terminal's own byte stream, with trzsz (https://trzsz.github.io): `tsz FILE...` in the
// shell downloads files to a folder the person picks, `trz` uploads files they pick, and files dropped on the page
// are uploaded to the shell's current directory. The server carries the bytes like any other output and input;
// the program side is PyPI's or Go's `trzsz` (`trz`, `tsz`) on the server.

import type { Terminal } from '@xterm/xterm';
import { TrzszFilter } from 'trzsz';

/** What `trz` and `tsz` print to start a transfer, after `SAVE_CURSOR` and, from some trzsz, a BEL. */
const MAGIC = new TextEncoder().encode('::TRZSZ:TRANSFER:');

/** ESC 7 (save the cursor), trzsz's first bytes of a transfer. */
const SAVE_CURSOR = [0x1b, 0x37];
const BEL = 0x07;

/**
 * A transfer starts only within this long after the page sent typed input: the person typed `tsz` or `trz` here.
 * As long as the browser lets a key press open a file picker (its transient activation).
 */
const TYPED_WITHIN_MS = 5_000;

/** ESC c, with which a snapshot of the session's screen starts (it shows an old transfer's start, not a new one). */
const SNAPSHOT_START = [0x1b, 0x63];

/** ESC 8 (restore the cursor): trzsz's first bytes after a transfer, whatever its outcome. */
const END = [0x1b, 0x38];

/**
 * A transfer that this page leaves to another (or that nobody answers) and that has had no output for this long is
 * over (its program died): output shows again.
 */
const GIVE_UP_MS = 30_000;

/**
 * Where in `bytes` the start of a transfer (its marker) ends; -1 when it holds none. Text that merely names the
 * marker (a `grep`, a log) has no ESC 7 before it, and starts nothing (as in the server's screen).
 */
function transferStart(bytes: Uint8Array): number {
  for (let at = bytes.indexOf(MAGIC[0]); at >= 0 && at + MAGIC.length <= bytes.length; ) {
    if (MAGIC.every((byte, i) => bytes[at + i] === byte)) {
      const escape = bytes[at - 1] === BEL ? at - 3 : at - 2;
      if (bytes[escape] === SAVE_CURSOR[0] && bytes[escape + 1] === SAVE_CURSOR[1]) return at + MAGIC.length;
    }
    at = bytes.indexOf(MAGIC[0], at + 1);
  }
  return -1;
}

/**
 * The transfers of one connection. Output passes through `output`: while a transfer runs, the transfer takes it;
 * otherwise it goes to the terminal. A transfer starts only in the page the person typed the command in, right
 * after they typed it (`TYPED_WITHIN_MS`), so that other tabs on the same session leave it to that one (and do not
 * show its encoded data), and an old start shown again (a snapshot of the screen) does nothing.
 */
export class FileTransfer {
  private readonly filter: TrzszFilter;
  private readonly encoder = new TextEncoder();
  /** An upload of dropped files, from the page's `trz` until its transfer ends. */
  private uploading = false;
  /** Output handed to the filter that it may give back to the terminal, and the write callback it needs. */
  private passing: { bytes: Uint8Array; done: () => void } | undefined;
  private closed = false;
  /** When the page last sent typed input (`Date.now()`). */
  private lastTyped = -Infinity;
  /** When output was last handed to trzsz (`Date.now()`), and whether the server was told a transfer runs. */
  private answered = -Infinity;
  private announced = false;
  /**
   * A transfer this page does not answer runs (another tab's): its output is not shown, as the server's screen
   * does not keep it (`src/screen/transfers.rs`). When output of it last came, and whether it ended with an ESC.
   */
  private othersTransfer: { last: number; escape: boolean } | undefined;

  /**
   * `send` takes input for the program; `announce` tells the server whether a transfer runs here (then it must not
   * let this page miss output); `typing` says whether this page's input reaches it now.
   */
  constructor(
    private readonly term: Terminal,
    private readonly send: (bytes: Uint8Array<ArrayBuffer>) => void,
    private readonly announce: (active: boolean) => void,
    private readonly typing: () => boolean,
  ) {
    this.filter = new TrzszFilter({
      writeToTerminal: (data) => this.writeToTerminal(data),
      sendToServer: (data) => {
        if (this.closed) return;
        this.send(typeof data === 'string' ? this.encoder.encode(data) : Uint8Array.from(data));
      },
      terminalColumns: term.cols,
    });
  }

  /** Whether a transfer runs: the keyboard then only stops it (Ctrl-C). */
  get busy(): boolean {
    return this.filter.isTransferringFiles();
  }

  /** Output from the program; `done` is called once the terminal has parsed it (or the transfer took it). */
  output(bytes: Uint8Array, done: () => void): void {
    this.announceTransfer();
    if (this.busy) {
      this.filter.processServerOutput(bytes);
      done();
      return;
    }
    if (isSnapshot(bytes)) {
      // The server's screen, which never holds a transfer: shown whole, and an old transfer's start does nothing.
      this.othersTransfer = undefined;
      this.term.write(bytes, done);
      return;
    }
    let from = 0;
    if (this.othersTransfer !== undefined) {
      from = this.othersTransferEnd(bytes);
      if (from < 0) {
        done();
        return;
      }
    }
    const start = transferStart(bytes.subarray(from));
    if (this.uploading || (start >= 0 && this.mayStart())) {
      this.answer(bytes.subarray(from), done);
    } else if (start >= 0) {
      // Another page's: shown up to its marker, as the server's screen has it, and again from its end.
      this.term.write(bytes.subarray(from, from + start));
      this.othersTransfer = { last: Date.now(), escape: false };
      this.output(bytes.subarray(from + start), done);
    } else {
      this.term.write(bytes.subarray(from), done);
    }
  }

  /**
   * Where in `bytes` the other page's transfer ends (its ESC 8), which ends `othersTransfer`; -1 while it goes on.
   */
  private othersTransferEnd(bytes: Uint8Array): number {
    const transfer = this.othersTransfer;
    if (transfer === undefined) return 0;
    const now = Date.now();
    if (now - transfer.last >= GIVE_UP_MS) {
      this.othersTransfer = undefined;
      return 0;
    }
    transfer.last = now;
    let end = -1;
    if (transfer.escape && bytes[0] === END[1]) {
      // The ESC came last before: the terminal gets it back.
      this.term.write(new Uint8Array([END[0]]));
      end = 0;
    } else {
      for (let at = bytes.indexOf(END[0]); at >= 0 && end < 0; at = bytes.indexOf(END[0], at + 1)) {
        if (bytes[at + 1] === END[1]) end = at;
      }
    }
    if (end >= 0) this.othersTransfer = undefined;
    else transfer.escape = bytes[bytes.length - 1] === END[0];
    return end;
  }

  /**
   * Tells the server when a transfer starts or ends here: one runs from the output handed to trzsz (its start, or
   * the page's own `trz`) until trzsz is done with it. The server then lets this page miss no output.
   */
  private announceTransfer(): void {
    // trzsz looks at a start 10 ms after it got it: until then the output that handed it over counts.
    const active = this.busy || this.uploading || Date.now() - this.answered < 1_000;
    if (active === this.announced) return;
    this.announced = active;
    this.announce(active);
  }

  /** Hands output to trzsz, which answers a transfer's start (or the page's own `trz`) and gives the rest back. */
  private answer(bytes: Uint8Array, done: () => void): void {
    this.answered = Date.now();
    this.announceTransfer();
    this.filter.setTerminalColumns(this.term.cols);
    this.passing = { bytes, done };
    this.filter.processServerOutput(bytes);
    // Not given back (the filter hides the echo of its own `trz`): parsed all the same.
    if (this.passing !== undefined) done();
    this.passing = undefined;
  }

  /** Typed input while `busy`: Ctrl-C stops the transfer, the rest is dropped. */
  input(data: string): void {
    this.filter.processTerminalInput(data);
  }

  /** The page sent typed input to the program (a transfer it starts may be this page's). */
  typed(): void {
    this.lastTyped = Date.now();
  }

  /**
   * Uploads dropped files and folders (a drop's `dataTransfer.items`) to the shell's current directory, by typing
   * `trz` (`trz -d` for folders) for the person. Rejects when the upload cannot start (no `trz` on the server).
   */
  async upload(items: DataTransferItemList): Promise<void> {
    if (this.busy || this.uploading) throw new Error('a transfer is already running');
    this.uploading = true;
    try {
      await this.filter.uploadFiles(items);
    } finally {
      this.uploading = false;
    }
  }

  /** The connection ended: a transfer that still runs neither sends nor writes any more. */
  close(): void {
    this.closed = true;
  }

  private mayStart(): boolean {
    return this.typing() && Date.now() - this.lastTyped < TYPED_WITHIN_MS;
  }

  /** The filter writes: output given back (with its callback), or its own progress bar and messages. */
  private writeToTerminal(data: string | ArrayBuffer | Uint8Array | Blob): void {
    if (this.closed) return;
    const passing = this.passing;
    if (passing !== undefined && data === passing.bytes) {
      this.passing = undefined;
      this.term.write(passing.bytes, passing.done);
    } else if (typeof data === 'string') {
      this.term.write(data);
    } else if (data instanceof ArrayBuffer || data instanceof Uint8Array) {
      this.term.write(new Uint8Array(data));
    }
  }
}

function isSnapshot(bytes: Uint8Array): boolean {
  return bytes[0] === SNAPSHOT_START[0] && bytes[1] === SNAPSHOT_START[1];
}

/**
 * Files and folders dropped on `target` go to `upload` (`Connector.upload`); when the upload does not start or
 * fails, the terminal says why.
 */
export function uploadDroppedFiles(
  target: HTMLElement,
  term: Terminal,
  upload: (items: DataTransferItemList) => Promise<void>,
): void {
  const files = (event: DragEvent) => (event.dataTransfer?.types.includes('Files') ? event.dataTransfer : undefined);
  target.addEventListener('dragover', (event) => {
    const transfer = files(event);
    if (transfer === undefined) return;
    event.preventDefault();
    transfer.dropEffect = 'copy';
  });
  target.addEventListener('drop', (event) => {
    const transfer = files(event);
    if (transfer === undefined) return;
    // Else the browser opens the file instead of the page.
    event.preventDefault();
    // The items are read now: after the event, the browser hides them.
    upload(transfer.items).catch((error: unknown) => {
      // trzsz rejects with this string when no `trz` answered the `trz` it typed.
      const message =
        error === 'Upload does not start'
          ? 'the upload did not start: no trz answered (install trzsz on the server: pip install trzsz)'
          : `the upload failed: ${error instanceof Error ? error.message : String(error)}`;
      term.write(`\r\n\x1b[2m[webterm: ${message}]\x1b[0m\r\n`);
    });
  });
}
