// Program arguments from the page's address (`?arg=A&arg=B`, when the server has `session.allow_url_args`). A link
// with them runs a command as whoever opens it, so the page asks before it starts a session with them: otherwise a
// link in a chat or on another site would be a way to make a signed-in user run anything.

import { replaceAddress } from './dom';

/** The page query parameter that carries one program argument. */
export const ARG_PARAM = 'arg';

/** The person's answer about the arguments in the address, asked when the first session would start with them. */
let answer: boolean | undefined;

/** The program arguments in `page`'s address, in order, once the person agreed to them (`confirmUrlArgs`). */
export function urlArgs(page: string = location.href): string[] {
  return answer === true ? new URL(page).searchParams.getAll(ARG_PARAM) : [];
}

/**
 * When the page loads: asks the person, once, whether to start new sessions with the arguments in the address; if
 * not, or when the browser does not ask (a blocked dialog), takes them out of the address. Until then, and without a
 * yes, no session gets them: a link that also names a session (which may be gone, so that a new one starts) asks
 * too.
 */
export function confirmUrlArgs(): void {
  if (answer !== undefined) return;
  const args = new URL(location.href).searchParams.getAll(ARG_PARAM);
  if (args.length === 0) return;
  const shown = args.map((arg) => JSON.stringify(arg)).join(' ');
  const question =
    `This link starts the terminal's program with these arguments:\n\n${shown}\n\n` +
    'Run it? Only if you trust whoever gave you the link. (Cancel starts the program without them.)';
  answer = window.confirm(question);
  if (answer) return;
  const url = new URL(location.href);
  url.searchParams.delete(ARG_PARAM);
  replaceAddress(url.href);
}
