// Full screen with the Keyboard Lock API: while the page is full screen, browser shortcuts like Ctrl+W, Ctrl+T,
// Ctrl+N, Tab and Escape reach the terminal instead of closing or opening tabs. Where the API is missing
// (Firefox, Safari) full screen still works, and those keys stay with the browser.

/** The Keyboard Lock API (Chromium), not yet in TypeScript's DOM types. */
interface KeyboardLock {
  lock(keyCodes?: string[]): Promise<void>;
  unlock(): void;
}

/**
 * The keys locked in full screen: the browser's tab and window shortcuts that shells and editors also use.
 * Escape too: a press goes to the terminal (vim needs it); holding it leaves full screen, as the browser says.
 */
const LOCKED_KEYS = ['KeyW', 'KeyT', 'KeyN', 'KeyQ', 'KeyR', 'KeyL', 'KeyP', 'KeyS', 'Tab', 'Escape'];

function keyboard(): KeyboardLock | undefined {
  const candidate = (navigator as Navigator & { keyboard?: Partial<KeyboardLock> }).keyboard;
  return typeof candidate?.lock === 'function' ? (candidate as KeyboardLock) : undefined;
}

/** Wires `button` to toggle full screen of the whole page, locking the keyboard while full screen. */
export function installFullscreen(button: HTMLElement | null, focusTerminal: () => void): void {
  if (button === null) return;
  if (!document.fullscreenEnabled) {
    button.hidden = true;
    return;
  }
  button.addEventListener('click', () => {
    if (document.fullscreenElement) {
      void document.exitFullscreen();
    } else {
      void document.documentElement
        .requestFullscreen({ navigationUI: 'hide' })
        .catch((error) => console.warn('webterm: full screen was refused:', error));
    }
    focusTerminal();
  });
  document.addEventListener('fullscreenchange', () => {
    const lock = keyboard();
    button.setAttribute('aria-pressed', String(document.fullscreenElement !== null));
    if (document.fullscreenElement) {
      lock?.lock(LOCKED_KEYS).catch((error) => console.warn('webterm: the keyboard lock was refused:', error));
    } else {
      lock?.unlock();
    }
  });
}
