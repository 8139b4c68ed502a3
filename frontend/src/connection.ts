// The terminal's WebSocket: input out as binary frames, output in as binary frames, control messages as JSON text.

import type { PageTerminal } from './terminal';
import type { StatusBar } from './status';
import { WriteFlow } from './flow';
import {
  type ClientMessage,
  type Size,
  describeExit,
  encodeClientMessage,
  isValidSize,
  parseServerMessage,
} from './protocol';

/** Wait this long after the last size change before telling the server, so a window drag sends one resize. */
const RESIZE_DEBOUNCE_MS = 50;

/**
 * The terminal socket's URL: `ws` resolved against the page's own URL, so it works under a sub-path, with the
 * scheme switched to `wss:` under TLS and the terminal's size in the query when it is one the server accepts.
 */
export function terminalSocketUrl(size: Size, page: string = location.href): string {
  const url = new URL('ws', page);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  url.hash = '';
  if (isValidSize(size.cols, size.rows)) {
    url.searchParams.set('cols', String(size.cols));
    url.searchParams.set('rows', String(size.rows));
  }
  return url.href;
}

/** Connects `page`'s terminal to the server and keeps `status` up to date. Returns the socket. */
export function connect(page: PageTerminal, status: StatusBar): WebSocket {
  const { term } = page;
  status.show('connecting');
  const socket = new WebSocket(terminalSocketUrl({ cols: term.cols, rows: term.rows }));
  socket.binaryType = 'arraybuffer';

  const isOpen = () => socket.readyState === WebSocket.OPEN;
  const sendControl = (message: ClientMessage): boolean => {
    if (!isOpen()) return false;
    socket.send(encodeClientMessage(message));
    return true;
  };
  const sendBytes = (bytes: Uint8Array<ArrayBuffer>): void => {
    if (isOpen()) socket.send(bytes);
  };

  const encoder = new TextEncoder();
  term.onData((data) => sendBytes(encoder.encode(data)));
  // onBinary gives one byte per UTF-16 code unit (some mouse reports); send those bytes as they are.
  term.onBinary((data) => sendBytes(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));

  // The size the server last heard of; the terminal is spawned at the size in the URL.
  let serverSize: Size = { cols: term.cols, rows: term.rows };
  let resizeTimer: ReturnType<typeof setTimeout> | undefined;
  const sendSizeSoon = () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const size = { cols: term.cols, rows: term.rows };
      if (size.cols === serverSize.cols && size.rows === serverSize.rows) return;
      if (!isValidSize(size.cols, size.rows)) return;
      if (sendControl({ type: 'resize', ...size })) serverSize = size;
    }, RESIZE_DEBOUNCE_MS);
  };
  term.onResize(sendSizeSoon);

  const flow = new WriteFlow(
    () => sendControl({ type: 'pause' }),
    () => sendControl({ type: 'resume' }),
  );

  let ended = false;
  socket.addEventListener('open', () => status.show('connected'));
  socket.addEventListener('message', (event: MessageEvent<ArrayBuffer | string>) => {
    if (event.data instanceof ArrayBuffer) {
      const bytes = new Uint8Array(event.data);
      term.write(bytes, flow.written(bytes.length));
      return;
    }
    const message = parseServerMessage(event.data);
    if (message === null) {
      console.warn('webterm: ignoring a control message this page does not understand:', event.data);
      return;
    }
    switch (message.type) {
      case 'hello':
        serverSize = { cols: message.cols, rows: message.rows };
        term.options.disableStdin = !message.writable;
        sendSizeSoon();
        break;
      case 'error':
        console.warn('webterm: the server rejected a control message:', message.message);
        break;
      case 'exit': {
        ended = true;
        const how = describeExit(message);
        term.write(`\r\n[process exited with ${how}]\r\n`);
        stopInput();
        status.show('exited', `exited with ${how}`);
        break;
      }
    }
  });
  socket.addEventListener('close', () => {
    clearTimeout(resizeTimer);
    if (ended) return;
    ended = true;
    term.write('\r\n[disconnected]\r\n');
    stopInput();
    status.show('disconnected');
  });

  function stopInput(): void {
    term.options.disableStdin = true;
    term.options.cursorBlink = false;
    term.write('\x1b[?25l'); // hide the cursor: nothing typed here goes anywhere now
  }

  return socket;
}
