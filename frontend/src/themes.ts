// The color themes a user can pick in the settings panel, besides the server's own (`[client.theme]`).

import type { ITheme } from '@xterm/xterm';

/** A theme the settings panel offers. */
export interface NamedTheme {
  /** Stored in localStorage; never change one once shipped. */
  id: string;
  /** What the panel shows. */
  label: string;
  theme: ITheme;
}

/** The built-in themes, in the order the panel lists them. */
export const THEMES: ReadonlyArray<NamedTheme> = [
  {
    id: 'light',
    label: 'Light',
    theme: {
      background: '#ffffff',
      foreground: '#1e1e1e',
      cursor: '#1e1e1e',
      cursorAccent: '#ffffff',
      selectionBackground: '#add6ff',
      black: '#000000',
      red: '#cd3131',
      green: '#00bc00',
      yellow: '#949800',
      blue: '#0451a5',
      magenta: '#bc05bc',
      cyan: '#0598bc',
      white: '#555555',
      brightBlack: '#666666',
      brightRed: '#cd3131',
      brightGreen: '#14ce14',
      brightYellow: '#b5ba00',
      brightBlue: '#0451a5',
      brightMagenta: '#bc05bc',
      brightCyan: '#0598bc',
      brightWhite: '#a5a5a5',
    },
  },
  {
    id: 'solarized-dark',
    label: 'Solarized dark',
    theme: {
      background: '#002b36',
      foreground: '#839496',
      cursor: '#93a1a1',
      cursorAccent: '#002b36',
      selectionBackground: '#073642',
      black: '#073642',
      red: '#dc322f',
      green: '#859900',
      yellow: '#b58900',
      blue: '#268bd2',
      magenta: '#d33682',
      cyan: '#2aa198',
      white: '#eee8d5',
      brightBlack: '#586e75',
      brightRed: '#cb4b16',
      brightGreen: '#586e75',
      brightYellow: '#657b83',
      brightBlue: '#839496',
      brightMagenta: '#6c71c4',
      brightCyan: '#93a1a1',
      brightWhite: '#fdf6e3',
    },
  },
];

/** The built-in theme called `id`, if there is one. */
export function themeById(id: string | undefined): NamedTheme | undefined {
  return THEMES.find((t) => t.id === id);
}
