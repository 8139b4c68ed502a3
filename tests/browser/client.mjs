// Browser scenarios for the page's own client features: copy and paste, OSC 52, the touch key bar, the read-only
// look, and a new session after the program exits. scenarios.mjs runs them by name; tests/it/browser.rs starts
// each against a server with the options it needs (named in each scenario's comment).

import { start } from './harness.mjs';
import { waitForStatus } from './sessions.mjs';

/** Shell code that prints the line `raw-ready` once `stty raw` has run (raw output needs its own CR). */
const RAW_READY = "printf 'raw-''ready\\r\\n';";

/** What the clipboard holds before a scenario copies anything, so "nothing was copied" can be told apart. */
export const SENTINEL = 'clipboard before the test';

/**
 * Default server. Selecting does not copy; Ctrl+Shift+C copies the selection without typing ^C; Ctrl+Shift+V, a
 * real key press, pastes bracketed; a program's OSC 52 does not reach the clipboard; the key bar stays hidden.
 */
async function copy(t, url) {
  await grantClipboard(t, url);
  await start(t, url);
  await t.step('the key bar is hidden on a desktop (fine pointer)', async () => {
    if (await t.page.evaluate(() => matchMedia('(pointer: coarse)').matches)) throw new Error('the pointer is coarse');
    if (await t.page.locator('#keybar').isVisible()) throw new Error('#keybar is visible');
  });
  await setClipboard(t, SENTINEL);
  await t.step('OSC 52 from a program does not reach the clipboard by default', async () => {
    await t.typeLine(`printf '\\033]52;c;%s\\007' "$(printf hi | base64)"; echo osc""-sent`);
    await t.waitForLine('osc-sent');
    await expectClipboardStays(t, SENTINEL);
  });
  await t.step('selecting text does not copy it by default', async () => {
    await t.typeLine('echo copy""-me-please');
    await selectLine(t, 'copy-me-please');
    await expectClipboardStays(t, SENTINEL);
  });
  await t.step('screenshot selected.png', () => t.screenshot('selected.png'));
  await t.step('Ctrl+Shift+C copies the selection', async () => {
    await t.page.keyboard.press('Control+Shift+C');
    await waitForClipboard(t, 'copy-me-please');
  });
  const text = 'line one\nline "two"';
  const sent = `\x1b[200~${text.replaceAll('\n', '\r')}\x1b[201~`;
  await t.step('a program turns bracketed paste on and reads raw bytes', async () => {
    await t.typeLine(
      `printf '\\033[?2004h'; stty raw -echo; ${RAW_READY} ` +
        `head -c ${sent.length} | cat -vT; stty sane; echo; echo pasted""-done`,
    );
    await t.waitForLine('raw-ready');
    await t.page.waitForFunction(() => window.webterm.term.modes.bracketedPasteMode);
  });
  await t.step('Ctrl+Shift+C types nothing, Ctrl+Shift+V pastes bracketed', async () => {
    // Were Ctrl+Shift+C typed as ^C, the program would read it first and the paste's end would be cut off.
    await t.page.keyboard.press('Control+Shift+C');
    await setClipboard(t, text);
    await t.page.keyboard.press('Control+Shift+V');
    await t.waitForLine('^[[200~line one^Mline "two"^[[201~');
    await t.waitForLine('pasted-done');
  });
}

/** Server with `copy_on_select` and `clipboard_osc52`: a program's OSC 52 and a double-click both copy. */
async function clipboardOptIn(t, url) {
  await grantClipboard(t, url);
  await start(t, url);
  await setClipboard(t, SENTINEL);
  await t.step('OSC 52 from a program writes the clipboard', async () => {
    await t.typeLine(`printf '\\033]52;c;%s\\007' "$(printf 'from osc 52 ✓' | base64)"`);
    await waitForClipboard(t, 'from osc 52 ✓');
  });
  await t.step('an OSC 52 query is not answered with the clipboard', async () => {
    // `cat` shows whatever comes back within half a second (`time 5`), between the brackets.
    await t.typeLine(
      `stty raw -echo min 0 time 5; printf '\\033]52;c;?\\007answer''=['; cat -v; printf ']\\r\\n'; stty sane`,
    );
    await t.waitForLine('answer=[]');
  });
  await t.step('double-clicking a word copies it at once', async () => {
    await t.typeLine('echo copied""-by-selecting and more');
    const row = await bufferRow(t, 'copied-by-selecting and more');
    const { x, y } = await cellCenter(t, 3, row);
    await t.page.mouse.dblclick(x, y);
    await waitForClipboard(t, 'copied-by-selecting');
  });
  await t.step('screenshot selected.png', () => t.screenshot('selected.png'));
}

