// Browser scenarios for who may type: which tab takes control back by itself after a dead network or a reload
// under the `single` input policy, and what a read-only page does with the keys typed into it. scenarios.mjs runs
// them by name; tests/it/browser.rs starts each against a server with the options it needs (named in each
// scenario's comment).
// The first scenarios of taking control back (`reclaim`, `reclaim-late`) are in tabs.mjs.

import { start } from './harness.mjs';
import { shellPid, startProxy, waitForStatus, withProxy } from './sessions.mjs';

/** What the status bar says while another connection has the keyboard and this page may take it. */
const OFFERED = 'another client is typing: take control to type here';

/**
 * Server as for `reclaim` (the `single` policy, a 2 s heartbeat, a 60 s ping timeout), each tab behind a TCP proxy
 * of its own. A tab takes control back by itself after a dead network only if it had control when its connection
 * dropped, and only in view: a read-only tab comes back read-only, and so does a tab with control in the background.
 * That one then neither sends nor keeps what is typed into it until "Take control", which hides once it has control.
 */
async function noReclaim(t, url) {
  const firstProxy = await startProxy(new URL(url));
  const secondProxy = await startProxy(new URL(url));
  try {
    await noReclaimThrough(t, firstProxy, secondProxy);
  } finally {
    firstProxy.close();
    secondProxy.close();
  }
}

async function noReclaimThrough(t, firstProxy, secondProxy) {
  const sent = binaryFramesSent(t);
  await start(t, firstProxy.url);
  const link = new URL(secondProxy.url);
  link.searchParams.set('session', await t.page.evaluate(() => window.webterm.connector.sessionId));
  const second = await t.openPage();
  await t.step('a second tab attaches read-only and offers "Take control"', async () => {
    await second.page.goto(link.href, { timeout: 10_000 });
    await second.waitForState('connected');
    await waitForStatus(second, OFFERED);
    await expectWritable(second, false);
    await second.page.locator('#take-control-button').waitFor({ state: 'visible' });
  });
  await t.step('the read-only tab, in view, loses its network and comes back read-only; the first keeps control', async () => {
    await expectVisibility(second, 'visible');
    secondProxy.freezeAll();
    await second.waitForState('reconnecting', 10_000);
    await second.waitForState('connected', 5_000);
    await waitForStatus(second, 'session resumed');
    // Had it asked for control, the server's answer would be back well within this.
    await second.page.waitForTimeout(1_000);
    await expectWritable(second, false);
    await waitForStatus(second, OFFERED);
    await expectWritable(t, true);
    await t.typeLine('echo first""-still-types');
    await t.waitForLine('first-still-types');
  });
  await t.step('the first tab, with control, loses its network in the background and comes back read-only', async () => {
    await setVisibility(t, 'hidden');
    firstProxy.freezeAll();
    await t.waitForState('reconnecting', 10_000);
    await t.waitForState('connected', 5_000);
    await waitForStatus(t, 'session resumed');
    await t.page.waitForTimeout(1_000);
    await expectWritable(t, false);
    // Its old connection keeps control at the server until the ping timeout, a minute away.
    await waitForStatus(t, OFFERED);
    await t.page.locator('#take-control-button').waitFor({ state: 'visible' });
  });
  await t.step('shown again, it stays read-only: a line typed there is not sent', async () => {
    await setVisibility(t, 'visible');
    const before = sent.length;
    await t.page.locator('#terminal').click();
    await t.typeLine('echo typed""-while-read-only');
    await t.page.waitForTimeout(500);
    if (sent.length !== before) throw new Error(`the page sent ${sent.length - before} input frames`);
    await waitForStatus(t, OFFERED);
  });
  await t.step('"Take control" hides once the tab has control; what is typed then runs, the line before never', async () => {
    await t.page.locator('#take-control-button').click();
    await t.page.waitForFunction(() => document.body.dataset.writable === 'true');
    await t.page.locator('#take-control-button').waitFor({ state: 'hidden' });
    await t.typeLine('echo after""-taking-control');
    await t.waitForLine('after-taking-control');
    if ((await t.screenText()).split('\n').includes('typed-while-read-only')) {
      throw new Error('the line typed while read-only ran once the tab had control');
    }
  });
}

