// The tab title: what the program set with OSC 0 or OSC 2, else the page's own title.

import type { Terminal } from '@xterm/xterm';

/**
 * Keeps `document.title` on the program's title; an empty title brings back the page's own. Returns a function
 * that sets the page's own title (a terminal's configured title), shown while the program has set none.
 */
export function followTitle(term: Terminal): (pageTitle: string) => void {
  let pageTitle = document.title;
  let programTitle = '';
  term.onTitleChange((title) => {
    programTitle = title.trim();
    document.title = programTitle === '' ? pageTitle : title;
  });
  return (title: string) => {
    pageTitle = title;
    if (programTitle === '') document.title = title;
  };
}
