// Browser scenarios for several tabs on one session, or on sessions of their own: whose window sets the terminal's
// size. scenarios.mjs runs them by name; tests/it/browser.rs starts each against a server with the options it
// needs (named in each scenario's comment).

import path from 'node:path';
import { start } from './harness.mjs';

/**
 * Default server (shared input). Two tabs of different window sizes on one session: the terminal has the size of the
 * tab that set it last in both, so a line the program draws at its full width is one line in each. A tab that
 * attaches sets it; typing in the other takes it back.
 */
async function sharedSize(t, url) {
  await start(t, url);
  const big = await t.step('the first tab fits its terminal to its window', () => termSize(t));
  const link = new URL(t.page.url());
  link.searchParams.set('session', await t.page.evaluate(() => window.webterm.connector.sessionId));
  const second = await t.openPage();
  const small = await t.step('a second tab with a smaller window attaches with its own size', async () => {
    await second.page.setViewportSize({ width: 700, height: 400 });
    await second.page.goto(link.href, { timeout: 10_000 });
    await second.waitForState('connected');
    await second.waitForLine('ready-now');
    const size = await termSize(second);
    if (size.cols >= big.cols || size.rows >= big.rows) {
      throw new Error(`the second tab is ${size.cols} x ${size.rows}, the first ${big.cols} x ${big.rows}`);
    }
    return size;
  });
  await t.step("the first tab's terminal takes the second tab's size", () => waitForSize(t, small));
  await t.step('typing in the first tab takes the size back: both tabs have its size, and so has the program', async () => {
    await t.page.bringToFront();
    await t.page.locator('#terminal').click();
    await t.typeLine('echo size=$(stty size)');
    await t.waitForLine(`size=${big.rows} ${big.cols}`);
    await waitForSize(t, big);
    await waitForSize(second, big);
  });
  await t.step('a line the program draws at its full width is one line in both tabs', async () => {
    // `cols` columns: "=" up to the last three, then END.
    await t.typeLine(`cols=$(stty size | cut -d' ' -f2); head -c $((cols - 3)) /dev/zero | tr '\\0' =; echo END`);
    const line = `${'='.repeat(big.cols - 3)}END`;
    await t.waitForLine(line);
    await second.waitForLine(line);
  });
  await t.step('screenshot second-tab.png', () =>
    second.page.screenshot({ path: path.join(t.artifacts, 'shared-size-second-tab.png') }),
  );
}

/** The scenarios of this file, by the names scenarios.mjs runs them under. */
export const TAB_SCENARIOS = {
  'shared-size': sharedSize,
};

/** The terminal size of page `p`. */
export function termSize(p) {
  return p.page.evaluate(() => ({ cols: window.webterm.term.cols, rows: window.webterm.term.rows }));
}

/** Waits until the terminal of page `p` is `size`. */
function waitForSize(p, size) {
  return p.page.waitForFunction(
    (want) => window.webterm.term.cols === want.cols && window.webterm.term.rows === want.rows,
    size,
  );
}
