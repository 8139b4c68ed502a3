// The terminal's size, shown for a moment over it when it changes (the window resized, another client's size
// taken), as ttyd does: `120×40`.

import type { Terminal } from '@xterm/xterm';

/** How long the size stays up after the last change, in milliseconds. */
const SHOWN_MS = 1000;

/** Shows `term`'s size in `overlay` for a moment whenever it changes. */
export function showSizeChanges(term: Terminal, overlay: HTMLElement): void {
  let hide: number | undefined;
  term.onResize(({ cols, rows }) => {
    overlay.textContent = `${cols}×${rows}`;
    overlay.hidden = false;
    window.clearTimeout(hide);
    hide = window.setTimeout(() => {
      overlay.hidden = true;
    }, SHOWN_MS);
  });
}
