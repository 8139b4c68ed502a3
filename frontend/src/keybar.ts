// The key bar for touch devices: Esc, sticky Ctrl and Alt, Tab, arrows, | and ~, the keys a phone keyboard lacks.
// Ctrl and Alt apply to the next key, from the bar or from the on-screen keyboard, then release.

import type { Terminal } from '@xterm/xterm';

/** Where the key bar is shown: devices whose main pointer is a finger. */
const TOUCH_QUERY = '(pointer: coarse)';

const ARROWS: Record<string, string> = { ArrowUp: 'A', ArrowDown: 'B', ArrowRight: 'C', ArrowLeft: 'D' };

/** The `#keybar` toolbar and its sticky modifiers. */
export class KeyBar {
  private ctrl = false;
  private alt = false;
  private readonly buttons: HTMLButtonElement[];

  /**
   * Wires `bar`'s buttons. `send` takes what a button types; `shownChanged` runs after the bar appears or
   * disappears (the terminal's room changed).
   */
  constructor(
    bar: HTMLElement,
    private readonly term: Terminal,
    private readonly send: (data: string) => void,
    shownChanged: () => void,
  ) {
    this.buttons = Array.from(bar.querySelectorAll('button'));
    for (const button of this.buttons) {
      // Keep the focus (and the on-screen keyboard) on the terminal.
      button.addEventListener('mousedown', (event) => event.preventDefault());
      button.addEventListener('pointerdown', (event) => event.preventDefault());
      button.addEventListener('click', () => this.press(button));
    }
    const touch = window.matchMedia(TOUCH_QUERY);
    const show = () => {
      bar.hidden = !touch.matches;
      shownChanged();
    };
    touch.addEventListener('change', show);
    if (touch.matches) show();
  }

  /** Applies the pending Ctrl or Alt to `data` typed on the keyboard, and releases them. */
  transform(data: string): string {
    if (!this.ctrl && !this.alt) return data;
    let out = data;
    if (this.ctrl && data.length === 1) out = controlCharacter(data) ?? data;
    if (this.alt) out = `\x1b${out}`;
    this.release();
    return out;
  }

  private press(button: HTMLButtonElement): void {
    const modifier = button.dataset.modifier;
    if (modifier === 'ctrl' || modifier === 'alt') {
      this[modifier] = !this[modifier];
      this.showModifiers();
    } else if (button.dataset.key !== undefined) {
      this.send(this.keySequence(button.dataset.key));
      this.release();
    } else if (button.dataset.text !== undefined) {
      this.send(this.transform(button.dataset.text));
    }
    this.term.focus();
  }

  /** The bytes for a named key with the pending modifiers, as xterm.js would send them. */
  private keySequence(key: string): string {
    const arrow = ARROWS[key];
    if (arrow !== undefined) {
      const modifiers = 1 + (this.alt ? 2 : 0) + (this.ctrl ? 4 : 0);
      if (modifiers > 1) return `\x1b[1;${modifiers}${arrow}`;
      return this.term.modes.applicationCursorKeysMode ? `\x1bO${arrow}` : `\x1b[${arrow}`;
    }
    const plain = key === 'Tab' ? '\t' : '\x1b';
    return this.alt ? `\x1b${plain}` : plain;
  }

  private release(): void {
    this.ctrl = false;
    this.alt = false;
    this.showModifiers();
  }

  private showModifiers(): void {
    for (const button of this.buttons) {
      const modifier = button.dataset.modifier;
      if (modifier === 'ctrl' || modifier === 'alt') button.setAttribute('aria-pressed', String(this[modifier]));
    }
  }
}

/** The control character Ctrl+`char` types (Ctrl+C is 0x03), or undefined when there is none. */
export function controlCharacter(char: string): string | undefined {
  if (char === '?') return '\x7f';
  if (char === ' ') return '\x00';
  const code = char.toUpperCase().charCodeAt(0);
  return code >= 0x40 && code <= 0x5f ? String.fromCharCode(code & 0x1f) : undefined;
}
