// What the user changed in the settings panel (font size, theme, the Mac's Option key), kept in localStorage, and
// how it combines with the server's options into the terminal's look.

import type { ClientOptions } from './client_options';
import { DEFAULT_LOOK, type Look } from './terminal';
import { themeById } from './themes';

/** The localStorage key; the value is the JSON of a `LocalSettings`. */
const STORAGE_KEY = 'webterm.settings';

/** The smallest and largest font size the panel allows. */
export const FONT_SIZE_RANGE = { min: 6, max: 48 } as const;

/** The user's own choices; an absent field means "as the server says". */
export interface LocalSettings {
  fontSize?: number;
  /** The id of a built-in theme (`themes.ts`). */
  theme?: string;
  /** On a Mac, the Option key sends Alt (Meta) combinations (Option+F: ESC f) instead of typing special characters. */
  optionIsMeta?: boolean;
}

/** Reads the stored settings; anything missing, unreadable or out of range is left out. */
export function loadSettings(storage: Storage | undefined = safeStorage()): LocalSettings {
  let value: unknown;
  try {
    value = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}');
  } catch {
    return {};
  }
  if (typeof value !== 'object' || value === null) return {};
  const v = value as Record<string, unknown>;
  const settings: LocalSettings = {};
  if (typeof v.fontSize === 'number' && v.fontSize >= FONT_SIZE_RANGE.min && v.fontSize <= FONT_SIZE_RANGE.max) {
    settings.fontSize = v.fontSize;
  }
  if (typeof v.theme === 'string' && themeById(v.theme) !== undefined) settings.theme = v.theme;
  if (v.optionIsMeta === true) settings.optionIsMeta = true;
  return settings;
}

/** Stores `settings`; does nothing when the browser refuses storage (private mode, disabled cookies). */
export function saveSettings(settings: LocalSettings, storage: Storage | undefined = safeStorage()): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Storage full or forbidden: the choice still holds for this page.
  }
}

/** The look from the page's defaults, then the server's options, then the user's settings. */
export function effectiveLook(server: ClientOptions, local: LocalSettings): Look {
  return {
    fontFamily: server.fontFamily ?? DEFAULT_LOOK.fontFamily,
    fontSize: local.fontSize ?? server.fontSize ?? DEFAULT_LOOK.fontSize,
    theme: themeById(local.theme)?.theme ?? { ...DEFAULT_LOOK.theme, ...server.theme },
    cursorStyle: server.cursorStyle ?? DEFAULT_LOOK.cursorStyle,
    scrollback: server.scrollback ?? DEFAULT_LOOK.scrollback,
    renderer: server.renderer ?? DEFAULT_LOOK.renderer,
  };
}

function safeStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