/** Default server, on a phone: the key bar shows, and its keys and sticky modifiers type the right bytes. */
async function keybar(t, url) {
  await start(t, url);
  const bar = t.page.locator('#keybar');
  await t.step('a touch device has a coarse pointer and shows the key bar', async () => {
    if (!(await t.page.evaluate(() => matchMedia('(pointer: coarse)').matches))) {
      throw new Error('(pointer: coarse) does not match in a hasTouch, isMobile context');
    }
    await bar.waitFor({ state: 'visible' });
  });
  await t.step('screenshot shown.png', () => t.screenshot('shown.png'));
  const key = (name) => bar.locator(`button[data-key="${name}"]`);
  const modifier = (name) => bar.locator(`button[data-modifier="${name}"]`);
  await t.step('tapping Ctrl, then typing c interrupts a program', async () => {
    // Once `sleeping` shows, the program is the terminal's foreground job: ^C reaches it, not the shell.
    await t.typeLine(`sh -c 'echo sleep''ing; exec sleep 100'`);
    await t.waitForLine('sleeping');
    await modifier('ctrl').tap();
    if ((await modifier('ctrl').getAttribute('aria-pressed')) !== 'true') throw new Error('Ctrl does not show pressed');
    await t.page.keyboard.type('c');
    await t.typeLine('echo after""-interrupt');
    // `sleep 100` outlives the step's timeout: the shell answering proves the interrupt.
    await t.waitForLine('after-interrupt');
    if ((await modifier('ctrl').getAttribute('aria-pressed')) !== 'false') throw new Error('Ctrl stayed pressed');
  });
  // Esc, Tab, the four arrows, | and ~, then Ctrl+Left from the bar and Alt+x with x from the keyboard.
  const expected = '^[^I^[[D^[[A^[[B^[[C|~^[[1;5D^[x';
  const bytes = 1 + 1 + 4 * 3 + 1 + 1 + 6 + 2;
  await t.step('a program reads the bar keys in raw mode', async () => {
    await t.typeLine(`stty raw -echo; ${RAW_READY} head -c ${bytes} | cat -vT; stty sane; echo; echo keys""-done`);
    await t.waitForLine('raw-ready');
  });
  await t.step(`tapping the bar types ${expected}`, async () => {
    for (const name of ['Escape', 'Tab', 'ArrowLeft', 'ArrowUp', 'ArrowDown', 'ArrowRight']) await key(name).tap();
    await bar.locator('button[data-text="|"]').tap();
    await bar.locator('button[data-text="~"]').tap();
    await modifier('ctrl').tap();
    await key('ArrowLeft').tap();
    await modifier('alt').tap();
    await t.page.keyboard.type('x');
    await t.waitForLine(expected);
    await t.waitForLine('keys-done');
  });
}

/**
 * Server with `session.writable = false` and `client.clipboard_osc52`, running a program that writes "pwned" to the
 * clipboard with OSC 52, then reports any input line it gets. The clipboard stays as it was: the page does not type,
 * so the program is not its own. A smaller window keeps the session's size (scrolling) and sends no resize. A link
 * with program arguments, which the server refuses, does not just say "reconnecting".
 */
