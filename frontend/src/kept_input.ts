// Typed text the page holds back (`connector.ts`), and what it could not hold. Text is kept while the page does not
// know yet whether it may send it: while it finds out which session is its own, and while it attaches to a session
// until `hello` says whose it is and whether this page types. At most `MAX_HELD_INPUT` bytes are kept; what goes
// over is lost, and the status bar says how much.

import { MAX_HELD_INPUT } from './connection';
import type { StatusBar } from './status';

/** Text kept until it may be sent or must be forgotten. */
export class KeptInput {
  private kept: string[] = [];
  private length = 0;
  /** Something was not kept: nothing more is, until what was kept is taken. */
  private full = false;

  /**
   * Keeps `data`; false when it does not fit in `MAX_HELD_INPUT`. Then nothing more is kept until `take`: a paste
   * cut short and the Enter after it would run something else than what was pasted.
   */
  keep(data: string): boolean {
    const length = utf8Length(data);
    if (this.full || this.length + length > MAX_HELD_INPUT) {
      this.full = true;
      return false;
    }
    this.kept.push(data);
    this.length += length;
    return true;
  }

  /** Empties what was kept; returns it. */
  take(): string[] {
    const kept = this.kept;
    this.kept = [];
    this.length = 0;
    this.full = false;
    return kept;
  }
}

/** Counts the typed or pasted text that was dropped since the last outage began, and says so in the status bar. */
export class LostInput {
  private bytes = 0;

  constructor(private readonly status: StatusBar) {}

  /** `bytes` more were dropped: the status bar says so, with the total. */
  lose(bytes: number): void {
    this.bytes += bytes;
    this.status.setNote(
      `${describeAmount(this.bytes)} typed or pasted while disconnected was not sent: ` +
        `more than the ${describeAmount(MAX_HELD_INPUT)} the page holds`,
    );
  }

  /** Stops saying that text was lost. */
  forget(): void {
    this.bytes = 0;
    this.status.setNote(undefined);
  }
}

/** `bytes` as the status bar says them: KiB below a MiB, else MiB with one decimal. */
function describeAmount(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** The length of `text` in UTF-8, as the connection sends it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A surrogate (half of a pair) is 2 of a character's 4 bytes; a lone one is sent as U+FFFD, 3 bytes.
    bytes += unit < 0x80 ? 1 : unit < 0x800 ? 2 : unit >= 0xd800 && unit < 0xe000 ? 2 : 3;
  }
  return bytes;
}
