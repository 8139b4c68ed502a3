// The `options` of `hello`: how the page sets up its terminal, from the server's `[client]` config. Pure: no I/O.
//
// Mirrors `src/protocol/options.rs` name for name (`docs/protocol.md`, "Terminal options in `hello`").

/** Terminal colors; each is a CSS hex color like `#1e1e1e`. Absent colors keep the page's own. */
export interface Theme {
  foreground?: string;
  background?: string;
  cursor?: string;
  cursorAccent?: string;
  selectionBackground?: string;
  black?: string;
  red?: string;
  green?: string;
  yellow?: string;
  blue?: string;
  magenta?: string;
  cyan?: string;
  white?: string;
  brightBlack?: string;
  brightRed?: string;
  brightGreen?: string;
  brightYellow?: string;
  brightBlue?: string;
  brightMagenta?: string;
  brightCyan?: string;
  brightWhite?: string;
}

/** The names of every color a `Theme` may carry. */
export const THEME_COLORS: ReadonlyArray<keyof Theme> = [
  'foreground',
  'background',
  'cursor',
  'cursorAccent',
  'selectionBackground',
  'black',
  'red',
  'green',
  'yellow',
  'blue',
  'magenta',
  'cyan',
  'white',
  'brightBlack',
  'brightRed',
  'brightGreen',
  'brightYellow',
  'brightBlue',
  'brightMagenta',
  'brightCyan',
  'brightWhite',
];

/** The shape of the cursor. */
export type CursorStyle = 'block' | 'underline' | 'bar';

/** How the terminal is drawn: WebGL (falling back to the DOM without a GPU, or when WebGL is lost) or the DOM. */
export type Renderer = 'webgl' | 'dom';

/** How the page should set up its terminal, from the server's `[client]` config. Absent fields keep the page's own. */
export interface ClientOptions {
  fontFamily?: string;
  fontSize?: number;
  theme?: Theme;
  cursorStyle?: CursorStyle;
  scrollback?: number;
  renderer?: Renderer;
  copyOnSelect?: boolean;
  clipboardOsc52?: boolean;
}

const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$/;

/**
 * Keeps the options a page understands, each only when it has the right type and range, so one odd value from a
 * newer server never breaks the terminal.
 */
export function parseClientOptions(v: Record<string, unknown>): ClientOptions {
  const options: ClientOptions = {};
  if (typeof v.fontFamily === 'string' && v.fontFamily.trim() !== '') options.fontFamily = v.fontFamily;
  if (typeof v.fontSize === 'number' && v.fontSize >= 6 && v.fontSize <= 72) options.fontSize = v.fontSize;
  if (typeof v.theme === 'object' && v.theme !== null && !Array.isArray(v.theme)) {
    const colors = v.theme as Record<string, unknown>;
    const theme: Theme = {};
    for (const color of THEME_COLORS) {
      const value = colors[color];
      if (typeof value === 'string' && HEX_COLOR.test(value)) theme[color] = value;
    }
    options.theme = theme;
  }
  if (v.cursorStyle === 'block' || v.cursorStyle === 'underline' || v.cursorStyle === 'bar') {
    options.cursorStyle = v.cursorStyle;
  }
  if (typeof v.scrollback === 'number' && Number.isInteger(v.scrollback) && v.scrollback >= 0) {
    options.scrollback = v.scrollback;
  }
  if (v.renderer === 'webgl' || v.renderer === 'dom') options.renderer = v.renderer;
  if (typeof v.copyOnSelect === 'boolean') options.copyOnSelect = v.copyOnSelect;
  if (typeof v.clipboardOsc52 === 'boolean') options.clipboardOsc52 = v.clipboardOsc52;
  return options;
}
