// Entry point of the terminal page (`/`): opens the terminal, connects it, and keeps it fitted to the window.

import '@xterm/xterm/css/xterm.css';
import '../style.css';
import type { Terminal } from '@xterm/xterm';
import { connect } from './connection';
import { StatusBar } from './status';
import { openTerminal } from './terminal';

declare global {
  interface Window {
    /** A read-only debug hook for tests and the console. */
    readonly webterm?: { readonly term: Terminal };
  }
}

const container = document.getElementById('terminal');
if (container === null) {
  throw new Error('webterm: the page has no #terminal element');
}
const status = new StatusBar(document.getElementById('status'));
const page = openTerminal(container);
Object.defineProperty(window, 'webterm', { value: Object.freeze({ term: page.term }) });

window.addEventListener('resize', () => page.fit.fit());
// Web fonts that finish loading late change the cell size; refit then (a size change is sent as a resize).
void document.fonts.ready.then(() => page.fit.fit());
connect(page, status);
