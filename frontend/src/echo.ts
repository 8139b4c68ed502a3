// The `/echo` diagnostics page: pings the server's echo socket with text and binary messages and shows round trips.
//
// Every message carries its kind, a sequence number and the `performance.now()` at which it was sent, so the echo
// that comes back tells its own round-trip time. Binary header: byte 0 kind, bytes 4..8 sequence (u32),
// bytes 8..16 send time (f64), little-endian; the rest of a big message is a byte pattern checked on return.

import { StatusBar } from './status';

/** How often the page sends one text and one binary message. */
const TICK_MS = 1000;

/** The size of the message the button sends. */
const BIG_BYTES = 1024 * 1024;

const BINARY_TICK = 1;
const BINARY_BIG = 2;
const HEADER_BYTES = 16;

type Kind = 'text' | 'binary' | 'big';

const KINDS: ReadonlyArray<[Kind, string]> = [
  ['text', 'text (1 s)'],
  ['binary', 'binary (1 s)'],
  ['big', 'binary 1 MiB'],
];

/** Round-trip times of one kind of message, in milliseconds. */
class RoundTrips {
  count = 0;
  last = NaN;
  min = Infinity;
  max = -Infinity;
  private sum = 0;

  add(ms: number): void {
    this.count += 1;
    this.last = ms;
    this.sum += ms;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
  }

  get avg(): number {
    return this.count === 0 ? NaN : this.sum / this.count;
  }
}

const stats = new Map<Kind, RoundTrips>(KINDS.map(([kind]) => [kind, new RoundTrips()]));
const status = new StatusBar(document.getElementById('status'));
const logElement = document.getElementById('log');
const bigButton = document.getElementById('send-big') as HTMLButtonElement | null;

function log(line: string): void {
  if (logElement === null) return;
  const time = new Date().toISOString().slice(11, 23);
  logElement.textContent = `${time} ${line}\n${logElement.textContent ?? ''}`.split('\n').slice(0, 50).join('\n');
}

function buildTable(): void {
  const body = document.getElementById('rtt-body');
  if (body === null) return;
  for (const [kind, label] of KINDS) {
    const row = document.createElement('tr');
    row.dataset.kind = kind;
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = label;
    row.append(th);
    for (const stat of ['last', 'min', 'avg', 'max', 'count']) {
      const cell = document.createElement('td');
      cell.dataset.stat = stat;
      cell.textContent = '–';
      row.append(cell);
    }
    body.append(row);
  }
}

function showStats(kind: Kind): void {
  const trips = stats.get(kind);
  const row = document.querySelector(`#rtt-body tr[data-kind="${kind}"]`);
  if (trips === undefined || row === null) return;
  const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : '–');
  const values: Record<string, string> = {
    last: ms(trips.last),
    min: ms(trips.min),
    avg: ms(trips.avg),
    max: ms(trips.max),
    count: String(trips.count),
  };
  for (const cell of row.querySelectorAll<HTMLElement>('td[data-stat]')) {
    cell.textContent = values[cell.dataset.stat ?? ''] ?? '–';
  }
}

function record(kind: Kind, sentAt: number): void {
  stats.get(kind)?.add(performance.now() - sentAt);
  showStats(kind);
}

function binaryMessage(kind: number, seq: number, bytes: number): Uint8Array<ArrayBuffer> {
  const message = new Uint8Array(bytes);
  for (let i = HEADER_BYTES; i < bytes; i++) message[i] = i & 0xff;
  const view = new DataView(message.buffer);
  view.setUint8(0, kind);
  view.setUint32(4, seq, true);
  view.setFloat64(8, performance.now(), true);
  return message;
}

function patternIntact(message: Uint8Array): boolean {
  for (let i = HEADER_BYTES; i < message.length; i++) {
    if (message[i] !== (i & 0xff)) return false;
  }
  return true;
}

function onBinary(data: ArrayBuffer): void {
  if (data.byteLength < HEADER_BYTES) {
    log(`unexpected ${data.byteLength}-byte binary message`);
    return;
  }
  const view = new DataView(data);
  const kind = view.getUint8(0);
  const sentAt = view.getFloat64(8, true);
  if (kind === BINARY_TICK) {
    record('binary', sentAt);
  } else if (kind === BINARY_BIG) {
    record('big', sentAt);
    const intact = data.byteLength === BIG_BYTES && patternIntact(new Uint8Array(data));
    log(`1 MiB echo: ${data.byteLength} bytes, ${intact ? 'intact' : 'CORRUPTED'}`);
  } else {
    log(`unexpected binary message of kind ${kind}`);
  }
}

function onText(data: string): void {
  try {
    const message = JSON.parse(data) as { kind?: unknown; sent?: unknown };
    if (message.kind === 'tick' && typeof message.sent === 'number') {
      record('text', message.sent);
      return;
    }
  } catch {
    // Not one of ours; logged below.
  }
  log(`unexpected text message: ${data.slice(0, 200)}`);
}

function connect(): void {
  const url = new URL('echo', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  status.show('connecting', `connecting to ${url.href}`);
  const socket = new WebSocket(url.href);
  socket.binaryType = 'arraybuffer';
  let seq = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const tick = () => {
    seq += 1;
    const sent = performance.now();
    socket.send(JSON.stringify({ kind: 'tick', seq, sent, at: new Date().toISOString() }));
    socket.send(binaryMessage(BINARY_TICK, seq, HEADER_BYTES));
  };

  socket.addEventListener('open', () => {
    status.show('connected');
    log(`connected to ${url.href}`);
    if (bigButton) bigButton.disabled = false;
    tick();
    timer = setInterval(tick, TICK_MS);
  });
  socket.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) => {
    if (event.data instanceof ArrayBuffer) onBinary(event.data);
    else onText(event.data);
  });
  socket.addEventListener('close', (event) => {
    clearInterval(timer);
    if (bigButton) bigButton.disabled = true;
    const reason = event.reason ? `: ${event.reason}` : '';
    status.show('disconnected', `disconnected (close code ${event.code}${reason})`);
    log(`closed with code ${event.code}${reason}`);
  });
  bigButton?.addEventListener('click', () => {
    if (socket.readyState !== WebSocket.OPEN) return;
    seq += 1;
    socket.send(binaryMessage(BINARY_BIG, seq, BIG_BYTES));
    log(`sent a ${BIG_BYTES}-byte message`);
  });
}

buildTable();
connect();
