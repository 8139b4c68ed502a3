// The bell (BEL, Ctrl+G): a short visual flash of the terminal's frame, never a sound.

import type { Terminal } from '@xterm/xterm';

/** How long the flash lasts; matches the `bell` animation in style.css. */
const FLASH_MS = 150;

/** Flashes `frame` on every bell, at most once per flash. */
export function flashOnBell(term: Terminal, frame: HTMLElement): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  term.onBell(() => {
    if (timer !== undefined) return;
    frame.classList.add('bell');
    timer = setTimeout(() => {
      frame.classList.remove('bell');
      timer = undefined;
    }, FLASH_MS);
  });
}
