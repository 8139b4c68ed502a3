// Where the page keeps the id of its session, so that a reload (F5) attaches to it again: `sessionStorage`, which
// is per tab (a new tab starts its own session, and so does a duplicated one, which the browser gives a copy of
// the tab's storage: see `tab.ts`). A page opened as `?session=ID` attaches to that session instead: a link to share
// a running session with another tab or window of the same user.

import { claimTab } from './tab';
import { replaceAddress } from './dom';

/** The page query parameter (and WebSocket query parameter) that names a session to attach to. */
export const SESSION_PARAM = 'session';

/** One key per page path, so that the terminals of one server (`[[terminal]]` tables) each keep their own. */
function storageKey(): string {
  return `webterm.session:${location.pathname}`;
}

/**
 * The session this page should attach to: the one named by `?session=ID` in its address, else the one this tab
 * last had, unless this tab is a duplicate of an open tab that has that session (which takes a moment to find
 * out: `tab.ts`). `?session=` is taken out of the address bar (the id then lives in `sessionStorage` like any
 * other), so that a reload after that session has ended does not ask for it again.
 */
export async function initialSessionId(): Promise<string | undefined> {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get(SESSION_PARAM);
  if (fromUrl !== null) {
    url.searchParams.delete(SESSION_PARAM);
    replaceAddress(url.href);
  }
  if (fromUrl !== null && fromUrl !== '') {
    await claimTab(false);
    return fromUrl;
  }
  let stored: string | undefined;
  try {
    stored = sessionStorage.getItem(storageKey()) ?? undefined;
  } catch {
    // Storage is blocked (some privacy settings, sandboxed frames): every load starts a new session.
  }
  const duplicate = await claimTab(stored !== undefined);
  return duplicate ? undefined : stored;
}

/** Remembers `id` as this tab's session, or forgets it when `undefined` (the session ended). */
export function rememberSessionId(id: string | undefined): void {
  try {
    if (id === undefined) sessionStorage.removeItem(storageKey());
    else sessionStorage.setItem(storageKey(), id);
  } catch {
    // Storage is blocked: the page still resumes after a drop, only not after a reload.
  }
}
