// The tab title: what the program set with OSC 0 or OSC 2, else the page's own title.

import type { Terminal } from '@xterm/xterm';

/** Keeps `document.title` on the program's title; an empty title brings back the page's own. */
export function followTitle(term: Terminal): void {
  const pageTitle = document.title;
  term.onTitleChange((title) => {
    document.title = title.trim() === '' ? pageTitle : title;
  });
}