async function readOnly(t, url) {
  const sent = [];
  t.page.on('websocket', (socket) => socket.on('framesent', ({ payload }) => sent.push(payload)));
  await grantClipboard(t, url);
  await t.step(`the clipboard holds ${JSON.stringify(SENTINEL)} before the page opens`, async () => {
    await t.page.goto(new URL('healthz', url).href);
    await t.page.evaluate((value) => navigator.clipboard.writeText(value), SENTINEL);
  });
  await t.step(`open ${url}`, () => t.page.goto(url, { timeout: 10_000 }));
  await t.step('the page is connected and says read-only', async () => {
    await t.waitForState('connected');
    await t.page.waitForFunction(() => document.body.dataset.writable === 'false');
    const status = await t.page.locator('#status').textContent();
    if (!status.includes('read-only')) throw new Error(`the status bar says ${JSON.stringify(status)}`);
    await t.waitForLine('waiting for input');
  });
  await t.step("the program's OSC 52, printed before that line, did not reach the clipboard", () =>
    expectClipboardStays(t, SENTINEL),
  );
  await t.step('the status bar has its own read-only colour', async () => {
    const colour = await t.page.locator('#bar').evaluate((bar) => getComputedStyle(bar).backgroundColor);
    if (colour !== 'rgb(92, 45, 145)') throw new Error(`#bar is ${colour}`);
  });
  await t.step('typed keys do not reach the program', async () => {
    await t.page.locator('#terminal').click();
    await t.typeLine('typed-line');
    await t.page.waitForTimeout(500);
    const screen = await t.screenText();
    if (screen.includes('typed-line') || screen.includes('got:')) throw new Error('the input reached the program');
  });
  await t.step('screenshot shown.png', () => t.screenshot('shown.png'));
  await t.step('a smaller window keeps the terminal at the size of the session and sends no resize', async () => {
    const hello = await t.page.evaluate(() => window.webterm.connector.currentHello);
    await t.page.setViewportSize({ width: 500, height: 300 });
    // The window's new size has reached the page (its resize observers run before the next frame is drawn)...
    await t.page.waitForFunction(() => window.innerWidth === 500);
    await t.page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const size = await t.page.evaluate(() => ({ cols: window.webterm.term.cols, rows: window.webterm.term.rows }));
    if (size.cols !== hello.cols || size.rows !== hello.rows) {
      throw new Error(`the terminal is ${size.cols} x ${size.rows}, the session ${hello.cols} x ${hello.rows}`);
    }
    // ... and well past the wait before a resize is sent (50 ms).
    await t.page.waitForTimeout(500);
    const resizes = sent.filter((payload) => typeof payload === 'string' && payload.includes('"resize"'));
    if (resizes.length > 0) throw new Error(`the page sent ${resizes.join(', ')}`);
  });
  await t.step('a link with program arguments, which the server refuses here, says they may be why it fails', async () => {
    // The server answers the upgrade 400 (or 403 for a read-only client), which the page cannot see.
    const link = new URL(url);
    link.searchParams.append('arg', '-c');
    link.searchParams.append('arg', 'echo from""-the-link');
    // A new tab: a reload would attach to its session, and an attach leaves the arguments out.
    const other = await t.openPage();
    other.page.once('dialog', (dialog) => dialog.accept());
    await other.page.goto(link.href, { timeout: 10_000 });
    await waitForStatus(other, 'the server may be refusing the program arguments in the address (?arg=)');
  });
}

/**
 * Server whose program is `/nonexistent`. The page shows the server's reason, and does not try again by itself (each
 * try would fail the same way, and the server would log an error each time); Enter tries again.
 */
async function startFailed(t, url) {
  const sockets = [];
  t.page.on('websocket', (socket) => sockets.push(socket.url()));
  await t.step(`open ${url}`, () => t.page.goto(url, { timeout: 10_000 }));
  await t.step("the status bar shows the server's reason and says Enter tries again", async () => {
    await t.waitForState('disconnected');
    await waitForStatus(t, 'could not start `/nonexistent`');
    await waitForStatus(t, 'Press Enter to try again');
  });
  await t.step('it does not try again by itself', async () => {
    // Were it to, it would have after 1 s, and again 2 s later.
    await t.page.waitForTimeout(3_500);
    if (sockets.length !== 1) throw new Error(`${sockets.length} sockets were opened`);
    const state = await t.page.evaluate(() => document.body.dataset.state);
    if (state !== 'disconnected') throw new Error(`the page is ${state}`);
  });
  await t.step('Enter tries again, once', async () => {
    await t.page.locator('#terminal').click();
    const opened = t.page.waitForEvent('websocket');
    await t.page.keyboard.press('Enter');
    await opened;
    await t.waitForState('disconnected');
    await waitForStatus(t, 'could not start `/nonexistent`');
    await t.page.waitForTimeout(1_500);
    if (sockets.length !== 2) throw new Error(`${sockets.length} sockets were opened`);
  });
}

/** Default server: after the program exits only Enter starts a new session, with fresh terminal modes. */
async function newSession(t, url) {
  await start(t, url);
  await t.step('the program exits with bracketed paste left on', async () => {
    await t.typeLine(`printf '\\033[?2004h'; exit 7`);
    await t.waitForState('exited');
    await t.waitForLine('[process exited with code 7; press Enter for a new session]');
    const status = await t.page.locator('#status').textContent();
    if (!status.includes('exited with code 7')) throw new Error(`the status bar says ${JSON.stringify(status)}`);
  });
  await t.step('other keys do not start a session', async () => {
    await t.page.keyboard.type('x');
    await t.page.waitForTimeout(300);
    if ((await t.page.evaluate(() => document.body.dataset.state)) !== 'exited') throw new Error('it left "exited"');
  });
  await t.step('Enter starts a new shell, with bracketed paste off again', async () => {
    await t.page.keyboard.press('Enter');
    await t.waitForState('connected');
    await t.typeLine('echo new""-session');
    await t.waitForLine('new-session');
    if (await t.page.evaluate(() => window.webterm.term.modes.bracketedPasteMode)) {
      throw new Error('bracketed paste mode survived into the new session');
    }
  });
  await t.step('screenshot started.png', () => t.screenshot('started.png'));
}

