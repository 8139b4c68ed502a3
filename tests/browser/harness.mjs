// The browser side of webterm's browser tests: launches Debian's headless Chromium with playwright-core, runs
// named steps, and on a failure prints what the page showed and saves failure-NAME.png.
//
// playwright-core comes from frontend/node_modules (`npm ci` in frontend/, or any `cargo build`); it never
// downloads a browser. A missing /usr/bin/chromium is a failure: these tests never pass without a browser.

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

/** How long any one step may take unless it says otherwise. */
export const STEP_MS = 10_000;

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Prints `FAIL: message` and exits 1. */
export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

/**
 * Opens a browser for scenario `name`, whose screenshots go to `artifacts`. Returns the helpers the scenarios use.
 * `device` adds Playwright context options, like `{ hasTouch: true, isMobile: true }` for a phone.
 */
export async function openBrowser(name, artifactDir, { viewport = { width: 1000, height: 600 }, device = {} } = {}) {
  if (!existsSync(CHROMIUM)) {
    fail(`${CHROMIUM} is missing; install it (Debian: apt-get install chromium). This test cannot pass without it.`);
  }
  let chromium;
  try {
    ({ chromium } = createRequire(path.join(repo, 'frontend', 'package.json'))('playwright-core'));
  } catch (e) {
    fail(`playwright-core is not installed in frontend/node_modules (run npm ci in frontend/): ${e.message}`);
  }
  const artifacts = path.resolve(artifactDir);
  await mkdir(artifacts, { recursive: true });
  const profile = await mkdtemp(path.join(tmpdir(), 'webterm-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport,
      ...device,
      timeout: 30_000,
    });
  } catch (e) {
    await rm(profile, { recursive: true, force: true });
    fail(`could not launch ${CHROMIUM}: ${e.message}`);
  }
  // Uncaught exceptions and Content-Security-Policy violations fail the test; other console errors and webterm's
  // own warnings are only reported. The same goes for every page (tab) a scenario opens.
  const pageErrors = [];
  const consoleLines = [];
  /** The pages opened after the first one, as `pageHelpers` gives them; a failure reports on each. */
  const otherPages = [];
  const watch = (page, label) => {
    page.setDefaultTimeout(STEP_MS);
    page.on('pageerror', (error) => pageErrors.push(`${label}: ${error}`));
    page.on('console', (message) => {
      const text = message.text();
      if (text.includes('Content Security Policy')) pageErrors.push(`${label}: CSP violation: ${text}`);
      if (message.type() === 'error' || text.startsWith('webterm:')) {
        consoleLines.push(`${label}: console.${message.type()}: ${text}`);
      }
    });
    return pageHelpers(page, label);
  };
  const first = watch(context.pages()[0] ?? (await context.newPage()), 'page 1');
  const { page } = first;

  async function close() {
    await context.close().catch(() => {});
    await rm(profile, { recursive: true, force: true });
  }

  const t = {
    ...first,
    context,
    artifacts,

    /** Opens another tab in the same browser context (same cookies, its own sessionStorage); its helpers. */
    async openPage() {
      const other = watch(await context.newPage(), `page ${otherPages.length + 2}`);
      otherPages.push(other);
      return other;
    },

    /** Runs one step; on failure reports the page's state and exits 1. */
    async step(title, action) {
      try {
        const value = await action();
        console.log(`ok: ${name}: ${title}`);
        return value;
      } catch (error) {
        const failed = `FAIL: ${name}: ${title}: ${error.message.split('\n')[0]}`;
        console.error(failed);
        for (const p of [first, ...otherPages]) {
          const state = await p.page.evaluate(() => document.body.dataset.state).catch(() => '(unknown)');
          const status = await p.page.locator('#status').textContent({ timeout: 1000 }).catch(() => '(unknown)');
          const size = await p.termSize().catch(() => '(unknown)');
          const screen = await p.screenText().catch((e) => `(could not read the buffer: ${e.message})`);
          const file = p === first ? `failure-${name}.png` : `failure-${name}-${p.label.replace(' ', '')}.png`;
          await p.page.screenshot({ path: path.join(artifacts, file) }).catch(() => {});
          if (otherPages.length > 0) console.error(`${p.label}:`);
          console.error(`state: ${state}; status bar: ${JSON.stringify(status)}; terminal: ${JSON.stringify(size)}`);
          console.error(`terminal buffer (last 40 lines):\n----\n${screen.split('\n').slice(-40).join('\n')}\n----`);
        }
        if (pageErrors.length > 0) console.error(`uncaught page errors:\n${pageErrors.join('\n')}`);
        if (consoleLines.length > 0) console.error(`console:\n${consoleLines.join('\n')}`);
        // Again at the end, where a log cut to its last lines still shows it.
        console.error(failed);
        await close();
        process.exit(1);
      }
    },

    /** Saves `file` (a .png name) among the artifacts. */
    screenshot: (file) => page.screenshot({ path: path.join(artifacts, file) }),

    /** Fails if a page threw, then closes the browser. */
    async finish() {
      await t.step('the page threw no uncaught error', async () => {
        if (pageErrors.length > 0) throw new Error(`uncaught page errors: ${pageErrors.join('; ')}`);
      });
      if (consoleLines.length > 0) console.log(`console (not fatal):\n${consoleLines.join('\n')}`);
      await close();
    },
  };
  return t;
}

