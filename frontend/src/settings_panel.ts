// The settings panel: font size, theme and (on a Mac) the Option key, changed locally and remembered in
// localStorage.

import { FONT_SIZE_RANGE, type LocalSettings, saveSettings } from './settings';
import { THEMES } from './themes';
import { element, isMac } from './dom';

/** The panel's form, filled from and written to the user's settings. */
export class SettingsPanel {
  private readonly form: HTMLFormElement;
  private readonly fontSize: HTMLInputElement;
  private readonly theme: HTMLSelectElement;
  private readonly optionIsMeta: HTMLInputElement;
  private readonly button: HTMLElement | null;

  /**
   * Wires the `#settings` form to `settings`. `fontSizeInUse` fills the font size field when the user has not
   * chosen one; `changed` gets the new settings (already saved) after each change; `closed` runs on close.
   */
  constructor(
    private settings: LocalSettings,
    private readonly fontSizeInUse: () => number,
    private readonly changed: (settings: LocalSettings) => void,
    private readonly closed: () => void,
  ) {
    this.form = element('settings', HTMLFormElement);
    this.fontSize = element('settings-font-size', HTMLInputElement);
    this.theme = element('settings-theme', HTMLSelectElement);
    this.optionIsMeta = element('settings-option-meta', HTMLInputElement);
    // Only a Mac has an Option key that types characters of its own.
    element('settings-option-meta-label', HTMLLabelElement).hidden = !isMac();
    this.button = document.getElementById('settings-button');
    this.fontSize.min = String(FONT_SIZE_RANGE.min);
    this.fontSize.max = String(FONT_SIZE_RANGE.max);
    for (const theme of THEMES) this.theme.append(new Option(theme.label, theme.id));

    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.close();
    });
    this.fontSize.addEventListener('change', () => {
      const size = Number(this.fontSize.value);
      const valid = Number.isInteger(size) && size >= FONT_SIZE_RANGE.min && size <= FONT_SIZE_RANGE.max;
      this.update({ ...this.settings, fontSize: valid ? size : undefined });
    });
    this.theme.addEventListener('change', () => {
      this.update({ ...this.settings, theme: this.theme.value || undefined });
    });
    this.optionIsMeta.addEventListener('change', () => {
      this.update({ ...this.settings, optionIsMeta: this.optionIsMeta.checked || undefined });
    });
    element('settings-reset', HTMLButtonElement).addEventListener('click', () => this.update({}));
    element('settings-close', HTMLButtonElement).addEventListener('click', () => this.close());
    this.form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.close();
    });
    this.button?.addEventListener('click', () => (this.form.hidden ? this.open() : this.close()));
  }

  /** Shows the panel with the current values. */
  open(): void {
    this.fill();
    this.form.hidden = false;
    this.button?.setAttribute('aria-expanded', 'true');
    this.fontSize.focus();
  }

  /** Hides the panel and gives the keyboard back to the terminal. */
  close(): void {
    this.form.hidden = true;
    this.button?.setAttribute('aria-expanded', 'false');
    this.closed();
  }

  private update(settings: LocalSettings): void {
    this.settings = settings;
    saveSettings(settings);
    this.fill();
    this.changed(settings);
  }

  private fill(): void {
    this.fontSize.value = String(this.settings.fontSize ?? this.fontSizeInUse());
    this.theme.value = this.settings.theme ?? '';
    this.optionIsMeta.checked = this.settings.optionIsMeta === true;
  }
}
