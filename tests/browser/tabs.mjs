// Browser scenarios for several tabs on one session, or on sessions of their own: whose window sets the terminal's
// size, which tab is a duplicate, and who types after a reconnect. scenarios.mjs runs them by name;
// tests/it/browser.rs starts each against a server with the options it needs (named in each scenario's comment).

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SENTINEL, expectClipboardStays, grantClipboard, waitForClipboard } from './client.mjs';
import { slowNetwork, start, waitUntil } from './harness.mjs';
import { shellPid, waitForStatus, withProxy } from './sessions.mjs';

/**
 * Default server (shared input). Two tabs of different window sizes on one session: the terminal has the size of the
 * tab that set it last in both, so a line the program draws at its full width is one line in each. A tab that
 * attaches sets it; typing in the other takes it back; a tab's first window-size notification, however late, does not.
 */
async function sharedSize(t, url) {
  // The second tab goes through a proxy, to drop its connection at the end.
  await withProxy(url, async (proxy) => {
    await sharedSizeThrough(t, url, proxy);
  });
}

async function sharedSizeThrough(t, url, proxy) {
  await start(t, url);
  const big = await t.step('the first tab fits its terminal to its window', () => t.termSize());
  const link = new URL(proxy.url);
  link.searchParams.set('session', await t.page.evaluate(() => window.webterm.connector.sessionId));
  const second = await t.openPage();
  // A busy browser may lay the second tab out for the first time only after it has attached and started to follow
  // the first tab: its first window-size notification then comes late, and must not count as a change.
  await holdFirstResizeNotifications(second);
  const small = await t.step('a second tab with a smaller window attaches with its own size', async () => {
    await second.page.setViewportSize({ width: 700, height: 400 });
    await second.page.goto(link.href, { timeout: 10_000 });
    await second.waitForState('connected');
    await second.waitForLine('ready-now');
    const size = await second.termSize();
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
  await t.step("the second tab's late first window-size notification leaves the size as it is", async () => {
    const held = await second.page.evaluate(() => window.releaseResizeNotifications());
    if (held === 0) throw new Error('no window-size notification was held back');
    await second.page.waitForTimeout(300);
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
  await t.step('the second tab, which follows, reconnects after a drop and still follows', async () => {
    proxy.dropAll();
    await second.waitForState('reconnecting');
    await second.waitForState('connected');
    await waitForStatus(second, 'session resumed');
    await t.page.waitForTimeout(500);
    await waitForSize(t, big);
    await waitForSize(second, big);
  });
}

/**
 * Default server. A duplicated tab, which the browser gives a copy of the tab's sessionStorage (and so the id of its
 * session), starts a session of its own; a reload of either tab attaches to its own session again.
 */
async function duplicate(t, url) {
  await start(t, url);
  const first = await t.step('the first tab has a session and a shell', async () => ({
    id: await sessionId(t),
    pid: await shellPid(t, 'first'),
  }));
  const copy = await t.openPage();
  await t.step("duplicate the tab: a new tab gets a copy of the first one's sessionStorage", async () => {
    const storage = await t.page.evaluate(() => Object.fromEntries(Object.entries(sessionStorage)));
    if (!Object.values(storage).includes(first.id)) throw new Error(`sessionStorage holds ${JSON.stringify(storage)}`);
    // Any page of the same origin shares the tab's sessionStorage with the terminal page.
    await copy.page.goto(new URL('healthz', url).href);
    await copy.page.evaluate((entries) => {
      for (const [key, value] of Object.entries(entries)) sessionStorage.setItem(key, value);
    }, storage);
  });
  await start(t, url, copy);
  const second = await t.step('the duplicate has a session and a shell of its own', async () => {
    const id = await sessionId(copy);
    if (id === first.id) throw new Error(`the duplicate attached to the first tab's session ${id}`);
    const pid = await shellPid(copy, 'second');
    if (pid === first.pid) throw new Error(`the duplicate types into the first tab's shell ${pid}`);
    return { id, pid };
  });
  for (const [p, own] of [
    [copy, second],
    [t, first],
  ]) {
    await t.step(`a reload of ${p.label} attaches to its own session and shell again`, async () => {
      await p.page.bringToFront();
      await p.page.reload();
      await p.waitForState('connected');
      await waitForStatus(p, 'connected (session resumed)');
      const id = await sessionId(p);
      if (id !== own.id) throw new Error(`it is on session ${id}, not ${own.id}`);
      await p.page.locator('#terminal').click();
      const pid = await shellPid(p, 'again');
      if (pid !== own.pid) throw new Error(`the shell was ${own.pid} before the reload and is ${pid} after it`);
    });
  }
}

/**
 * Server with the `single` input policy, `websocket.ping_interval_secs = 2` and `ping_timeout_secs = 60`, behind a
 * TCP proxy. The tab that types loses its network without a close: the server keeps the old connection, and its
 * control, until the ping timeout. Once the page has noticed (its heartbeat) and reattached, it can type at once.
 * A line typed into the dead connection before the page noticed runs once it is back, once, before what was typed
 * at the reconnect (`resume_input`).
 */
async function reclaim(t, url) {
  await withProxy(url, async (proxy) => {
    await start(t, proxy.url);
    const pid = await t.step('the tab types and tells the shell pid', async () => {
      await t.page.waitForFunction(() => document.body.dataset.writable === 'true');
      return shellPid(t, 'first');
    });
    await t.step('the network goes silent; the page notices, and a line typed then reattaches and runs', async () => {
      proxy.freezeAll();
      // Into the dead connection: the page does not know yet. (Each answer starts a line of its own: the shell may
      // get both lines at once, and print its prompt before the second answer.)
      await t.typeLine('echo; echo typed""-while-silent');
      await t.waitForState('reconnecting', 10_000);
      // The first key reconnects at once; all of them wait until the server gives this page control back.
      await t.typeLine('echo; echo typed""-at-reconnect');
      await t.waitForState('connected', 5_000);
      await waitForStatus(t, 'session resumed');
      await t.waitForLine('typed-at-reconnect');
      const lines = (await t.screenText()).split('\n').map((line) => line.trimEnd());
      const times = lines.filter((line) => line === 'typed-while-silent').length;
      if (times !== 1) throw new Error(`the line typed into the dead connection ran ${times} times`);
      if (lines.indexOf('typed-while-silent') > lines.indexOf('typed-at-reconnect')) {
        throw new Error('the line typed into the dead connection ran after the one typed later');
      }
    });
    await t.step('it has control again, well before the old connection times out, and types into the same shell', async () => {
      await t.page.waitForFunction(() => document.body.dataset.writable === 'true', undefined, { timeout: 5_000 });
      const again = await shellPid(t, 'again');
      if (again !== pid) throw new Error(`the shell was ${pid} before and is ${again} after`);
    });
  });
}

/**
 * Server as for `reclaim`. The tab that types loses its network, and while it is away (a laptop asleep for minutes)
 * a second tab takes control. When the first comes back, it does not take control back by itself: that is for a
 * stale connection of its own, not for someone who took the keyboard on purpose.
 */
async function reclaimLate(t, url) {
  await backAfterAnotherTookControl(t, url, 10 * 60_000);
}

/**
 * As `reclaimLate`, but the first tab is away for seconds only, so it does ask for control back: the server refuses,
 * since the second tab took control after the first tab's connection had it.
 */
async function reclaimTaken(t, url) {
  await backAfterAnotherTookControl(t, url, 0);
}

/** The first tab loses its network for `awayMs` (its clock jumps so) while a second tab takes control. */
async function backAfterAnotherTookControl(t, url, awayMs) {
  await withProxy(url, async (proxy) => {
    await start(t, proxy.url);
    const link = new URL(url);
    link.searchParams.set('session', await sessionId(t));
    const second = await t.openPage();
    await t.step('a second tab attaches, read-only', async () => {
      await second.page.goto(link.href, { timeout: 10_000 });
      await second.waitForState('connected');
      await second.page.waitForFunction(() => document.body.dataset.writable === 'false');
    });
    await t.step('the first tab is away; meanwhile the second takes control', async () => {
      proxy.freezeAll();
      // The first tab's clock jumps as a laptop's does across a sleep.
      await t.page.evaluate((away) => {
        const now = Date.now;
        Date.now = () => now() + away;
      }, awayMs);
      await second.page.locator('#take-control-button').click();
      await second.page.waitForFunction(() => document.body.dataset.writable === 'true');
    });
    await t.step('the first tab comes back read-only, and the second keeps control', async () => {
      await t.waitForState('reconnecting', 10_000);
      await t.waitForState('connected', 5_000);
      await waitForStatus(t, 'session resumed');
      await t.page.waitForTimeout(1_000);
      if ((await second.page.evaluate(() => document.body.dataset.writable)) !== 'true') {
        throw new Error('the first tab took control back from the second');
      }
      if ((await t.page.evaluate(() => document.body.dataset.writable)) !== 'false') {
        throw new Error('the first tab can type');
      }
    });
  });
}

/**
 * Server in `basic` mode with users ann and root (an admin), both with the password "pw", and `clipboard_osc52`.
 * root opens a link to ann's session: the tab says whose session it is, and nothing root types reaches it until root
 * clicks "Type here" (a link to someone else's session must not collect what an admin types into a fake prompt);
 * nor does ann's program write root's clipboard until then (text put there to be pasted into a root shell).
 */
async function othersSession(t, url) {
  const dir = await mkdtemp(path.join(tmpdir(), 'webterm-others-session-'));
  try {
    await othersSessionIn(t, url, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function othersSessionIn(t, url, dir) {
  await grantClipboard(t, url);
  const as = (user) => {
    const address = new URL(url);
    address.username = user;
    address.password = 'pw';
    return address;
  };
  await start(t, as('ann').href);
  const link = as('root');
  link.searchParams.set('session', await sessionId(t));
  // Another person's browser: ann's login cookie goes (her open connection stays), root signs in with the link.
  await t.context.clearCookies();
  const root = await t.openPage();
  const annSize = await t.termSize();
  await t.step("root's tab says it shows ann's session and offers \"Type here\"", async () => {
    // A smaller window than ann's, which must not shrink her terminal.
    await root.page.setViewportSize({ width: 700, height: 400 });
    await root.page.goto(link.href, { timeout: 10_000 });
    await root.waitForState('connected');
    await root.waitForLine('ready-now');
    await waitForStatus(root, `connected (session resumed) to ann's session: nothing you type is sent until you click "Type here"`);
    if (!(await root.page.locator('#type-here-button').isVisible())) throw new Error('no "Type here" button');
  });
  await t.step("ann's terminal keeps its size, and root's shows it at that size", async () => {
    // (Nobody types here: typing in ann's tab would take the size back for her.)
    await root.page.waitForTimeout(500);
    const mine = await t.termSize();
    const shown = await root.termSize();
    if (mine.cols !== annSize.cols || mine.rows !== annSize.rows || shown.cols !== annSize.cols) {
      throw new Error(`ann ${JSON.stringify(mine)}, root ${JSON.stringify(shown)}, before ${JSON.stringify(annSize)}`);
    }
  });
  await t.step('what root types before that is not sent', async () => {
    await root.page.locator('#terminal').click();
    await root.typeLine('echo typed""-too-soon');
    await root.page.waitForTimeout(500);
    if ((await t.screenText()).includes('typed-too-soon')) throw new Error("root's keys reached ann's shell");
  });
  await t.step('nor what root types at once after reloading the tab, before the page knows whose session it is', async () => {
    await root.page.bringToFront();
    // Whatever the server sends arrives a second late, so the keys go before its `hello`.
    await slowNetwork(root, ['message']);
    await root.page.reload();
    await root.page.locator('#terminal').click();
    await root.typeLine('echo typed""-after-reload');
    await root.waitForState('connected');
    await waitForStatus(root, `to ann's session: nothing you type is sent`);
    await root.page.waitForTimeout(500);
    if ((await t.screenText()).includes('typed-after-reload')) throw new Error("root's keys reached ann's shell");
  });
  await t.step("ann's program writing the clipboard with OSC 52 does not reach root's clipboard", async () => {
    // ann starts it and leaves (her page would take the write: the browser has one clipboard for both tabs); it
    // writes once the test says so, with only root's tab attached.
    const go = path.join(dir, 'go');
    const script = path.join(dir, 'osc.sh');
    await writeFile(
      script,
      `echo osc""-waiting; while [ ! -e ${go} ]; do sleep 0.1; done\n` +
        `printf '\\033]52;c;%s\\007' "$(printf pwned | base64)"; echo osc""-sent\n`,
    );
    await t.page.bringToFront();
    await t.page.locator('#terminal').click();
    await t.typeLine(`sh ${script}`);
    await t.waitForLine('osc-waiting');
    await t.page.goto('about:blank');
    await root.page.bringToFront();
    await root.page.evaluate((value) => navigator.clipboard.writeText(value), SENTINEL);
    await writeFile(go, '');
    await root.waitForLine('osc-sent');
    await expectClipboardStays(root, SENTINEL);
  });
  await t.step('after "Type here", what root types reaches the shell, and its OSC 52 the clipboard', async () => {
    await root.page.locator('#type-here-button').click();
    if (await root.page.locator('#type-here-button').isVisible()) throw new Error('the button is still there');
    await root.typeLine('echo root""-typed');
    await root.waitForLine('root-typed');
    await root.typeLine(`printf '\\033]52;c;%s\\007' "$(printf root""-copied | base64)"`);
    await waitForClipboard(root, 'root-copied');
  });
}

/**
 * Any server; tests/it/browser.rs runs it with `session.linger_secs = 0` and with the default (300). Closing a tab
 * whose session would end with it (no linger) asks first, like ttyd; dismissed, the shell goes on. Where the
 * session lingers, or once its program has exited, the tab closes without a question.
 */
async function leaveAlert(t, url) {
  await start(t, url);
  const linger = await t.step('hello says how long the session lingers', async () => {
    const seconds = await t.page.evaluate(() => window.webterm.connector.currentHello.linger);
    if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`hello's linger is ${seconds}`);
    return seconds;
  });
  const dialogs = [];
  t.page.on('dialog', (dialog) => {
    dialogs.push(dialog.type());
    void dialog.dismiss();
  });
  const closeAsking = () => t.page.close({ runBeforeUnload: true });
  if (linger === 0) {
    await t.step('closing the tab asks first; dismissed, the tab and its shell stay', async () => {
      await closeAsking();
      const deadline = Date.now() + 5_000;
      while (dialogs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (dialogs.join() !== 'beforeunload') throw new Error(`dialogs: ${JSON.stringify(dialogs)}`);
      await t.typeLine('echo still""-here');
      await t.waitForLine('still-here');
    });
    await t.step('once the program has exited, the tab closes without asking', async () => {
      await t.typeLine('exit');
      await t.waitForState('exited');
      await closeAsking();
      await waitUntil(() => t.page.isClosed(), 5_000, 'the tab did not close in 5 s');
      if (dialogs.length !== 1) throw new Error(`dialogs: ${JSON.stringify(dialogs)}`);
    });
  } else {
    await t.step(`the session lingers (${linger} s): the tab closes without asking`, async () => {
      await t.typeLine('echo typed""-here');
      await t.waitForLine('typed-here');
      await closeAsking();
      await waitUntil(() => t.page.isClosed(), 5_000, 'the tab did not close in 5 s');
      if (dialogs.length !== 0) throw new Error(`dialogs: ${JSON.stringify(dialogs)}`);
    });
  }
}

/**
 * Default server. A second tab, on a session of its own, lists both sessions in its "Sessions" panel (its own as
 * "this tab") and, from the other's link, attaches to it: the first tab's screen and shell. "new session" there
 * opens a third tab on a session of its own.
 */
async function sessionList(t, url) {
  await start(t, url);
  await t.step('the first tab types', async () => {
    await t.typeLine('echo first""-tab');
    await t.waitForLine('first-tab');
  });
  const first = await sessionId(t);
  const second = await t.openPage();
  await start(t, url, second);
  const own = await sessionId(second);
  await t.step("the second tab's Sessions panel lists both sessions, its own as this tab's", async () => {
    if (own === first) throw new Error('the second tab is on the first one’s session');
    await second.page.locator('#sessions-button').click();
    await second.page.locator(`#sessions-list li[data-session="${first}"] a`).waitFor();
    const mine = await second.page.locator(`#sessions-list li[data-session="${own}"]`).textContent();
    if (!mine.includes('(this tab)')) throw new Error(`its own session shows as ${JSON.stringify(mine)}`);
    if ((await second.page.locator('#sessions-list li[data-session]').count()) !== 2) {
      throw new Error('not two sessions');
    }
    await second.page.screenshot({ path: path.join(t.artifacts, 'session-list-panel.png') });
  });
  await t.step('"new session" opens a new tab on a session of its own', async () => {
    const opening = t.context.waitForEvent('page');
    await second.page.locator('#sessions-new').click();
    const third = await opening;
    await third.waitForFunction(() => document.body.dataset.state === 'connected');
    const id = await third.evaluate(() => window.webterm.connector.sessionId);
    if (id === first || id === own) throw new Error(`the new tab is on session ${id}, not a new one`);
    await third.close();
  });
  await t.step("the other session's link attaches the second tab to it, screen and shell", async () => {
    await second.page.locator(`#sessions-list li[data-session="${first}"] a`).click();
    await second.waitForState('connected');
    await second.waitForLine('first-tab');
    if ((await sessionId(second)) !== first) throw new Error('the second tab is not on the first session');
    await second.typeLine('echo second""-typed');
    await t.waitForLine('second-typed');
  });
}

/** The scenarios of this file, by the names scenarios.mjs runs them under. */
export const TAB_SCENARIOS = {
  'shared-size': sharedSize,
  duplicate,
  reclaim,
  'reclaim-late': reclaimLate,
  'reclaim-taken': reclaimTaken,
  'others-session': othersSession,
  'leave-alert': leaveAlert,
  'session-list': sessionList,
};

/** The id of the session page `p` is attached to. */
function sessionId(p) {
  return p.page.evaluate(() => window.webterm.connector.sessionId);
}

/**
 * Holds back, in page `p` from its next load on, the first notification of every `ResizeObserver` (the one each
 * gets when it starts to observe) until `window.releaseResizeNotifications()`, which returns how many it held.
 */
function holdFirstResizeNotifications(p) {
  return p.page.addInitScript(() => {
    const Native = window.ResizeObserver;
    const held = [];
    let holding = true;
    window.releaseResizeNotifications = () => {
      holding = false;
      const count = held.length;
      for (const deliver of held.splice(0)) deliver();
      return count;
    };
    window.ResizeObserver = class extends Native {
      constructor(callback) {
        let first = true;
        super((entries, observer) => {
          if (holding && first) held.push(() => callback(entries, observer));
          else callback(entries, observer);
          first = false;
        });
      }
    };
  });
}

/** Waits until the terminal of page `p` is `size`. */
function waitForSize(p, size) {
  return p.page.waitForFunction(
    (want) => window.webterm.term.cols === want.cols && window.webterm.term.rows === want.rows,
    size,
  );
}