/**
 * The helpers for one page (tab) showing the terminal page: `page` itself, and what the scenarios read and type.
 * `label` names it in failure reports.
 */
function pageHelpers(page, label) {
  return {
    page,
    label,

    /** What the terminal shows: every line of the active buffer, trailing blanks trimmed. */
    screenText: () =>
      page.evaluate(() => {
        const term = window.webterm?.term;
        if (!term) return '(window.webterm.term is not there)';
        const buffer = term.buffer.active;
        const lines = [];
        for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
        return lines.join('\n').replace(/\n+$/, '');
      }),

    /** The terminal's size: `{ cols, rows }`. */
    termSize: () => page.evaluate(() => ({ cols: window.webterm.term.cols, rows: window.webterm.term.rows })),

    /** Waits until `<body data-state>` is `state`. */
    waitForState: (state, timeout = STEP_MS) =>
      page.waitForFunction((want) => document.body.dataset.state === want, state, { timeout }),

    /** Waits until some line of the buffer, trailing spaces trimmed, is exactly `text`; returns its number. */
    waitForLine: (text, timeout = STEP_MS) =>
      page.waitForFunction(
        (want) => {
          const buffer = window.webterm.term.buffer.active;
          for (let i = buffer.length - 1; i >= 0; i--) {
            if (buffer.getLine(i)?.translateToString(true).trimEnd() === want) return i + 1;
          }
          return false;
        },
        text,
        { timeout, polling: 50 },
      ),

    /** Types `line` and Enter into the terminal. */
    async typeLine(line) {
      await page.keyboard.type(line);
      await page.keyboard.press('Enter');
    },
  };
}

/**
 * Waits until `condition()` (checked in Node; it may return a promise) gives something truthy, and returns it; after
 * `timeout` ms fails with `message`.
 */
export async function waitUntil(condition, timeout, message) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await condition();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Opens the page, waits for the shell, and gives it the keyboard. `p` is the page to use: the first one, or one
 * from `t.openPage()`.
 */
export async function start(t, url, p = t) {
  const which = p === t ? '' : ` in ${p.label}`;
  await t.step(`open ${url}${which}`, () => p.page.goto(url, { timeout: 10_000 }));
  await t.step(`page reaches state "connected"${which}`, () => p.waitForState('connected'));
  await t.step(`the shell is ready${which}`, async () => {
    await p.page.locator('#terminal').click();
    await p.typeLine('echo ready""-now');
    await p.waitForLine('ready-now');
  });
}

/**
 * A slow network for page `p` from its next load on: the WebSocket events named in `events` (`message`, `close`)
 * reach the page a second late, in order, so that what a person types goes before the server's answer.
 */
export function slowNetwork(p, events) {
  return p.page.addInitScript((delayed) => {
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      addEventListener(type, listener, options) {
        if (!delayed.includes(type)) return super.addEventListener(type, listener, options);
        return super.addEventListener(type, (event) => setTimeout(() => listener(event), 1000), options);
      }
    };
  }, events);
}