/**
 * Server in `basic` mode with users ann and root (an admin), both with the password "pw", and the `single` policy,
 * a 2 s heartbeat and a 60 s ping timeout; root's tab is behind a TCP proxy. root watches ann's session; when ann
 * leaves, root's tab gets control by default but holds what is typed until "Type here". After a dead network it does
 * not take control back by itself: nobody chose to type there. Once root has taken control, it does.
 */
async function reclaimOthersSession(t, url) {
  await withProxy(url, async (proxy) => {
    await reclaimOthersSessionThrough(t, url, proxy);
  });
}

async function reclaimOthersSessionThrough(t, url, proxy) {
  const as = (address, user) => {
    const signed = new URL(address);
    signed.username = user;
    signed.password = 'pw';
    return signed;
  };
  await start(t, as(url, 'ann').href);
  const link = as(proxy.url, 'root');
  link.searchParams.set('session', await t.page.evaluate(() => window.webterm.connector.sessionId));
  // Another person's browser: ann's login cookie goes (her open connection stays), root signs in with the link.
  await t.context.clearCookies();
  const root = await t.openPage();
  const takeControl = root.page.locator('#take-control-button');
  const typeHere = root.page.locator('#type-here-button');
  await t.step("root's tab on ann's session is read-only and offers \"Take control\"", async () => {
    await root.page.goto(link.href, { timeout: 10_000 });
    await root.waitForState('connected');
    await waitForStatus(root, `to ann's session, ${OFFERED}`);
    await takeControl.waitFor({ state: 'visible' });
  });
  await t.step('ann leaves: root\'s tab gets control, and holds what is typed until "Type here"', async () => {
    await t.page.goto('about:blank');
    await waitForStatus(root, `to ann's session: nothing you type is sent until you click "Type here"`);
    await typeHere.waitFor({ state: 'visible' });
    await takeControl.waitFor({ state: 'hidden' });
  });
  await t.step("root's tab loses its network and comes back without taking control", async () => {
    await expectVisibility(root, 'visible');
    proxy.freezeAll();
    await root.waitForState('reconnecting', 10_000);
    await root.waitForState('connected', 5_000);
    await waitForStatus(root, 'session resumed');
    // Had it asked for control, the server's answer would be back well within this.
    await root.page.waitForTimeout(1_000);
    if (await typeHere.isVisible()) throw new Error('"Type here" is offered: the tab took control');
    await waitForStatus(root, OFFERED);
    await takeControl.waitFor({ state: 'visible' });
  });
  await t.step('root takes control and types', async () => {
    await takeControl.click();
    await root.page.waitForFunction(() => document.body.dataset.writable === 'true');
    await root.page.locator('#terminal').click();
    await root.typeLine('echo root""-typed');
    await root.waitForLine('root-typed');
  });
  await t.step('now a dead network does not cost root the keyboard: a line typed at the reconnect runs', async () => {
    proxy.freezeAll();
    await root.waitForState('reconnecting', 10_000);
    await root.typeLine('echo typed""-at-reconnect');
    await root.waitForState('connected', 5_000);
    await root.waitForLine('typed-at-reconnect');
    await root.page.waitForFunction(() => document.body.dataset.writable === 'true', undefined, { timeout: 5_000 });
  });
}

/**
 * Server in `token` mode with a read token, and the `single` policy; the address carries the read token. Its
 * page runs a session of its own that it may only watch: read-only, with no "Take control" to offer, and what is
 * typed into it goes nowhere: not sent (the server would answer with an error), and not shown.
 */
async function readToken(t, url) {
  const sent = binaryFramesSent(t);
  const errors = [];
  t.page.on('websocket', (socket) =>
    socket.on('framereceived', ({ payload }) => {
      if (typeof payload === 'string' && payload.includes('"error"')) errors.push(payload);
    }),
  );
  await t.step(`open ${url}`, () => t.page.goto(url, { timeout: 10_000 }));
  await t.step('the page is connected, read-only', async () => {
    await t.waitForState('connected');
    await expectWritable(t, false);
  });
  await t.step('it offers no "Take control" (the read token may not type), and says read-only', async () => {
    // "connected" shows with the answer to `hello`, and so would the button.
    if (await t.page.locator('#take-control-button').isVisible()) throw new Error('"Take control" is offered');
    await waitForStatus(t, 'connected, read-only: your input is not sent');
  });
  await t.step('a line typed into it is neither sent nor shown, and no error comes back', async () => {
    await t.page.locator('#terminal').click();
    await t.typeLine('echo typed""-read-only');
    await t.page.waitForTimeout(500);
    if (sent.length > 0) throw new Error(`the page sent ${sent.length} input frames`);
    if (errors.length > 0) throw new Error(`the server answered ${errors.join(', ')}`);
    if ((await t.screenText()).includes('typed')) throw new Error('the typed line shows');
  });
}

