// The xterm.js terminal: options, addons, and the renderer choice (WebGL when it works, else the DOM renderer).

import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';

/** A terminal opened in the page, with the fit addon that sizes it to its container. */
export interface PageTerminal {
  term: Terminal;
  fit: FitAddon;
}

/** Creates a terminal inside `container`, fits it, and focuses it. */
export function openTerminal(container: HTMLElement): PageTerminal {
  const term = new Terminal({
    // The unicode addon uses `term.unicode`, which xterm.js still marks as proposed API.
    allowProposedApi: true,
    cursorBlink: true,
    fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, "Liberation Mono", monospace',
    fontSize: 15,
    scrollback: 5000,
    theme: {
      background: '#1e1e1e',
      foreground: '#d4d4d4',
      cursor: '#d4d4d4',
      selectionBackground: '#264f78',
    },
  });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.loadAddon(new WebLinksAddon());
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';

  term.open(container);
  useWebglIfPossible(term);
  fit.fit();
  term.focus();
  return { term, fit };
}

/** Switches to the WebGL renderer; stays on (or goes back to) the DOM renderer if WebGL fails or is lost. */
function useWebglIfPossible(term: Terminal): void {
  try {
    const webgl = new WebglAddon();
    webgl.onContextLoss(() => webgl.dispose());
    term.loadAddon(webgl);
  } catch {
    // No WebGL here (headless, blocked GPU, old browser): the DOM renderer is already in place.
  }
}
