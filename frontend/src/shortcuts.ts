// The page's own keyboard shortcuts, taken before xterm.js turns keys into terminal input. Everything else
// (Ctrl+C, Ctrl+V, Ctrl+W when the browser lets it through...) goes to the program, as in a local terminal.

import type { Terminal } from '@xterm/xterm';

/** What the shortcuts do. */
export interface ShortcutActions {
  /** Ctrl+Shift+C: copy the selection, if any. */
  copy(): void;
  /** Ctrl+Shift+F: open the search bar. */
  find(): void;
}

/**
 * Installs the shortcuts on `term`: Ctrl+Shift+C copies, Ctrl+Shift+V pastes (the browser's own paste, which
 * xterm receives as a paste event and brackets when asked to), Ctrl+Shift+F finds.
 */
export function installShortcuts(term: Terminal, actions: ShortcutActions): void {
  term.attachCustomKeyEventHandler((event) => {
    if (!(event.ctrlKey && event.shiftKey) || event.altKey || event.metaKey) return true;
    switch (event.code) {
      case 'KeyC':
        // Swallowed even without a selection: it is no terminal input, and the browser would open its inspector.
        if (event.type === 'keydown') actions.copy();
        event.preventDefault();
        return false;
      case 'KeyV':
        // Let the browser paste into xterm's textarea; xterm must not turn the key into input.
        return false;
      case 'KeyF':
        if (event.type === 'keydown') actions.find();
        event.preventDefault();
        return false;
      default:
        return true;
    }
  });
}
