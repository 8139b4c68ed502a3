// Drives the terminal page in a real headless Chromium, as a person would: type a command, read the screen.
//
//     node tests/browser/terminal.mjs URL ARTIFACT_DIR
//
// URL is the terminal page of a running webterm, as its `listening on` line prints it: with the token,
// http://127.0.0.1:PORT/?token=TOKEN (or http://127.0.0.1:PORT/ under --no-auth). Screenshots go to ARTIFACT_DIR
// (typed-echo.png, exited.png, and failure.png when a step fails). Exits 0 on success, 1 on any failure, including
// a missing /usr/bin/chromium: this test never passes without a browser. playwright-core comes from
// frontend/node_modules (`npm ci` in frontend/, or any `cargo build`); it never downloads a browser.

import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** How long any one step may take. */
const STEP_MS = 10_000;

const [url, artifactArg] = process.argv.slice(2);
if (!url || !artifactArg) {
  console.error('usage: node tests/browser/terminal.mjs URL ARTIFACT_DIR');
  process.exit(2);
}
const artifacts = path.resolve(artifactArg);

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const requireFromFrontend = createRequire(path.join(repo, 'frontend', 'package.json'));

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

if (!existsSync(CHROMIUM)) {
  fail(`${CHROMIUM} is missing; install it (Debian: apt-get install chromium). This test cannot pass without it.`);
}
let chromium;
try {
  ({ chromium } = requireFromFrontend('playwright-core'));
} catch (e) {
  fail(`playwright-core is not installed in frontend/node_modules (run npm ci in frontend/): ${e.message}`);
}

await mkdir(artifacts, { recursive: true });
const profile = await mkdtemp(path.join(tmpdir(), 'webterm-chromium-'));
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 600 },
    timeout: 30_000,
  });
} catch (e) {
  await rm(profile, { recursive: true, force: true });
  fail(`could not launch ${CHROMIUM}: ${e.message}`);
}
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(STEP_MS);
// Uncaught exceptions and Content-Security-Policy violations fail the test; other console errors and webterm's
// own warnings are only reported.
const pageErrors = [];
const consoleLines = [];
page.on('pageerror', (error) => pageErrors.push(String(error)));
page.on('console', (message) => {
  const text = message.text();
  if (text.includes('Content Security Policy')) pageErrors.push(`CSP violation: ${text}`);
  if (message.type() === 'error' || text.startsWith('webterm:')) {
    consoleLines.push(`console.${message.type()}: ${text}`);
  }
});

/** What the terminal shows: every line of the active buffer, trailing blanks trimmed. */
async function screenText() {
  return page.evaluate(() => {
    const term = window.webterm?.term;
    if (!term) return '(window.webterm.term is not there)';
    const buffer = term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return lines.join('\n').replace(/\n+$/, '');
  });
}

async function waitForState(state) {
  await page.waitForFunction((want) => document.body.dataset.state === want, state, { timeout: STEP_MS });
}

async function step(name, action) {
  try {
    await action();
    console.log(`ok: ${name}`);
  } catch (error) {
    const state = await page.evaluate(() => document.body.dataset.state).catch(() => '(unknown)');
    const status = await page.locator('#status').textContent({ timeout: 1000 }).catch(() => '(unknown)');
    const screen = await screenText().catch((e) => `(could not read the buffer: ${e.message})`);
    await page.screenshot({ path: path.join(artifacts, 'failure.png') }).catch(() => {});
    console.error(`FAIL: ${name}: ${error.message.split('\n')[0]}`);
    console.error(`state: ${state}; status bar: ${JSON.stringify(status)}`);
    console.error(`terminal buffer:\n----\n${screen}\n----`);
    if (pageErrors.length > 0) console.error(`uncaught page errors:\n${pageErrors.join('\n')}`);
    if (consoleLines.length > 0) console.error(`console:\n${consoleLines.join('\n')}`);
    await context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
    process.exit(1);
  }
}

await step(`open ${url}`, () => page.goto(url, { timeout: STEP_MS }));
await step('page reaches state "connected"', () => waitForState('connected'));
await step('type `echo hello` and Enter', async () => {
  await page.locator('#terminal').click();
  await page.keyboard.type('echo hello');
  await page.keyboard.press('Enter');
});
await step('the token left the address bar', async () => {
  if (new URL(page.url()).searchParams.has('token')) throw new Error(`the page is at ${page.url()}`);
});
await step('a line that is exactly "hello" appears', () =>
  page.waitForFunction(
    () => {
      const buffer = window.webterm.term.buffer.active;
      for (let i = 0; i < buffer.length; i++) {
        if (buffer.getLine(i)?.translateToString(true) === 'hello') return true;
      }
      return false;
    },
    undefined,
    { timeout: STEP_MS },
  ),
);
await step('screenshot typed-echo.png', () => page.screenshot({ path: path.join(artifacts, 'typed-echo.png') }));
await step('type `exit 3` and Enter', async () => {
  await page.keyboard.type('exit 3');
  await page.keyboard.press('Enter');
});
await step('page reaches state "exited"', () => waitForState('exited'));
await step('the status bar says code 3', async () => {
  const status = (await page.locator('#status').textContent()) ?? '';
  if (!/\bcode 3\b/.test(status)) throw new Error(`status bar says ${JSON.stringify(status)}`);
});
await step('screenshot exited.png', () => page.screenshot({ path: path.join(artifacts, 'exited.png') }));
await step('the page threw no uncaught error and broke no Content-Security-Policy rule', async () => {
  if (pageErrors.length > 0) throw new Error(`uncaught page errors: ${pageErrors.join('; ')}`);
});

await context.close();
await rm(profile, { recursive: true, force: true });
if (consoleLines.length > 0) console.log(`console (not fatal):\n${consoleLines.join('\n')}`);
console.log(`passed: the terminal page at ${url} echoed and exited; screenshots in ${artifacts}`);
