// Browser scenarios for durable sessions: a session outlives its connection, so a dropped network, a reload or a
// second tab attaches to the same shell, and the server sends its screen back. scenarios.mjs runs them by name;
// tests/it/browser.rs starts each against a server with the options it needs (named in each scenario's comment).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { STEP_MS, slowNetwork, start, waitUntil } from './harness.mjs';

/**
 * Default server, behind a TCP proxy. When the connection drops (not an exit), the page counts down, attaches to
 * the same shell again, and shows the screen the server sends back instead of its own. What is typed or pasted
 * meanwhile reconnects at once and reaches the shell; a paste too large to hold is dropped, and the page says so.
 */
async function reconnect(t, url) {
  await withProxy(url, async (proxy) => {
    await t.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(proxy.url).origin });
    await start(t, proxy.url);
    const pid = await t.step('the shell tells its pid', () => shellPid(t, 'first'));
    await t.step('dropping every TCP connection shows "reconnecting" with a countdown', async () => {
      proxy.dropAll();
      await t.waitForState('reconnecting');
      const status = await t.page.locator('#status').textContent();
      if (!/reconnecting in \d+ s/.test(status)) throw new Error(`the status bar says ${JSON.stringify(status)}`);
      await t.waitForLine('[connection lost]');
    });
    await t.step('screenshot waiting.png', () => t.screenshot('waiting.png'));
    await t.step('the page reconnects by itself and says the session was resumed', async () => {
      await t.waitForState('connected', 5_000);
      await waitForStatus(t, 'connected (session resumed)');
    });
    await t.step("the server's screen replaced the page's: the earlier output is there, the local note not", async () => {
      await t.waitForLine(`first-pid=${pid}`);
      await waitForNoLine(t, '[connection lost]');
    });
    await t.step('it is the same shell', async () => {
      const again = await shellPid(t, 'again');
      if (again !== pid) throw new Error(`the shell was ${pid} before the drop and is ${again} after it`);
    });
    await t.step('screenshot reconnected.png', () => t.screenshot('reconnected.png'));
    await t.step('after another drop, typing reconnects at once and no key of it is lost', async () => {
      proxy.dropAll();
      await t.waitForState('reconnecting');
      await t.typeLine('echo typed""-while-waiting');
      await t.waitForLine('typed-while-waiting');
    });
    await t.step('so does text from a phone keyboard or an IME, which comes without a key press', async () => {
      proxy.dropAll();
      await t.waitForState('reconnecting');
      const cdp = await t.context.newCDPSession(t.page);
      await cdp.send('Input.insertText', { text: 'echo from""-a-phone' });
      await t.waitForState('connected', 2_000);
      await t.page.keyboard.press('Enter');
      await t.waitForLine('from-a-phone');
    });
    await t.step('so does a right-click paste, of 1 MiB, kept through a failed attempt: the program reads all of it', async () => {
      const size = 1024 * 1024;
      await t.typeLine(
        `stty raw -echo; printf 'raw-''ready\\r\\n'; head -c ${size} | wc -c; stty sane; echo; echo paste""-done`,
      );
      await t.waitForLine('raw-ready');
      await t.page.evaluate((n) => navigator.clipboard.writeText('y'.repeat(n)), size);
      // The network stays down until the paste's own attempt has failed: the page must not reconnect first.
      proxy.refuse(true);
      proxy.dropAll();
      await t.waitForState('reconnecting');
      const before = proxy.accepted();
      await t.page.locator('#terminal').click({ button: 'right' });
      await waitUntil(() => proxy.accepted() > before, 2_000, 'the paste started no attempt');
      proxy.refuse(false);
      await t.waitForState('connected', 10_000);
      await t.waitForLine(String(size));
      await t.waitForLine('paste-done');
    });
    await t.step('a paste of 5 MiB, more than the page holds, is dropped whole, and the status bar says so', async () => {
      await t.page.evaluate((n) => navigator.clipboard.writeText('y'.repeat(n)), 5 * 1024 * 1024);
      proxy.refuse(true);
      proxy.dropAll();
      await t.waitForState('reconnecting');
      await t.page.locator('#terminal').click({ button: 'right' });
      await waitForStatus(t, '5.0 MiB typed or pasted while disconnected was not sent');
      proxy.refuse(false);
      await t.waitForState('connected', 10_000);
      await waitForStatus(t, '5.0 MiB typed or pasted while disconnected was not sent');
      await t.typeLine('echo after""-the-big-paste');
      await t.waitForLine('after-the-big-paste');
    });
    await t.step('it is still the same shell', async () => {
      const again = await shellPid(t, 'last');
      if (again !== pid) throw new Error(`the shell was ${pid} before the drops and is ${again} after them`);
    });
  });
}

