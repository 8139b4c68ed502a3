// The connection state as the page shows it: the `#status` bar and `document.body.dataset.state`.
//
// Tests wait on `data-state`, so its values are part of the page's contract: connecting, connected, exited,
// disconnected.

/** Where a page's WebSocket connection stands. */
export type ConnectionState = 'connecting' | 'connected' | 'exited' | 'disconnected';

/** Shows the connection state in a status element and on `<body data-state>`. */
export class StatusBar {
  private readonly element: HTMLElement | null;

  constructor(element: HTMLElement | null) {
    this.element = element;
  }

  /** The state last shown. */
  get state(): ConnectionState | undefined {
    return document.body.dataset.state as ConnectionState | undefined;
  }

  /** Shows `state`, with `text` as the words in the status bar (the state's name when omitted). */
  show(state: ConnectionState, text: string = state): void {
    document.body.dataset.state = state;
    if (this.element) {
      this.element.textContent = text;
      this.element.dataset.state = state;
    }
  }
}
