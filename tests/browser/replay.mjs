// The /replay page plays an asciicast v2 recording picked from disk in xterm.js.
//
//     node tests/browser/replay.mjs URL CAST_FILE ARTIFACT_DIR
//
// URL is the page (http://127.0.0.1:PORT/replay); CAST_FILE a recording webterm made.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fail, openBrowser } from './harness.mjs';

const [url, castFile, artifacts] = process.argv.slice(2);
if (!url || !castFile || !artifacts) fail('usage: node tests/browser/replay.mjs URL CAST_FILE ARTIFACT_DIR');

const t = await openBrowser('replay', artifacts);
await t.step('open the replay page', async () => {
  await t.page.goto(url);
  await t.page.setInputFiles('#replay-file', castFile);
  await t.page.waitForFunction(() => document.body.dataset.state === 'loaded');
});
await t.step('play it at full speed', async () => {
  await t.page.selectOption('#replay-speed', '0');
  await t.page.click('#replay-play');
  await t.page.waitForFunction(() => document.body.dataset.state === 'done');
  const text = await t.screenText();
  if (!text.includes('replayed 漢字')) throw new Error(`the recording's output is not on screen:\n${text}`);
  await t.screenshot('replay-done.png');
});
await t.step('a recording larger than a terminal can be is refused, not played', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'webterm-replay-'));
  const huge = path.join(dir, 'huge.cast');
  await writeFile(huge, '{"version": 2, "width": 100000, "height": 100000}\n[0.1, "o", "x"]\n');
  await t.page.setInputFiles('#replay-file', huge);
  await t.page.waitForFunction(() => document.body.dataset.state === 'error');
  const status = await t.page.locator('#replay-status').textContent();
  if (!status.includes('100000x100000, larger than a terminal can be')) throw new Error(`the page says ${status}`);
  await rm(dir, { recursive: true });
});
await t.finish();
