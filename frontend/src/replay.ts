// The /replay page: plays an asciicast v2 recording (from session.record_dir) in xterm.js, in the browser only:
// the file is read locally and never uploaded.

import '@xterm/xterm/css/xterm.css';
import '../style.css';
import { Terminal } from '@xterm/xterm';
import { isValidSize } from './protocol';

/** The longest pause played: longer ones in the recording are cut to this, and the rest plays on from there. */
const MAX_PAUSE_MS = 5000;

/** One `[seconds, kind, data]` event of a recording. */
export interface CastEvent {
  time: number;
  kind: string;
  data: string;
}

/** A parsed recording: its size and its events in order. */
export interface Cast {
  width: number;
  height: number;
  events: CastEvent[];
}

/** Parses asciicast v2 text; throws an Error that says what is wrong. */
export function parseCast(text: string): Cast {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (lines.length === 0) throw new Error('the file is empty');
  const header = JSON.parse(lines[0]) as { version?: unknown; width?: unknown; height?: unknown };
  if (header.version !== 2) throw new Error('not an asciicast v2 recording (the first line has no "version": 2)');
  const events = lines.slice(1).map((line, index) => {
    const event = JSON.parse(line) as unknown;
    if (!Array.isArray(event) || typeof event[0] !== 'number' || typeof event[1] !== 'string' || typeof event[2] !== 'string') {
      throw new Error(`line ${index + 2} is not a [time, kind, data] event`);
    }
    return { time: event[0], kind: event[1], data: event[2] };
  });
  const width = Number(header.width) || 80;
  const height = Number(header.height) || 24;
  if (!isValidSize(width, height)) {
    throw new Error(`the recording is ${width}x${height}, larger than a terminal can be here`);
  }
  return { width, height, events };
}

const element = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const fileInput = element<HTMLInputElement>('replay-file');
const playButton = element<HTMLButtonElement>('replay-play');
const speedSelect = element<HTMLSelectElement>('replay-speed');
const status = element<HTMLElement>('replay-status');

const term = new Terminal({ convertEol: false, scrollback: 5000, cursorBlink: false, disableStdin: true });
term.open(element('replay-terminal'));
(window as unknown as { webterm: object }).webterm = { term };

let cast: Cast | null = null;
let playing = 0; // a generation counter: starting a new replay stops the one before

function setState(state: string, text: string): void {
  document.body.dataset.state = state;
  status.textContent = text;
}

fileInput.addEventListener('change', async () => {
  const file = fileInput.files?.[0];
  if (!file) return;
  try {
    cast = parseCast(await file.text());
    playButton.disabled = false;
    setState('loaded', `${file.name}: ${cast.width}×${cast.height}, ${cast.events.length} events`);
  } catch (error) {
    cast = null;
    playButton.disabled = true;
    setState('error', `${file.name}: ${(error as Error).message}`);
  }
});

playButton.addEventListener('click', () => void play());

async function play(): Promise<void> {
  if (!cast) return;
  const generation = ++playing;
  const speed = Number(speedSelect.value);
  term.reset();
  term.resize(cast.width, cast.height);
  setState('playing', 'playing');
  // When the recording's clock starts, on the page's clock; moved on by the pauses cut short below.
  let started = performance.now();
  for (const event of cast.events) {
    if (speed > 0) {
      const due = started + (event.time * 1000) / speed;
      const wait = due - performance.now();
      if (wait > MAX_PAUSE_MS) started -= wait - MAX_PAUSE_MS;
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(wait, MAX_PAUSE_MS)));
    }
    if (generation !== playing) return;
    if (event.kind === 'o') term.write(event.data);
    if (event.kind === 'r') {
      const [cols, rows] = event.data.split('x').map(Number);
      // After the output before it has been parsed: a resize takes effect at once, writes later.
      if (isValidSize(cols, rows)) await new Promise<void>((resolve) => term.write('', resolve));
      if (generation !== playing) return;
      if (isValidSize(cols, rows)) term.resize(cols, rows);
    }
  }
  term.write('', () => setState('done', 'done'));
}
