// Which browser tab this page is. A browser copies `sessionStorage` into a duplicated tab, so the session id that a
// page finds there may be another open tab's, not the one this tab had before a reload. Each tab keeps a random
// token next to its session id, and answers a newly loaded page of the same path that asks (over a
// BroadcastChannel) whether its token is in use. A reload finds nobody answering, since the page it replaces is gone,
// and keeps the token; a duplicate hears the tab it was copied from, and takes a token of its own. A tab opened from
// a `?session=ID` link has a token of its own, so a reload of it keeps sharing that session.

/** How long a page that found a session id in `sessionStorage` waits for a tab that has its token to answer. */
export const ANSWER_WAIT_MS = 300;

/** The `sessionStorage` key and the channel name of this page path's tab tokens. */
function name(): string {
  return `webterm.tab:${location.pathname}`;
}

/** A new random token: 128 bits as hex (`crypto.getRandomValues` works outside secure contexts too). */
function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function storedToken(): string | undefined {
  try {
    return sessionStorage.getItem(name()) ?? undefined;
  } catch {
    return undefined;
  }
}

function storeToken(token: string): void {
  try {
    sessionStorage.setItem(name(), token);
  } catch {
    // Storage is blocked: then there is no session id to keep either.
  }
}

/** A question or an answer on the channel: is this token some tab's? It is. */
interface TabMessage {
  type: 'ask' | 'mine';
  tab: string;
}

function isTabMessage(value: unknown): value is TabMessage {
  const v = value as Partial<TabMessage> | null;
  return typeof v === 'object' && v !== null && (v.type === 'ask' || v.type === 'mine') && typeof v.tab === 'string';
}

/** Whether another open tab answers that `token` is its own, within `ANSWER_WAIT_MS`. */
function inUse(channel: BroadcastChannel, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (used: boolean) => {
      clearTimeout(timer);
      channel.removeEventListener('message', listen);
      resolve(used);
    };
    const listen = (event: MessageEvent) => {
      if (isTabMessage(event.data) && event.data.type === 'mine' && event.data.tab === token) done(true);
    };
    const timer = setTimeout(() => done(false), ANSWER_WAIT_MS);
    channel.addEventListener('message', listen);
    channel.postMessage({ type: 'ask', tab: token } satisfies TabMessage);
  });
}

/**
 * Decides which tab this page is, and from then on answers the pages that ask about its token. With `reattaching`
 * (the page found a session id in `sessionStorage`) it asks whether another open tab has its token, and returns
 * true when one does: this page is a duplicate of that tab, and must not take its session. Otherwise it takes a
 * new token at once, without waiting: a tab with no session of its own to keep has no tab to be told apart from.
 */
export async function claimTab(reattaching: boolean): Promise<boolean> {
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name()) : undefined;
  let token = reattaching ? storedToken() : undefined;
  const duplicate = token !== undefined && channel !== undefined && (await inUse(channel, token));
  if (token === undefined || duplicate) token = newToken();
  storeToken(token);
  channel?.addEventListener('message', (event: MessageEvent) => {
    if (isTabMessage(event.data) && event.data.type === 'ask' && event.data.tab === token) {
      channel.postMessage({ type: 'mine', tab: token } satisfies TabMessage);
    }
  });
  return duplicate;
}
