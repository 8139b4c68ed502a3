// Find in the terminal (Ctrl+Shift+F): the `#search` bar driving xterm's search addon.

import type { SearchAddon, ISearchOptions } from '@xterm/addon-search';
import { element } from './dom';

/** Highlights for every match and the active one; the addon only counts matches when these are set. */
const SEARCH_OPTIONS: ISearchOptions = {
  decorations: {
    matchBackground: '#623315',
    matchOverviewRuler: '#d18616',
    activeMatchBackground: '#a0522d',
    activeMatchBorder: '#ffcc00',
    activeMatchColorOverviewRuler: '#ffcc00',
  },
};

/** The search bar. */
export class SearchBar {
  private readonly form = element('search', HTMLFormElement);
  private readonly input = element('search-input', HTMLInputElement);
  private readonly count = element('search-count', HTMLElement);

  /** Wires the bar to `search`; `closed` runs when the bar closes (to focus the terminal again). */
  constructor(
    private readonly search: SearchAddon,
    private readonly closed: () => void,
  ) {
    search.onDidChangeResults(({ resultIndex, resultCount }) => {
      if (this.input.value === '') this.count.textContent = '';
      else if (resultCount === 0) this.count.textContent = 'no matches';
      else this.count.textContent = `${resultIndex + 1} of ${resultCount}`;
    });
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.next();
    });
    this.input.addEventListener('input', () => {
      if (this.input.value === '') {
        this.search.clearDecorations();
        this.count.textContent = '';
      } else {
        this.search.findNext(this.input.value, { ...SEARCH_OPTIONS, incremental: true });
      }
    });
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this.close();
      } else if (event.key === 'Enter' && event.shiftKey) {
        event.preventDefault();
        this.previous();
      }
    });
    element('search-previous', HTMLButtonElement).addEventListener('click', () => this.previous());
    element('search-close', HTMLButtonElement).addEventListener('click', () => this.close());
    document.getElementById('search-button')?.addEventListener('click', () => this.open());
  }

  /** Shows the bar with its text selected, ready to type. */
  open(): void {
    this.form.hidden = false;
    this.input.focus();
    this.input.select();
  }

  /** Hides the bar and its highlights. */
  close(): void {
    this.form.hidden = true;
    this.search.clearDecorations();
    this.count.textContent = '';
    this.closed();
  }

  private next(): void {
    if (this.input.value !== '') this.search.findNext(this.input.value, SEARCH_OPTIONS);
  }

  private previous(): void {
    if (this.input.value !== '') this.search.findPrevious(this.input.value, SEARCH_OPTIONS);
  }
}
