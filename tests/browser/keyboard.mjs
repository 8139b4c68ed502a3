// Browser scenarios for what keys send: the Mac's Option key, as Alt or not. scenarios.mjs runs them by name;
// tests/it/browser.rs starts each against a server with the options it needs (named in each scenario's comment).

import { start } from './harness.mjs';

/**
 * Default server, on a page that takes itself for a Mac's (`navigator.platform`, which xterm.js reads as well). The
 * settings offer the Option key as Alt. Unticked, Option+F sends nothing (on a Mac it types a character of its own,
 * which a Linux keyboard does not make); ticked, it sends ESC f, the shell's "word forward"; the choice outlives a
 * reload. `od -c` shows the program's view of the keys.
 */
async function macOption(t, url) {
  await t.page.addInitScript(() => Object.defineProperty(navigator, 'platform', { get: () => 'MacIntel' }));
  await start(t, url);
  const checkbox = t.page.locator('#settings-option-meta');
  await t.step('the settings offer the Option key as Alt, not ticked', async () => {
    await t.page.locator('#settings-button').click();
    await t.page.locator('#settings-option-meta-label').waitFor({ state: 'visible' });
    if (await checkbox.isChecked()) throw new Error('the Option key is Alt before anyone chose it');
    await t.page.keyboard.press('Escape');
  });
  await t.step('unticked, Option+F sends nothing to the program', async () => {
    const text = await keysSeen(t, '0000001');
    if (text.includes('033')) throw new Error(`the program got ESC:\n${text}`);
  });
  await t.step('ticked, Option+F sends ESC f', async () => {
    await t.page.locator('#settings-button').click();
    await checkbox.check();
    await t.page.waitForFunction(() => window.webterm.term.options.macOptionIsMeta === true);
    await t.screenshot('settings.png');
    await t.page.keyboard.press('Escape');
    const text = await keysSeen(t, '0000003');
    if (!/^0000000 033 {3}f {2}\\n$/m.test(text)) throw new Error(`the program did not get ESC f:\n${text}`);
  });
  await t.step('after a reload the Option key is still Alt', async () => {
    await t.page.reload();
    await t.waitForState('connected');
    await t.page.waitForFunction(() => window.webterm.term.options.macOptionIsMeta === true);
  });
}

/**
 * Runs `od -c`, presses Option+F and Enter, ends the input, and waits for od's last line, `end` (the count of bytes
 * it read, in octal); returns the screen.
 */
async function keysSeen(t, end) {
  await t.page.locator('#terminal').click();
  // Keys typed before od reads wait in the terminal for it.
  await t.typeLine('od -c');
  await t.page.keyboard.press('Alt+f');
  await t.page.keyboard.press('Enter');
  await t.page.keyboard.press('Control+d');
  await t.waitForLine(end);
  return t.screenText();
}

/** The scenarios of this file, by the names scenarios.mjs runs them under. */
export const KEYBOARD_SCENARIOS = {
  'mac-option': macOption,
};
