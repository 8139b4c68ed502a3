// Small helpers for the page's static elements (`index.html`) and its address.

/** The element with `id`, which the page must have and must be a `type`. */
export function element<T extends HTMLElement>(id: string, type: { new (): T; prototype: T }): T {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`webterm: the page has no #${id} ${type.name}`);
  return found;
}

/** Whether the page runs on a Mac (as xterm.js decides it, by `navigator.platform`). */
export function isMac(): boolean {
  return navigator.platform.startsWith('Mac');
}

/**
 * Shows `href` in the address bar instead of the page's address, where the browser allows it: not in a page loaded
 * from an address with a user name and password in it (`http://user:pw@host/`), which Chromium refuses to rewrite.
 */
export function replaceAddress(href: string): void {
  try {
    history.replaceState(history.state, '', href);
  } catch {
    // Only the address bar is left as it was.
  }
}
