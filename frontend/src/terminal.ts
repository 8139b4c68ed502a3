// The xterm.js terminal: options, addons, and the renderer choice (WebGL on a GPU, else the DOM renderer).

import { type ITheme, Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { ImageAddon } from '@xterm/addon-image';
import { SearchAddon } from '@xterm/addon-search';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import { WebLinksAddon } from '@xterm/addon-web-links';
import { WebglAddon } from '@xterm/addon-webgl';
import type { CursorStyle, Renderer } from './client_options';
import { type Size, clampSize, isValidSize } from './protocol';

/**
 * The page's own look, used until the server's `hello` says otherwise. Mirrors the defaults of the `[client]`
 * table in `config.toml`.
 */
export const DEFAULT_LOOK: Look = {
  fontFamily: '"DejaVu Sans Mono", "Cascadia Mono", Menlo, Consolas, "Liberation Mono", monospace',
  fontSize: 15,
  theme: {
    background: '#1e1e1e',
    foreground: '#d4d4d4',
    cursor: '#d4d4d4',
    selectionBackground: '#264f78',
  },
  cursorStyle: 'block',
  scrollback: 5000,
  renderer: 'webgl',
};

/** Everything about how the terminal looks that the server or the settings panel may change. */
export interface Look {
  fontFamily: string;
  fontSize: number;
  theme: ITheme;
  cursorStyle: CursorStyle;
  scrollback: number;
  renderer: Renderer;
}

/** A terminal opened in the page, with the addons the rest of the page drives. */
export interface PageTerminal {
  term: Terminal;
  /**
   * Fits the terminal to its container, within the sizes the server accepts (`clampSize`); does nothing while it
   * follows another client's size.
   */
  fit(): void;
  /**
   * Gives the terminal the session's `size`, whatever its container's (which scrolls when it is too small), until
   * `follow(undefined)` fits it to the container again.
   */
  follow(size: Size | undefined): void;
  search: SearchAddon;
  /** Changes the look; refits when the cell size may have changed. */
  setLook(look: Look): void;
  /** The renderer in use now: `dom` when WebGL was asked for but is not available. */
  renderer(): Renderer;
}

/** Creates a terminal inside `container`, fits it, and focuses it. */
export function openTerminal(container: HTMLElement, look: Look = DEFAULT_LOOK): PageTerminal {
  const term = new Terminal({
    // The unicode addon uses `term.unicode`, which xterm.js still marks as proposed API.
    allowProposedApi: true,
    cursorBlink: true,
    fontFamily: look.fontFamily,
    fontSize: look.fontSize,
    scrollback: look.scrollback,
    cursorStyle: look.cursorStyle,
    theme: look.theme,
  });
  const fit = new FitAddon();
  const search = new SearchAddon();
  term.loadAddon(fit);
  term.loadAddon(search);
  term.loadAddon(new WebLinksAddon());
  term.loadAddon(new Unicode11Addon());
  term.unicode.activeVersion = '11';
  term.loadAddon(images());

  term.open(container);
  let webgl: WebglAddon | undefined;
  const useRenderer = (renderer: Renderer) => {
    if (renderer === 'dom') {
      webgl?.dispose();
      webgl = undefined;
    } else if (webgl === undefined) {
      webgl = webglIfPossible(term, () => (webgl = undefined));
    }
  };
  useRenderer(look.renderer);
  // A huge window with a tiny font would ask for more cells than the server accepts: then the largest size it
  // accepts, with the rest of the window left empty.
  const fitWithinLimits = () => {
    const want = fit.proposeDimensions();
    // The fit addon proposes at least 2 x 1, so a size the server refuses is one too large.
    if (want === undefined || Number.isNaN(want.cols + want.rows) || isValidSize(want.cols, want.rows)) {
      fit.fit();
      return;
    }
    const size = clampSize(want.cols, want.rows);
    if (size.cols !== term.cols || size.rows !== term.rows) term.resize(size.cols, size.rows);
  };
  fitWithinLimits();
  term.focus();
  let following = false;

  return {
    term,
    fit: () => {
      if (!following) fitWithinLimits();
    },
    follow(size: Size | undefined): void {
      following = size !== undefined;
      container.classList.toggle('following', following);
      if (size === undefined) fitWithinLimits();
      else if (size.cols !== term.cols || size.rows !== term.rows) {
        term.resize(size.cols, size.rows);
        // The bottom rows (where a shell's prompt is) in sight when the window is too short for them all.
        container.scrollTop = container.scrollHeight;
      }
    },
    search,
    setLook(next: Look): void {
      const o = term.options;
      if (o.fontFamily !== next.fontFamily) o.fontFamily = next.fontFamily;
      if (o.fontSize !== next.fontSize) o.fontSize = next.fontSize;
      if (o.cursorStyle !== next.cursorStyle) o.cursorStyle = next.cursorStyle;
      if (o.scrollback !== next.scrollback) o.scrollback = next.scrollback;
      o.theme = next.theme;
      useRenderer(next.renderer);
      if (!following) fitWithinLimits();
    },
    renderer: () => (webgl === undefined ? 'dom' : 'webgl'),
  };
}

/**
 * Inline images a program prints: SIXEL (`img2sixel`, `chafa -f sixels`, gnuplot's and matplotlib's sixel output)
 * and iTerm's inline image protocol (`imgcat`). The addon also answers a program's questions about the window's and
 * the cells' size in pixels (CSI 14 t, CSI 16 t), which image tools ask to scale their output. Images are drawn
 * by the page only: the server's screen keeps their place but not their pixels, so a reattaching client sees the
 * text around them (docs/protocol.md). The addon decodes SIXEL with WebAssembly, which the page's CSP allows
 * (`'wasm-unsafe-eval'`, src/security_headers.rs).
 */
function images(): ImageAddon {
  return new ImageAddon({
    // The page keeps at most this many megabytes of decoded pixels (the oldest images go first); 128 by default,
    // which a tab of images would hold for as long as it stays open.
    storageLimit: 32,
  });
}

/**
 * Whether this browser draws WebGL on a GPU. Software WebGL (SwiftShader, llvmpipe: machines and VMs without a
 * usable GPU) is about ten times slower than the DOM renderer for a terminal, so it does not count.
 */
function hasHardwareWebgl(): boolean {
  try {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl2', { failIfMajorPerformanceCaveat: true });
    if (gl === null) return false;
    // The unmasked name where the browser tells it (Chromium, Firefox); the plain one is often just "WebKit WebGL".
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return !/swiftshader|llvmpipe|softpipe|software/i.test(renderer);
  } catch {
    return false;
  }
}

/** Loads the WebGL renderer; returns undefined (the DOM renderer stays) when WebGL is slow or fails. */
function webglIfPossible(term: Terminal, onLost: () => void): WebglAddon | undefined {
  if (!hasHardwareWebgl()) return undefined;
  try {
    const webgl = new WebglAddon();
    webgl.onContextLoss(() => {
      webgl.dispose();
      onLost();
    });
    term.loadAddon(webgl);
    return webgl;
  } catch {
    // No WebGL here (headless, blocked GPU, old browser): the DOM renderer is already in place.
    return undefined;
  }
}