/**
 * Server as for `reclaim` but without HTTP keep-alive (the proxy silences every open connection, and a reload must
 * not wait on an idle one), the first tab behind a TCP proxy, a second tab on the same session. The tab that types
 * is reloaded (F5): the second tab gets control as the first's connection closes, and the reloaded page takes it
 * back. Then its network goes silent and it is reloaded before it notices: the server still counts the old
 * connection as the one that types (until its ping timeout, a minute away), and the reloaded page takes control
 * back from it at once. Each time the second tab is left read-only and a line typed in the first runs in its shell.
 */
async function reloadReclaim(t, url) {
  await withProxy(url, async (proxy) => {
    await reloadReclaimThrough(t, url, proxy);
  });
}

async function reloadReclaimThrough(t, url, proxy) {
  await start(t, proxy.url);
  const pid = await t.step('the first tab types and tells the shell pid', async () => {
    await t.page.waitForFunction(() => document.body.dataset.writable === 'true');
    return shellPid(t, 'first');
  });
  const link = new URL(url);
  link.searchParams.set('session', await t.page.evaluate(() => window.webterm.connector.sessionId));
  const second = await t.openPage();
  await t.step('a second tab attaches read-only', async () => {
    await second.page.goto(link.href, { timeout: 10_000 });
    await second.waitForState('connected');
    await waitForStatus(second, OFFERED);
  });
  const reloaded = async (label) => {
    await t.page.bringToFront();
    await t.page.reload();
    await t.waitForState('connected', 10_000);
    await waitForStatus(t, 'session resumed');
    await t.page.waitForFunction(() => document.body.dataset.writable === 'true', undefined, { timeout: 5_000 });
    await waitForStatus(second, OFFERED);
    await expectWritable(second, false);
    await t.page.locator('#terminal').click();
    const again = await shellPid(t, label);
    if (again !== pid) throw new Error(`the shell was ${pid} before the reload and is ${again} after it`);
  };
  await t.step('reloaded, the first tab has control again and types into its shell; the second is read-only', () =>
    reloaded('reloaded'),
  );
  const step = 'reloaded on a dead network, before it noticed, it takes control back from its old connection';
  await t.step(step, async () => {
    proxy.freezeAll();
    await reloaded('after-dead-network');
  });
}

/** The scenarios of this file, by the names scenarios.mjs runs them under. */
export const CONTROL_SCENARIOS = {
  'no-reclaim': noReclaim,
  'reclaim-others-session': reclaimOthersSession,
  'read-token': readToken,
  'reload-reclaim': reloadReclaim,
};

/** The binary frames (input: typed keys, pastes) page `p` sends from now on, on any of its connections. */
function binaryFramesSent(p) {
  const frames = [];
  p.page.on('websocket', (socket) =>
    socket.on('framesent', ({ payload }) => {
      if (typeof payload !== 'string') frames.push(payload);
    }),
  );
  return frames;
}

/** Fails unless page `p` shows itself writable (`true`) or read-only (`false`). */
async function expectWritable(p, want) {
  const got = await p.page.evaluate(() => document.body.dataset.writable);
  if (got !== String(want)) throw new Error(`${p.label} has data-writable=${got}, not ${want}`);
}

/** Fails unless the page of `p` is `state` (`visible` or `hidden`) as the page's code sees it. */
async function expectVisibility(p, state) {
  const got = await p.page.evaluate(() => document.visibilityState);
  if (got !== state) throw new Error(`${p.label} is ${got}, not ${state}`);
}

/**
 * Makes page `p` see itself as `state` (`hidden`: a tab in the background, `visible`: shown again), and tells it as
 * the browser does. Headless Chromium shows every tab.
 */
function setVisibility(p, state) {
  return p.page.evaluate((value) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => value });
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => value === 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);
}
