// Copy and paste: copy on select, copy of the selection on request, right-click paste, and OSC 52 writes from
// programs (opt-in, and only on a page that types). Every paste goes through `term.paste`, so xterm brackets it when
// the program asked for that.

import type { Terminal } from '@xterm/xterm';

/** The largest OSC 52 payload (base64 characters) accepted; bigger ones are dropped. */
const OSC52_MAX_BASE64 = 1024 * 1024;

/** The clipboard behaviour the server's options switch on. */
export interface ClipboardOptions {
  /** Copy the selection as soon as it is made. */
  copyOnSelect: boolean;
  /** Let programs write the clipboard with OSC 52. */
  clipboardOsc52: boolean;
}

/** Connects `term` to the system clipboard. */
export class Clipboard {
  /** What is switched on now; changed when `hello` arrives. */
  options: ClipboardOptions = { copyOnSelect: false, clipboardOsc52: false };

  /**
   * `typing` says whether this page's input reaches the program now: only then may the program write its clipboard.
   * `pasting` is called just before a right-click paste hands its text to the terminal (it comes with no key press
   * or DOM paste event, which would tell the page that the person typed).
   */
  constructor(
    private readonly term: Terminal,
    private readonly typing: () => boolean,
    private readonly pasting: () => void,
  ) {
    term.onSelectionChange(() => {
      if (this.options.copyOnSelect && term.hasSelection()) void writeClipboard(term.getSelection());
    });
    term.parser.registerOscHandler(52, (data) => {
      // SECURITY: only when the operator opted in, and write-only: a `?` query (read the clipboard) is never
      // answered, so a program cannot see what the user copied elsewhere. And only while this page types: a
      // read-only viewer, or an admin looking at another user's session without "Type here", runs someone else's
      // program, which must not put text in their clipboard for them to paste somewhere later.
      if (this.options.clipboardOsc52 && this.typing()) {
        const text = decodeOsc52(data);
        if (text !== null) void writeClipboard(text);
      }
      return true;
    });
    term.element?.addEventListener('contextmenu', (event) => {
      // Without the async clipboard API (plain http on another host), the browser's own menu offers Paste.
      if (!navigator.clipboard?.readText) return;
      event.preventDefault();
      void this.paste();
    });
  }

  /** Copies the selection; returns false when there is none. */
  copySelection(): boolean {
    if (!this.term.hasSelection()) return false;
    void writeClipboard(this.term.getSelection());
    return true;
  }

  /** Pastes the clipboard's text into the terminal, asking the browser for it (it may ask the user). */
  async paste(): Promise<void> {
    try {
      const text = await navigator.clipboard.readText();
      if (text === '') return;
      this.pasting();
      this.term.paste(text);
    } catch (error) {
      console.warn('webterm: the browser refused to read the clipboard:', error);
    }
  }
}

/**
 * The text of an OSC 52 payload `Pc;Pd` (selection letters, then base64), or null for a query (`?`), a
 * clearing request, or anything malformed.
 */
export function decodeOsc52(data: string): string | null {
  const separator = data.indexOf(';');
  if (separator < 0) return null;
  const base64 = data.slice(separator + 1);
  if (base64 === '' || base64 === '?' || base64.length > OSC52_MAX_BASE64) return null;
  try {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

/** Writes `text` to the clipboard: the async API where the page may use it, else the old copy command. */
async function writeClipboard(text: string): Promise<void> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return;
    }
  } catch {
    // Not focused, or permission refused: try the copy command below.
  }
  copyWithCommand(text);
}

/** Copies through a hidden textarea and `document.execCommand('copy')`, which works without a secure context. */
function copyWithCommand(text: string): void {
  const active = document.activeElement;
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.append(area);
  area.select();
  try {
    document.execCommand('copy');
  } finally {
    area.remove();
    if (active instanceof HTMLElement) active.focus();
  }
}