/** Default server, behind a TCP proxy: vim in insert mode survives a dropped connection, screen and all. */
async function vimResume(t, url) {
  const dir = await mkdtemp(path.join(tmpdir(), 'webterm-vim-resume-'));
  const file = path.join(dir, 'note.txt');
  const text = 'typed before the drop ✓';
  const proxy = await startProxy(new URL(url));
  try {
    await start(t, proxy.url);
    await t.step('vim opens on the alternate screen', async () => {
      await t.typeLine(`vim -u DEFAULTS -i NONE ${file}`);
      await t.page.waitForFunction(() => window.webterm.term.buffer.active.type === 'alternate');
    });
    const before = await t.step('type a line in insert mode and go back to normal mode', async () => {
      await t.page.keyboard.press('i');
      await t.page.keyboard.type(text);
      await t.page.keyboard.press('Escape');
      await t.page.waitForFunction(
        (want) => window.webterm.term.buffer.active.getLine(0)?.translateToString(true).trimEnd() === want,
        text,
      );
      return stableScreen(t);
    });
    await t.step('screenshot before.png', () => t.screenshot('before.png'));
    await t.step('dropping every TCP connection leaves the page with its own note on the screen', async () => {
      proxy.dropAll();
      await t.waitForState('reconnecting');
      await t.waitForLine('[connection lost]');
    });
    await t.step('the page reconnects and shows exactly the screen vim had', async () => {
      await t.waitForState('connected', 5_000);
      await waitForScreen(t, before);
    });
    await t.step('screenshot after.png', () => t.screenshot('after.png'));
    await t.step(':wq writes the file and quits to the shell', async () => {
      await t.typeLine(':wq');
      await t.page.waitForFunction(() => window.webterm.term.buffer.active.type === 'normal');
      await t.typeLine(`echo vim""-exited=$?`);
      await t.waitForLine('vim-exited=0');
      const written = await readFile(file, 'utf8');
      if (written !== `${text}\n`) throw new Error(`the file holds ${JSON.stringify(written)}`);
    });
  } finally {
    proxy.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Default server: a reload (F5) attaches to the same shell with its screen; a new tab starts its own shell. */
async function reload(t, url) {
  await start(t, url);
  const pid = await t.step('the shell tells its pid and prints a line', async () => {
    const shell = await shellPid(t, 'first');
    await t.typeLine('echo before""-reload');
    await t.waitForLine('before-reload');
    return shell;
  });
  await t.step('reload the page', () => t.page.reload());
  await t.step('the reloaded page attaches to the session and says so', async () => {
    await t.waitForState('connected');
    await waitForStatus(t, 'connected (session resumed)');
  });
  await t.step('the line printed before the reload is on the screen', () => t.waitForLine('before-reload'));
  await t.step('screenshot reloaded.png', () => t.screenshot('reloaded.png'));
  await t.step('it is the same shell', async () => {
    await t.page.locator('#terminal').click();
    const again = await shellPid(t, 'again');
    if (again !== pid) throw new Error(`the shell was ${pid} before the reload and is ${again} after it`);
  });
  await t.step('keys typed for a session that turns out to be gone do not run in the new one', async () => {
    const page = await t.openPage();
    // The server's answers (the 4404 close included) arrive a second late.
    await slowNetwork(page, ['message', 'close']);
    const gone = new URL(url);
    gone.searchParams.set('session', '00000000000040008000000000000000');
    await page.page.goto(gone.href, { timeout: 10_000 });
    await page.page.locator('#terminal').click();
    await page.typeLine('echo typed""-for-the-gone-session');
    await page.waitForLine('[the previous session has ended; starting a new one]');
    await page.waitForState('connected');
    await page.typeLine('echo new""-shell-ready');
    await page.waitForLine('new-shell-ready');
    const lines = (await page.screenText()).split('\n');
    if (lines.includes('typed-for-the-gone-session')) throw new Error('the keys ran in the new shell');
    await page.page.close();
  });
  await t.step('keys typed at once after a reload, while the page finds its session, reach the shell', async () => {
    await t.page.reload();
    await t.page.locator('#terminal').click();
    await t.typeLine('echo typed""-on-reload');
    await t.waitForLine('typed-on-reload');
  });
  const second = await t.openPage();
  await start(t, url, second);
  await t.step('a new tab on the same address has a shell of its own', async () => {
    const status = await second.page.locator('#status').textContent();
    if (status !== 'connected') throw new Error(`the new tab's status bar says ${JSON.stringify(status)}`);
    const other = await shellPid(second, 'other');
    if (other === pid) throw new Error(`the new tab attached to the first tab's shell ${pid}`);
  });
}

/**
 * Default server: a second tab opened as `?session=ID` attaches to the first tab's session; what either types
 * shows in both, and a reload of the second tab stays on that session.
 */
async function share(t, url) {
  await start(t, url);
  const id = await t.step('the page exposes its session id', async () => {
    const session = await t.page.evaluate(() => window.webterm.connector.sessionId);
    if (typeof session !== 'string' || session === '') throw new Error(`the session id is ${session}`);
    return session;
  });
  const link = new URL(t.page.url());
  link.searchParams.set('session', id);
  const second = await t.openPage();
  await t.step(`open ${link.href} in a second tab`, () => second.page.goto(link.href, { timeout: 10_000 }));
  await t.step('the second tab attaches to the session and shows its screen', async () => {
    await second.waitForState('connected');
    await waitForStatus(second, 'connected (session resumed)');
    await second.waitForLine('ready-now');
    const attached = await second.page.evaluate(() => window.webterm.connector.sessionId);
    if (attached !== id) throw new Error(`the second tab is on session ${attached}, not ${id}`);
    if (new URL(second.page.url()).searchParams.has('session')) {
      throw new Error(`the address bar still names the session: ${second.page.url()}`);
    }
  });
  await t.step('what the first tab types shows in both', async () => {
    await t.page.bringToFront();
    await t.page.locator('#terminal').click();
    await t.typeLine('echo typed""-in-first');
    await t.waitForLine('typed-in-first');
    await second.waitForLine('typed-in-first');
  });
  await t.step('what the second tab types shows in both', async () => {
    await second.page.bringToFront();
    await second.page.locator('#terminal').click();
    await second.typeLine('echo typed""-in-second');
    await second.waitForLine('typed-in-second');
    await t.waitForLine('typed-in-second');
  });
  await t.step('screenshot second-tab.png', () =>
    second.page.screenshot({ path: path.join(t.artifacts, 'share-second-tab.png') }),
  );
  await t.step('a reload of the second tab attaches to the shared session again (it is no duplicate)', async () => {
    await second.page.reload();
    await second.waitForState('connected');
    await waitForStatus(second, 'connected (session resumed)');
    const attached = await second.page.evaluate(() => window.webterm.connector.sessionId);
    if (attached !== id) throw new Error(`the second tab is on session ${attached}, not ${id}`);
  });
}

/**
 * Server with the `single` input policy: a second tab on the session is read-only with a "Take control" button,
 * which moves the keyboard to it (and the button to the first tab).
 */
async function takeControl(t, url) {
  await start(t, url);
  const firstSize = await t.termSize();
  const button = (p) => p.page.locator('#take-control-button');
  await t.step('the first tab types and has no "Take control" button', async () => {
    await t.page.waitForFunction(() => document.body.dataset.writable === 'true');
    if (await button(t).isVisible()) throw new Error('#take-control-button is visible');
  });
  const id = await t.page.evaluate(() => window.webterm.connector.sessionId);
  const link = new URL(t.page.url());
  link.searchParams.set('session', id);
  const second = await t.openPage();
  await t.step('a second tab on the session is read-only and offers "Take control"', async () => {
    // A smaller window than the first tab's: the terminal takes the writer's size.
    await second.page.setViewportSize({ width: 700, height: 400 });
    await second.page.goto(link.href, { timeout: 10_000 });
    await second.waitForState('connected');
    await second.page.waitForFunction(() => document.body.dataset.writable === 'false');
    await button(second).waitFor({ state: 'visible' });
    await waitForStatus(second, 'take control');
  });
  await t.step('screenshot offered.png', () =>
    second.page.screenshot({ path: path.join(t.artifacts, 'take-control-offered.png') }),
  );
  await t.step('"Take control" makes the second tab the writer and the first one read-only', async () => {
    await second.page.bringToFront();
    await button(second).click();
    await second.page.waitForFunction(() => document.body.dataset.writable === 'true');
    await button(second).waitFor({ state: 'hidden' });
    await t.page.waitForFunction(() => document.body.dataset.writable === 'false');
    await button(t).waitFor({ state: 'visible' });
  });
  await t.step('the button gave the terminal the keyboard: what the second tab types shows in both', async () => {
    await second.typeLine('echo typed""-after-taking');
    await second.waitForLine('typed-after-taking');
    await t.waitForLine('typed-after-taking');
  });
  await t.step("the program now sees the second tab's terminal size, and the first tab shows it at that size", async () => {
    const size = await second.termSize();
    if (size.cols === firstSize.cols && size.rows === firstSize.rows) throw new Error('both windows fit one size');
    await second.typeLine('echo size=$(stty size)');
    await second.waitForLine(`size=${size.rows} ${size.cols}`);
    await t.page.waitForFunction(
      (want) => window.webterm.term.cols === want.cols && window.webterm.term.rows === want.rows,
      size,
    );
  });
  await t.step('the first tab takes control back', async () => {
    await t.page.bringToFront();
    await button(t).click();
    await t.page.waitForFunction(() => document.body.dataset.writable === 'true');
    await second.page.waitForFunction(() => document.body.dataset.writable === 'false');
    await t.typeLine('echo typed""-after-taking-back');
    await second.waitForLine('typed-after-taking-back');
    await second.page.waitForFunction(
      (want) => window.webterm.term.cols === want.cols && window.webterm.term.rows === want.rows,
      firstSize,
    );
  });
}

/**
 * Server with `websocket.ping_interval_secs = 2`, behind a TCP proxy. The network goes silent without closing
 * anything (a dead Wi-Fi, a NAT that forgot the connection): the page's heartbeat notices within two heartbeats
 * and reattaches to the same shell.
 */
async function silentNetwork(t, url) {
  await withProxy(url, async (proxy) => {
    await start(t, proxy.url);
    await t.step('hello announces a 2 s heartbeat', () => waitForHeartbeat(t, 2));
    const pid = await t.step('the shell tells its pid', () => shellPid(t, 'first'));
    await t.step('the network goes silent; within two heartbeats the page says "reconnecting"', async () => {
      proxy.freezeAll();
      await t.waitForState('reconnecting', 10_000);
    });
    await t.step('it reattaches to the same shell by itself', async () => {
      await t.waitForState('connected', 5_000);
      await waitForStatus(t, 'connected (session resumed)');
      const again = await shellPid(t, 'again');
      if (again !== pid) throw new Error(`the shell was ${pid} before and is ${again} after`);
    });
  });
}

/**
 * Default server (a 20 s heartbeat), behind a TCP proxy. After a laptop sleep the network is often silent; the
 * page asks at once when it notices a wake-up, instead of waiting for the next heartbeat: when the network comes
 * back (`online`), and when its timers fire far too late (here the page's thread is kept busy for 7 s, which
 * delays them just as a sleep does).
 */
async function wake(t, url) {
  await withProxy(url, async (proxy) => {
    await start(t, proxy.url);
    await t.step('hello announces the default 20 s heartbeat', () => waitForHeartbeat(t, 20));
    const pid = await t.step('the shell tells its pid', () => shellPid(t, 'first'));
    await t.step('a silent network alone goes unnoticed for a while', async () => {
      proxy.freezeAll();
      await t.page.waitForTimeout(2_000);
      const state = await t.page.evaluate(() => document.body.dataset.state);
      if (state !== 'connected') throw new Error(`the page is ${state} already`);
    });
    await t.step('"online" makes the page ask; no answer in 5 s means reconnecting, then connected', async () => {
      await t.page.evaluate(() => window.dispatchEvent(new Event('online')));
      // Well before the next heartbeat could tell (two heartbeats: 40 s).
      await t.waitForState('reconnecting', 10_000);
      await t.waitForState('connected', 5_000);
      await waitForStatus(t, 'connected (session resumed)');
    });
    await t.step('timers that fire 7 s late make the page ask too', async () => {
      proxy.freezeAll();
      await t.page.evaluate(() => {
        const end = Date.now() + 7_000;
        while (Date.now() < end) {
          // The page's thread is busy, as if the machine slept: no timer runs.
        }
      });
      await t.waitForState('reconnecting', 12_000);
      await t.waitForState('connected', 5_000);
    });
    await t.step('it is still the same shell', async () => {
      const again = await shellPid(t, 'again');
      if (again !== pid) throw new Error(`the shell was ${pid} before and is ${again} after`);
    });
  });
}

/**
 * Default server, behind a TCP proxy that refuses connections for a while. The waits before the attempts grow (1, 2,
 * 4, 8 ... 30 s); the page tries at once when the network comes back (`online`) or the tab is shown again, and
 * counts the wait against the clock, not in timer ticks: a tab in the background gets its timers once a minute, a
 * machine that slept none at all.
 */
async function backoff(t, url) {
  await withProxy(url, async (proxy) => {
    await start(t, proxy.url);
    await t.step('with the server out of reach, the wait grows to 8 s', async () => {
      proxy.refuse(true);
      proxy.dropAll();
      await t.waitForState('reconnecting');
      // After attempts 1 s, 2 s and 4 s apart.
      await waitForStatus(t, 'reconnecting in 8 s', 20_000);
    });
    await t.step('"online" makes the page try at once', async () => {
      const before = proxy.accepted();
      await t.page.evaluate(() => window.dispatchEvent(new Event('online')));
      await waitUntil(() => proxy.accepted() > before, 1_000, 'no connection was attempted');
      await waitForStatus(t, 'reconnecting in 16 s');
    });
    await t.step('so does the tab being shown again', async () => {
      const before = proxy.accepted();
      await t.page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      await waitUntil(() => proxy.accepted() > before, 1_000, 'no connection was attempted');
      await waitForStatus(t, 'reconnecting in 30 s');
    });
    await t.step('30 s later by the clock, whatever the timers did meanwhile, the page reattaches', async () => {
      proxy.refuse(false);
      // The clock jumps as it does for a tab whose timers were held back, or across a sleep.
      await t.page.evaluate(() => {
        const now = Date.now;
        Date.now = () => now() + 30_000;
      });
      await t.waitForState('connected', 2_500);
      await waitForStatus(t, 'connected (session resumed)');
    });
    await t.step('once connected, "online" and a shown tab open no connection', async () => {
      const before = proxy.accepted();
      await t.page.evaluate(() => {
        window.dispatchEvent(new Event('online'));
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await t.page.waitForTimeout(1_000);
      if (proxy.accepted() !== before) throw new Error(`${proxy.accepted() - before} connections were opened`);
      if ((await t.page.evaluate(() => document.body.dataset.state)) !== 'connected') throw new Error('it left "connected"');
    });
  });
}

/** Waits until page `p` has its `hello` and the heartbeat in it is `seconds`. */
function waitForHeartbeat(p, seconds) {
  return p.page.waitForFunction((want) => window.webterm.connector.currentHello?.heartbeat === want, seconds);
}

/** The scenarios of this file, by the names scenarios.mjs runs them under. */
export const SESSION_SCENARIOS = {
  'silent-network': silentNetwork,
  wake,
  reconnect,
  backoff,
  'vim-resume': vimResume,
  reload,
  share,
  'take-control': takeControl,
};

/** Types `echo LABEL-pid=$$` into page `p` and returns the pid the shell printed. */
export async function shellPid(p, label) {
  await p.typeLine(`echo ${label}""-pid=$$`);
  const pid = await p.page.waitForFunction(
    (prefix) => {
      const buffer = window.webterm.term.buffer.active;
      for (let i = buffer.length - 1; i >= 0; i--) {
        const line = buffer.getLine(i)?.translateToString(true).trimEnd() ?? '';
        if (line.startsWith(prefix) && /^\d+$/.test(line.slice(prefix.length))) return line.slice(prefix.length);
      }
      return false;
    },
    `${label}-pid=`,
    { polling: 50 },
  );
  return pid.jsonValue();
}

/** Waits until the status bar of page `p` has `text` in it. */
export function waitForStatus(p, text, timeout = STEP_MS) {
  return p.page.waitForFunction((want) => document.getElementById('status').textContent.includes(want), text, {
    timeout,
  });
}

/** Waits until no line of page `p` is exactly `text`. */
function waitForNoLine(p, text) {
  return p.page.waitForFunction(
    (unwanted) => {
      const buffer = window.webterm.term.buffer.active;
      for (let i = 0; i < buffer.length; i++) {
        if (buffer.getLine(i)?.translateToString(true).trimEnd() === unwanted) return false;
      }
      return true;
    },
    text,
    { polling: 50 },
  );
}

/** What page `p` shows: which buffer, the cursor, and every line of the active buffer. */
function screenState(p) {
  return p.page.evaluate(() => {
    const buffer = window.webterm.term.buffer.active;
    const lines = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    return { buffer: buffer.type, cursor: [buffer.cursorX, buffer.cursorY], lines };
  });
}

/** The screen of page `p` once it has stayed the same for 300 ms (a program may still be drawing). */
async function stableScreen(p) {
  let last = await screenState(p);
  for (let tries = 0; tries < 20; tries++) {
    await p.page.waitForTimeout(300);
    const now = await screenState(p);
    if (JSON.stringify(now) === JSON.stringify(last)) return now;
    last = now;
  }
  throw new Error('the screen kept changing for 6 s');
}

/** Waits until page `p` shows exactly `want` (a `screenState`); on timeout, says which lines differ. */
async function waitForScreen(p, want, timeout = 5_000) {
  const deadline = Date.now() + timeout;
  let got;
  while (Date.now() < deadline) {
    got = await screenState(p);
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await p.page.waitForTimeout(50);
  }
  const diff = [];
  if (got.buffer !== want.buffer) diff.push(`buffer: ${got.buffer}, was ${want.buffer}`);
  if (got.cursor.join() !== want.cursor.join()) diff.push(`cursor: ${got.cursor}, was ${want.cursor}`);
  for (let i = 0; i < Math.max(got.lines.length, want.lines.length); i++) {
    if (got.lines[i] !== want.lines[i]) {
      diff.push(`line ${i}: ${JSON.stringify(got.lines[i])}, was ${JSON.stringify(want.lines[i])}`);
    }
  }
  throw new Error(`the screen differs from before: ${diff.join('; ')}`);
}

/** Runs `action(proxy)` with a `startProxy` in front of the server at `url`, and closes the proxy after it. */
export async function withProxy(url, action) {
  const proxy = await startProxy(new URL(url));
  try {
    return await action(proxy);
  } finally {
    proxy.close();
  }
}

/**
 * A TCP proxy in front of the server whose connections the test can cut or silence, or refuse, as a network failure
 * would.
 */
export async function startProxy(target) {
  const sockets = new Set();
  let accepted = 0;
  let refusing = false;
  const server = net.createServer((client) => {
    accepted += 1;
    if (refusing) {
      client.destroy();
      return;
    }
    const upstream = net.connect(Number(target.port), target.hostname);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ]) {
      sockets.add(a);
      a.on('close', () => sockets.delete(a));
      a.on('error', () => b.destroy());
      a.pipe(b);
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxied = new URL(target);
  proxied.port = String(server.address().port);
  return {
    url: proxied.href,
    dropAll() {
      for (const socket of sockets) socket.destroy();
    },
    /** How many connections came in so far, refused ones included. */
    accepted: () => accepted,
    /** From now on closes (`true`) or passes on (`false`) every new connection at once. */
    refuse(on) {
      refusing = on;
    },
    /** Stops passing bytes on the open connections without closing them; new connections still pass. */
    freezeAll() {
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    close() {
      this.dropAll();
      server.close();
    },
  };
}