/** Default server: a SIXEL image a program prints is drawn in the terminal, pixels and all. */
async function images(t, url) {
  await start(t, url);
  await t.step('nothing red on the screen before', async () => {
    const red = await redPixels(t);
    if (red !== 0) throw new Error(`${red} red pixels before any image`);
  });
  await t.step('a program prints a 60 x 60 red SIXEL image', async () => {
    // `"1;1;60;60`: square pixels, 60 x 60; `#1;2;100;0;0`: colour 1 is pure red; each `#1!60~-` paints a band of
    // 60 columns by 6 rows (`~` sets all six) in colour 1 and goes to the next band.
    await t.typeLine(
      `printf '\\033Pq"1;1;60;60#1;2;100;0;0'; i=0; while [ $i -lt 10 ]; do printf '#1!60~-'; i=$((i+1)); done; ` +
        `printf '\\033\\\\'; echo; echo image""-shown`,
    );
    await t.waitForLine('image-shown');
  });
  await t.step('its pixels are on the screen', async () => {
    // The image's edges may blend with the cells around it when scaled; its inside is pure red.
    const want = 50 * 50;
    const deadline = Date.now() + 5_000;
    let red = 0;
    while (Date.now() < deadline && red < want) {
      red = await redPixels(t);
      if (red < want) await t.page.waitForTimeout(100);
    }
    if (red < want) throw new Error(`${red} red pixels, want at least ${want}`);
  });
  await t.step('screenshot shown.png', () => t.screenshot('shown.png'));
}

/**
 * Server with `session.allow_url_args`, running `sh`: a link with `?arg=` asks before it runs anything; refused, the
 * program starts without the arguments; accepted, with them.
 */
async function urlArgs(t, url) {
  const link = new URL(url);
  link.searchParams.append('arg', '-c');
  link.searchParams.append('arg', 'echo from""-the-link; exec sh');
  // The question the page asks, answered with `answer`; fails if none comes within the page's default timeout.
  const asked = (p, answer) =>
    p.page.waitForEvent('dialog').then(async (dialog) => {
      const message = dialog.message();
      await (answer ? dialog.accept() : dialog.dismiss());
      return message;
    });
  await t.step('opening the link asks first, showing the arguments', async () => {
    const question = asked(t, false);
    await t.page.goto(link.href, { timeout: 10_000 });
    const message = await question;
    if (!message.includes('"-c" "echo from\\"\\"-the-link; exec sh"')) throw new Error(`it asked ${JSON.stringify(message)}`);
  });
  await t.step('refused, the program starts without them, and the address no longer has them', async () => {
    await t.waitForState('connected');
    await t.page.locator('#terminal').click();
    await t.typeLine('echo plain""-shell');
    await t.waitForLine('plain-shell');
    if ((await t.screenText()).includes('from-the-link')) throw new Error('the arguments were used');
    if (new URL(t.page.url()).searchParams.has('arg')) throw new Error(`the address is ${t.page.url()}`);
  });
  await t.step('a link that also names a session (gone, or made up) still asks before a new one starts', async () => {
    const withSession = new URL(link.href);
    withSession.searchParams.set('session', '00000000000040008000000000000000');
    const question = asked(t, false);
    await t.page.goto(withSession.href, { timeout: 10_000 });
    await question;
    await t.waitForState('connected');
    await t.page.locator('#terminal').click();
    await t.typeLine('echo plain""-again');
    await t.waitForLine('plain-again');
    if ((await t.screenText()).includes('from-the-link')) throw new Error('the arguments were used');
  });
  const second = await t.openPage();
  await t.step('accepted, the program runs with them', async () => {
    const question = asked(second, true);
    await second.page.goto(link.href, { timeout: 10_000 });
    await question;
    await second.waitForLine('from-the-link');
  });
}

/** The scenarios of this file, by the names scenarios.mjs runs them under. */
/**
 * Server with `[client]` font_size = 21, cursor_style = "bar", scrollback = 1234 and theme.background = "#102030"
 * (tests/it/browser.rs). The page sets its terminal up with them.
 */
