// The connection state as the page shows it: the `#status` text, `data-state` on it, on `#bar` and on `<body>`.
//
// Tests wait on `body[data-state]`, so its values are part of the page's contract: connecting, connected,
// reconnecting, exited, disconnected. `body[data-writable]` is "false" while the connection is read-only. The
// optional "Take control" button shows while another client has the keyboard and this one may take it; "Type here"
// while this page shows another user's session and has not yet been told to type into it.

/** Where a page's WebSocket connection stands. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'exited' | 'disconnected';

/** Shows the connection state in a status element and on `<body data-state>`. */
export class StatusBar {
  private readonly element: HTMLElement | null;
  private readonly takeControl: HTMLElement | null;
  private readonly typeHere: HTMLElement | null;
  /** The words last shown, without the note. */
  private text = '';
  /** Said after the words, whatever the state, until cleared. */
  private note: string | undefined;

  /**
   * `takeControl` is the page's "Take control" button and `typeHere` its "Type here" button, when it has them; the
   * page wires their clicks.
   */
  constructor(
    element: HTMLElement | null,
    takeControl: HTMLElement | null = null,
    typeHere: HTMLElement | null = null,
  ) {
    this.element = element;
    this.takeControl = takeControl;
    this.typeHere = typeHere;
  }

  /** The state last shown. */
  get state(): ConnectionState | undefined {
    return document.body.dataset.state as ConnectionState | undefined;
  }

  /** Shows `state`, with `text` as the words in the status bar (the state's name when omitted), and the note. */
  show(state: ConnectionState, text: string = state): void {
    this.text = text;
    document.body.dataset.state = state;
    if (this.element) {
      this.element.textContent = this.note === undefined ? text : `${text}; ${this.note}`;
      this.element.dataset.state = state;
      if (this.element.parentElement?.id === 'bar') this.element.parentElement.dataset.state = state;
    }
  }

  /** Adds `note` after the words of every state shown from now on, or (undefined) stops; shows it now. */
  setNote(note: string | undefined): void {
    this.note = note;
    const state = this.state;
    if (state !== undefined) this.show(state, this.text);
  }

  /** Marks the page read-only (input goes nowhere) or writable. */
  showWritable(writable: boolean): void {
    document.body.dataset.writable = String(writable);
  }

  /** Shows or hides the "Take control" button. */
  showTakeControl(visible: boolean): void {
    if (this.takeControl) this.takeControl.hidden = !visible;
  }

  /** Shows or hides the "Type here" button. */
  showTypeHere(visible: boolean): void {
    if (this.typeHere) this.typeHere.hidden = !visible;
  }
}
