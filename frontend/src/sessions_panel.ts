// The "Sessions" panel: the person's sessions on this terminal (`GET /api/sessions`: an admin's lists everyone's),
// each a link that attaches this tab to it (`?session=ID`). A session whose tab was closed lingers
// (`session.linger_secs`): from here it can be taken up again, in any tab or browser of the same user.

import { element } from './dom';
import type { Hello } from './protocol';

/** One row of `GET /api/sessions` (`Listing` in src/sessions/mod.rs), the fields the panel shows. */
interface Listed {
  id: string;
  owner: string;
  path: string;
  command: string;
  cols: number;
  rows: number;
  clients: number;
  started: number;
  idle_secs: number;
}

/** The `#sessions` panel and its button. */
export class SessionsPanel {
  private readonly panel = element('sessions', HTMLElement);
  private readonly list = element('sessions-list', HTMLUListElement);
  private readonly button = element('sessions-button', HTMLButtonElement);

  /** `current` is the connection's `hello` (this tab's session), when connected; `closed` runs on close. */
  constructor(
    private readonly current: () => Hello | undefined,
    private readonly closed: () => void,
  ) {
    this.button.addEventListener('click', () => (this.panel.hidden ? void this.open() : this.close()));
    element('sessions-close', HTMLButtonElement).addEventListener('click', () => this.close());
    this.panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
  }

  /** Shows the panel and fills it with the sessions as the server lists them now. */
  private async open(): Promise<void> {
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.list.replaceChildren(item('listing the sessions…'));
    const hello = this.current();
    const path = hello?.path ?? '/';
    try {
      const sessions = (await listSessions(path)).filter((session) => session.path === path);
      // An admin's list may hold other users' sessions: then each says whose it is.
      const owners = new Set(sessions.map((session) => session.owner)).size > 1;
      this.list.replaceChildren(...sessions.map((session) => row(session, hello, owners)), newSession());
      this.list.querySelector('a')?.focus();
    } catch (error) {
      this.list.replaceChildren(item(`could not list the sessions: ${(error as Error).message}`));
    }
  }

  private close(): void {
    if (this.panel.hidden) return;
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    this.closed();
  }
}

/**
 * A session's line: a link that attaches this tab to it (or, for this tab's own, plain text), then what it is;
 * with `owners`, whose it is.
 */
function row(session: Listed, hello: Hello | undefined, owners: boolean): HTMLLIElement {
  const started = new Date(session.started * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  const tabs = session.clients === 1 ? '1 tab' : `${session.clients} tabs`;
  const owner = owners ? `${session.owner}'s, ` : '';
  const about = ` ${owner}${session.cols}×${session.rows}, started ${started}, ${tabs}, idle ${session.idle_secs} s`;
  const line = document.createElement('li');
  line.dataset.session = session.id;
  if (session.id === hello?.session) {
    line.append(session.command, note(`${about} (this tab)`));
  } else {
    const link = document.createElement('a');
    link.href = new URL(`?session=${encodeURIComponent(session.id)}`, location.href).href;
    link.textContent = session.command;
    line.append(link, note(about));
  }
  return line;
}

/** `GET /api/sessions`, from the page of the terminal at `path` (the API is at the server's base, above it). */
async function listSessions(path: string): Promise<Listed[]> {
  const depth = path.split('/').filter((part) => part !== '').length;
  const url = new URL(`${'../'.repeat(depth)}api/sessions`, new URL('./', location.href));
  const response = await fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (!response.ok) throw new Error((await response.text()).trim() || `HTTP ${response.status}`);
  const listed: unknown = await response.json();
  if (!Array.isArray(listed) || !listed.every(isListed)) throw new Error('the server answered something else');
  return listed;
}

function isListed(value: unknown): value is Listed {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  const strings = ['id', 'owner', 'path', 'command'].every((key) => typeof v[key] === 'string');
  const numbers = ['cols', 'rows', 'clients', 'started', 'idle_secs'].every((key) => typeof v[key] === 'number');
  return strings && numbers;
}

/** The last line: a new session, in a new tab (this tab keeps its own). */
function newSession(): HTMLLIElement {
  const line = document.createElement('li');
  const link = document.createElement('a');
  const page = new URL(location.href);
  page.search = '';
  link.href = page.href;
  link.target = '_blank';
  link.rel = 'noopener';
  link.id = 'sessions-new';
  link.textContent = 'new session';
  line.append(link, note(' in a new tab'));
  return line;
}

function item(text: string): HTMLLIElement {
  const line = document.createElement('li');
  line.append(note(text));
  return line;
}

function note(text: string): HTMLSpanElement {
  const span = document.createElement('span');
  span.className = 'note';
  span.textContent = text;
  return span;
}