async function serverOptions(t, url) {
  await start(t, url);
  await t.step("the terminal takes the server's font size, cursor, scrollback and background", async () => {
    const options = await t.page.evaluate(() => {
      const { fontSize, cursorStyle, scrollback, theme } = window.webterm.term.options;
      return { fontSize, cursorStyle, scrollback, background: theme?.background };
    });
    const want = { fontSize: 21, cursorStyle: 'bar', scrollback: 1234, background: '#102030' };
    if (JSON.stringify(options) !== JSON.stringify(want)) {
      throw new Error(`the terminal has ${JSON.stringify(options)}, not ${JSON.stringify(want)}`);
    }
  });
}

export const CLIENT_SCENARIOS = {
  'server-options': serverOptions,
  copy,
  'clipboard-opt-in': clipboardOptIn,
  keybar,
  'read-only': readOnly,
  'new-session': newSession,
  'start-failed': startFailed,
  images,
  'url-args': urlArgs,
};

/** Context options per scenario: the key bar needs a phone (touch, coarse pointer). */
export const DEVICES = { keybar: { hasTouch: true, isMobile: true } };

/** Lets the pages of `url`'s origin read and write the clipboard. */
export function grantClipboard(t, url) {
  return t.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
}

function setClipboard(t, text) {
  return t.step(`the clipboard holds ${JSON.stringify(text)}`, () =>
    t.page.evaluate((value) => navigator.clipboard.writeText(value), text),
  );
}

const readClipboard = (t) => t.page.evaluate(() => navigator.clipboard.readText());

/** Waits until the clipboard holds `want`; `t` may be any page's helpers. */
export async function waitForClipboard(t, want, timeout = 5_000) {
  const deadline = Date.now() + timeout;
  let got;
  while (Date.now() < deadline) {
    got = await readClipboard(t);
    if (got === want) return;
    await t.page.waitForTimeout(50);
  }
  throw new Error(`the clipboard holds ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
}

/**
 * Fails if the clipboard changes from `want` within half a second (clipboard writes are asynchronous); `t` may be
 * any page's helpers.
 */
export async function expectClipboardStays(t, want) {
  await t.page.waitForTimeout(500);
  const got = await readClipboard(t);
  if (got !== want) throw new Error(`the clipboard changed to ${JSON.stringify(got)}`);
}

/** How many pixels of a screenshot of the terminal are pure red (decoded in the page, which has a PNG decoder). */
async function redPixels(t) {
  const png = await t.page.locator('#terminal').screenshot();
  return t.page.evaluate(async (base64) => {
    const image = new Image();
    image.src = `data:image/png;base64,${base64}`;
    await image.decode();
    const canvas = document.createElement('canvas');
    canvas.width = image.width;
    canvas.height = image.height;
    const context = canvas.getContext('2d');
    context.drawImage(image, 0, 0);
    const { data } = context.getImageData(0, 0, image.width, image.height);
    let red = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 240 && data[i + 1] < 16 && data[i + 2] < 16) red++;
    return red;
  }, png.toString('base64'));
}

/** The buffer row of the last line that is exactly `text`. */
async function bufferRow(t, text) {
  await t.waitForLine(text);
  return t.page.evaluate((want) => {
    const buffer = window.webterm.term.buffer.active;
    for (let i = buffer.length - 1; i >= 0; i--) {
      if (buffer.getLine(i)?.translateToString(true).trimEnd() === want) return i;
    }
    return -1;
  }, text);
}

/** Selects the last line that is exactly `text`, as the API that a mouse selection ends in. */
async function selectLine(t, text) {
  const row = await bufferRow(t, text);
  await t.page.evaluate(([r, length]) => window.webterm.term.select(0, r, length), [row, text.length]);
  if ((await t.page.evaluate(() => window.webterm.term.getSelection())) !== text) throw new Error('nothing selected');
}

/** Page coordinates of the middle of cell (`col`, buffer row `row`), which must be on screen. */
function cellCenter(t, col, row) {
  return t.page.evaluate(
    ([c, r]) => {
      const term = window.webterm.term;
      const screen = term.element.querySelector('.xterm-screen').getBoundingClientRect();
      const width = screen.width / term.cols;
      const height = screen.height / term.rows;
      const visible = r - term.buffer.active.viewportY;
      return { x: screen.left + (c + 0.5) * width, y: screen.top + (visible + 0.5) * height };
    },
    [col, row],
  );
}
