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

/**
 * What a page that had the keyboard (the `single` input policy) leaves for its reload: its session, its client number
 * there (the connection the server may still think types, when the network was dead), and when that connection was
 * last heard from. The reloaded page asks for control back from that client only (`take_control`), as after a drop.
 */
export interface KeptControl {
  session: string;
  client: number;
  heard: number;
}

function controlKey(): string {
  return `webterm.control:${location.pathname}`;
}

/**
 * Keeps `kept` for the next page in this tab, or forgets what was kept. Written as the page goes (`pagehide`), so a
 * duplicated tab, which copies the storage of an open tab, finds none; and it starts a session of its own anyway.
 */
export function keepControl(kept: KeptControl | undefined): void {
  try {
    if (kept === undefined) sessionStorage.removeItem(controlKey());
    else sessionStorage.setItem(controlKey(), JSON.stringify(kept));
  } catch {
    // Storage is blocked: a reload comes back without the keyboard, as a new tab would.
  }
}

/** What the page before this one kept for `session`, if anything; read once (it is forgotten here). */
export function takeKeptControl(session: string): KeptControl | undefined {
  let stored: string | null = null;
  try {
    stored = sessionStorage.getItem(controlKey());
    sessionStorage.removeItem(controlKey());
  } catch {
    return undefined;
  }
  try {
    const kept = JSON.parse(stored ?? 'null') as Partial<KeptControl> | null;
    if (
      kept?.session === session &&
      Number.isSafeInteger(kept.client) &&
      typeof kept.heard === 'number' &&
      Number.isFinite(kept.heard)
    ) {
      return { session, client: kept.client as number, heard: kept.heard };
    }
  } catch {
    // Not ours, or damaged: nothing was kept.
  }
  return undefined;
}
