// Entry point of the terminal page (`/`): opens the terminal, wires the page's parts to it, and connects.

import '@xterm/xterm/css/xterm.css';
import '../style.css';
import type { Terminal } from '@xterm/xterm';
import { flashOnBell } from './bell';
import { Clipboard } from './clipboard';
import { Connector } from './connector';
import { element } from './dom';
import { installFilePickerFallbacks } from './file_pickers';
import { uploadDroppedFiles } from './file_transfer';
import { installFullscreen } from './fullscreen';
import { KeyBar } from './keybar';
import type { ClientOptions } from './client_options';
import { SearchBar } from './search';
import { effectiveLook, loadSettings } from './settings';
import { initialSessionId } from './session_id';
import { confirmUrlArgs } from './url_args';
import { SessionSize } from './session_size';
import { SessionsPanel } from './sessions_panel';
import { SettingsPanel } from './settings_panel';
import { showSizeChanges } from './size_overlay';
import { installShortcuts } from './shortcuts';
import { StatusBar } from './status';
import { openTerminal } from './terminal';
import { followTitle } from './title';

declare global {
  interface Window {
    /** A read-only debug hook for tests and the console. */
    readonly webterm?: { readonly term: Terminal; readonly connector: Connector };
  }
}

const frame = element('terminal-frame', HTMLElement);
let settings = loadSettings();
let serverOptions: ClientOptions = {};
const page = openTerminal(element('terminal', HTMLElement), effectiveLook(serverOptions, settings));
const { term } = page;
const focusTerminal = () => term.focus();
const applyLook = () => page.setLook(effectiveLook(serverOptions, settings));
// The user's choice alone (the server has no say): set now, and again when the settings change.
const applyOptionKey = () => {
  term.options.macOptionIsMeta = settings.optionIsMeta === true;
};
applyOptionKey();

const takeControl = element('take-control-button', HTMLButtonElement);
const typeHere = element('type-here-button', HTMLButtonElement);
const status = new StatusBar(document.getElementById('status'), takeControl, typeHere);
// The connector, made below, says whether this page types (a program's OSC 52 reaches the clipboard only then), and
// hears of a right-click paste as of a key (it reconnects at once).
const clipboard = new Clipboard(
  term,
  () => connector.typing,
  () => connector.keyPressed(),
);
const search = new SearchBar(page.search, focusTerminal);
new SettingsPanel(
  settings,
  () => term.options.fontSize ?? 15,
  (changed) => {
    settings = changed;
    applyLook();
    applyOptionKey();
  },
  focusTerminal,
);
const sessionSize = new SessionSize(term, page);
const connector = new Connector(
  term,
  status,
  sessionSize,
  (hello) => {
    serverOptions = hello.options ?? {};
    clipboard.options = {
      copyOnSelect: serverOptions.copyOnSelect ?? false,
      clipboardOsc52: serverOptions.clipboardOsc52 ?? false,
    };
    applyLook();
    if (hello.title !== undefined) setPageTitle(hello.title);
  },
);
new SessionsPanel(() => connector.currentHello, focusTerminal);
typeHere.addEventListener('click', () => {
  connector.typeHere();
  focusTerminal();
});
takeControl.addEventListener('click', () => {
  connector.takeControl();
  focusTerminal();
});
const keybar = new KeyBar(
  element('keybar', HTMLElement),
  term,
  (data) => {
    connector.keyPressed();
    connector.input(data);
  },
  () => sessionSize.windowChanged(),
);

// A terminal at another client's size may leave space around it: a click there gives the terminal the keyboard.
frame.addEventListener('click', (event) => {
  if (!(event.target instanceof Element && event.target.closest('.xterm'))) focusTerminal();
});
// Files dropped on the terminal are uploaded to the shell's current directory (trzsz's `trz`); where the browser
// has no file pickers of its own, `tsz` saves downloads and `trz` asks for files the way any page does.
uploadDroppedFiles(frame, term, (items) => connector.upload(items));
installFilePickerFallbacks();
installShortcuts(term, { copy: () => clipboard.copySelection(), find: () => search.open() });
installFullscreen(document.getElementById('fullscreen-button'), focusTerminal);
const setPageTitle = followTitle(term);
flashOnBell(term, frame);
showSizeChanges(term, element('size-overlay', HTMLElement));
term.onKey(() => connector.keyPressed());
// Text that comes without a key press counts as one too: a phone's keyboard and an IME send `input` and
// `compositionend`, not keys, and a paste is typing as well. Caught on the way down to xterm's textarea, so that
// the connector hears of it before xterm hands over the text (mouse reports, also input, are not among these).
for (const type of ['input', 'compositionend', 'paste']) {
  term.element?.addEventListener(type, () => connector.keyPressed(), { capture: true });
}
term.onData((data) => connector.input(keybar.transform(data)));
term.onBinary((data) => connector.binaryInput(data));
term.onResize(() => sessionSize.resized());

// A reload of a page with the keyboard (the `single` policy) takes it back.
window.addEventListener('pagehide', () => connector.leaving());
// Where closing the page ends the program, the browser asks first (after the person has used the page).
window.addEventListener('beforeunload', (event) => {
  if (connector.closingEndsSession) event.preventDefault();
});

Object.defineProperty(window, 'webterm', { value: Object.freeze({ term, connector }) });

// Only a real change counts: an observer's first notification, which a busy browser may deliver after this page
// began to follow another's size, would otherwise take the size back.
let frameSize = [frame.clientWidth, frame.clientHeight].join('x');
new ResizeObserver(() => {
  const size = [frame.clientWidth, frame.clientHeight].join('x');
  if (size === frameSize) return;
  frameSize = size;
  sessionSize.windowChanged();
}).observe(frame);
// Web fonts that finish loading late change the cell size; refit then (a size change is sent as a resize).
void document.fonts.ready.then(() => page.fit());
// A reload (or a `?session=ID` link) attaches to the running session instead of starting a new one; a duplicated
// tab starts its own.
// A link with program arguments asks first, now, before anyone types: the question must not come up later, when a
// session named in the link turns out to be gone and keys typed meanwhile could answer it (`url_args.ts`).
confirmUrlArgs();
void initialSessionId()
  .catch(() => undefined)
  .then((id) => connector.connect(id));
