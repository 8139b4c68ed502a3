// Drives the terminal page in a real headless Chromium, as a person would: type a command, read the screen.
//
//     node tests/browser/terminal.mjs URL ARTIFACT_DIR
//
// URL is the terminal page of a running webterm, as its `listening on` line prints it: with the token,
// http://127.0.0.1:PORT/?token=TOKEN (or http://127.0.0.1:PORT/ under --no-auth). Screenshots go to ARTIFACT_DIR
// (typed-echo.png, exited.png, and failure-terminal.png when a step fails). Exits 0 on success, 1 on any failure,
// including a missing /usr/bin/chromium or a Content-Security-Policy violation (see harness.mjs).

import { fail, openBrowser } from './harness.mjs';

const [url, artifacts] = process.argv.slice(2);
if (!url || !artifacts) fail('usage: node tests/browser/terminal.mjs URL ARTIFACT_DIR');

const t = await openBrowser('terminal', artifacts);
const { page } = t;
await t.step(`open ${url}`, () => page.goto(url));
await t.step('page reaches state "connected"', () => t.waitForState('connected'));
await t.step('the token left the address bar', async () => {
  if (new URL(page.url()).searchParams.has('token')) throw new Error(`the page is at ${page.url()}`);
});
await t.step('type `echo hello` and Enter', async () => {
  await page.locator('#terminal').click();
  await t.typeLine('echo hello');
});
await t.step('a line that is exactly "hello" appears', () => t.waitForLine('hello'));
await t.step('screenshot typed-echo.png', () => t.screenshot('typed-echo.png'));
await t.step('type `exit 3` and Enter', () => t.typeLine('exit 3'));
await t.step('page reaches state "exited"', () => t.waitForState('exited'));
await t.step('the status bar says code 3', async () => {
  const status = (await page.locator('#status').textContent()) ?? '';
  if (!/\bcode 3\b/.test(status)) throw new Error(`status bar says ${JSON.stringify(status)}`);
});
await t.step('screenshot exited.png', () => t.screenshot('exited.png'));
await t.finish();
console.log(`passed: the terminal page at ${url} echoed and exited; screenshots in ${artifacts}`);
