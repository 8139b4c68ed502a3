// Program arguments from the page's address (`?arg=A&arg=B`, when the server has `session.allow_url_args`). A link
// with them runs a command as whoever opens it, so the page asks before it starts a session with them: otherwise a
// link in a chat or on another site would be a way to make a signed-in user run anything.

import { replaceAddress } from './dom';

/** The page query parameter that carries one program argument. */
export const ARG_PARAM = 'arg';

/** Whether the person refused the arguments in the address (then none are sent, whatever the address says). */
let refused = false;

/** The program arguments in `page`'s address, in order; none once the person refused them. */
export function urlArgs(page: string = location.href): string[] {
  return refused ? [] : new URL(page).searchParams.getAll(ARG_PARAM);
}

/**
 * Asks the person whether to start a session with the arguments in the address; if not, or when the browser does
 * not ask (a blocked dialog), takes them out of the address, so that the session starts without them.
 */
export function confirmUrlArgs(): void {
  const args = urlArgs();
  if (args.length === 0) return;
  const shown = args.map((arg) => JSON.stringify(arg)).join(' ');
  const question =
    `This link starts the terminal's program with these arguments:\n\n${shown}\n\n` +
    'Run it? Only if you trust whoever gave you the link. (Cancel starts the program without them.)';
  if (window.confirm(question)) return;
  refused = true;
  const url = new URL(location.href);
  url.searchParams.delete(ARG_PARAM);
  replaceAddress(url.href);
}
