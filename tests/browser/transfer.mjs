// Browser scenarios for file transfer with trzsz: `tsz` downloads, `trz` and a drop on the page upload. The
// server's shell runs PyPI's `trzsz` (scripts/test installs it). scenarios.mjs runs them by name.
//
// Headless Chromium shows no file dialogs: where the page would ask the person for a folder or files
// (`showDirectoryPicker`, `showOpenFilePicker`), the test answers with a folder of the page's own private file
// system (OPFS), a real one the transfer writes to and reads from. The drop is a real drag of a real file
// (DevTools' Input.dispatchDragEvent).

import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { start, waitUntil } from './harness.mjs';

/** Bytes of every value, so that the transfer must be binary-safe, in random order. */
const FILE_BYTES = 300_000;

/**
 * The download beside a second tab: large enough that, were the server to let the downloading tab fall behind the
 * other (and send it a snapshot instead of what it missed), the transfer would break.
 */
const SHARED_DOWNLOAD_BYTES = 20_000_000;

/** A file that takes seconds to download, to stop on the way. */
const BIG_FILE_BYTES = 300_000_000;

/** How long making that file, its progress bar and its stop may take on a machine busy with other tests. */
const LOADED_MS = 30_000;

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

/** The pickers answer with the OPFS folder `picked`: for `tsz`, the folder; for `trz`, every file in it. */
function pickFromPrivateFolder() {
  const folder = async () => (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
  window.showDirectoryPicker = folder;
  window.showOpenFilePicker = async () => {
    const files = [];
    for await (const handle of (await folder()).values()) if (handle.kind === 'file') files.push(handle);
    return files;
  };
}

/** The SHA-256 (hex) of file `name` in the OPFS folder `picked`, or null while it is missing or short of `size`. */
function privateFileDigest(t, name, size) {
  return t.page.evaluate(
    async ({ name, size }) => {
      const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
      let file;
      try {
        file = await (await folder.getFileHandle(name)).getFile();
      } catch {
        return null;
      }
      if (file.size < size) return null;
      const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
      return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
    },
    { name, size },
  );
}

/** Fails if page `p` shows any of a transfer's encoded lines; returns what it shows. */
async function noTransferShown(p) {
  const screen = await p.screenText();
  if (/^#(CFG|NUM|NAME|SIZE|DATA|MD5):/m.test(screen)) throw new Error(`the transfer is on the screen:\n${screen}`);
  return screen;
}

/**
 * Waits until some line of the terminal, trimmed, matches `pattern` (a RegExp's source) `count` times; returns the
 * last such line.
 */
async function waitForMatch(t, pattern, { count = 1, timeout = 20_000 } = {}) {
  const line = await t.page.waitForFunction(
    ({ pattern, count }) => {
      const buffer = window.webterm.term.buffer.active;
      const matching = [];
      for (let i = 0; i < buffer.length; i++) {
        const text = buffer.getLine(i)?.translateToString(true).trim() ?? '';
        if (new RegExp(pattern).test(text)) matching.push(text);
      }
      return matching.length >= count && matching[matching.length - 1];
    },
    { pattern, count },
    { timeout, polling: 100 },
  );
  return line.jsonValue();
}

/** Waits until trzsz has said `count` times that it saved a file (`Saved 1 file/directory to ...`). */
function waitForSaved(t, count) {
  return waitForMatch(t, '^Saved 1 file', { count });
}

/** Starts the page in a fresh directory of its own, with trzsz's commands at hand. */
async function startInFreshDirectory(t, url) {
  await start(t, url);
  await t.step('the shell has trz and tsz and a fresh directory', async () => {
    await t.typeLine('cd "$(mktemp -d)" && command -v trz tsz >/dev/null && echo "transfer""-ready"');
    await t.waitForLine('transfer-ready');
  });
}

/** Removes the directory `startInFreshDirectory` made. */
async function leaveFreshDirectory(t) {
  await t.step('the scenario removes its directory', async () => {
    await t.typeLine('cd / && rm -rf "$OLDPWD" && echo removed""-it');
    await t.waitForLine('removed-it');
  });
}

/**
 * Default server. `tsz` downloads a 20 MB binary file to the folder picked, byte for byte, while a second tab is
 * attached to the same session (it leaves the transfer to the tab that typed, and the server lets the downloading
 * tab miss no output however much faster the other reads); `trz` uploads a file picked from
 * the page, byte for byte; Ctrl-C stops a download on its way; the shell is usable after each. Output that only
 * names trzsz's marker (a `grep`, a log) starts no transfer, in either tab or in the server's screen.
 */
async function fileTransfer(t, url) {
  await t.page.addInitScript(pickFromPrivateFolder);
  await startInFreshDirectory(t, url);
  const expected = await t.step('a binary file of every byte value is made on the server', async () => {
    await t.typeLine(`head -c ${SHARED_DOWNLOAD_BYTES} /dev/urandom > down.bin && echo made""-it`);
    await t.waitForLine('made-it');
    return shellSha256(t, 'down.bin');
  });
  const id = await t.page.evaluate(() => window.webterm.connector.sessionId);
  const link = new URL(t.page.url());
  link.searchParams.set('session', id);
  const second = await t.openPage();
  await t.step('a second tab attaches to the same session', async () => {
    await second.page.goto(link.href, { timeout: 10_000 });
    await second.waitForState('connected');
    await t.page.bringToFront();
  });
  await t.step("a line that only names trzsz's marker starts nothing: both tabs and the server's screen go on", async () => {
    await t.typeLine(`printf '%s\\n' 'log: ::TRZSZ:TRANSFER:S:1.1.7:0000000000000' && echo after""-mention`);
    await t.waitForLine('log: ::TRZSZ:TRANSFER:S:1.1.7:0000000000000');
    await t.waitForLine('after-mention');
    await second.waitForLine('after-mention');
    // A reload gets the server's screen.
    await second.page.reload();
    await second.waitForState('connected');
    await second.waitForLine('after-mention');
    await t.page.bringToFront();
  });
  await t.step('tsz down.bin downloads it to the folder picked, byte for byte, in a tab slower than the other', async () => {
    // The downloading tab reads slower than the other (a slow laptop beside a fast one): the server must wait
    // for it, not let it fall behind.
    const cdp = await t.context.newCDPSession(t.page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    await t.typeLine('tsz down.bin');
    const digest = await waitUntil(
      () => privateFileDigest(t, 'down.bin', SHARED_DOWNLOAD_BYTES),
      60_000,
      'no down.bin in the folder after 60 s',
    );
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
    await cdp.detach();
    if (digest !== expected) throw new Error(`down.bin arrived as ${digest}, not ${expected}`);
  });
  await t.step('trzsz says it is done and the shell answers again', async () => {
    await waitForSaved(t, 1);
    await t.screenshot('downloaded.png');
    await t.typeLine('echo after""-download');
    await t.waitForLine('after-download');
  });
  await t.step("the second tab showed the shell, not the transfer's data", async () => {
    await second.waitForLine('after-download');
    await noTransferShown(second);
  });
  await t.step("after a reload, the server's screen shows the shell, not the transfer's data", async () => {
    await t.page.reload();
    await t.waitForState('connected');
    await t.waitForLine('after-download');
    const screen = await noTransferShown(t);
    if (!screen.includes(`${expected}\n`) || !screen.includes('after-mention\n# tsz down.bin\n')) {
      throw new Error(`the screen before is gone:\n${screen}`);
    }
  });
  const upload = randomBytes(FILE_BYTES);
  await t.step('trz uploads a file picked in the page, byte for byte', async () => {
    await t.page.evaluate(async (bytes) => {
      const folder = await (await navigator.storage.getDirectory()).getDirectoryHandle('picked', { create: true });
      await folder.removeEntry('down.bin');
      const writable = await (await folder.getFileHandle('up.bin', { create: true })).createWritable();
      await writable.write(new Uint8Array(bytes));
      await writable.close();
    }, Array.from(upload));
    await t.typeLine('trz');
    await waitForSaved(t, 2);
    await t.typeLine('sha256sum up.bin | cut -c1-64');
    await t.waitForLine(sha256(upload));
    await t.typeLine('echo after""-upload');
    await t.waitForLine('after-upload');
  });
  await t.step('Ctrl-C stops a download that runs, and the shell answers again', async () => {
    await t.typeLine(`head -c ${BIG_FILE_BYTES} /dev/urandom > big.bin && echo big""-made`);
    await t.waitForLine('big-made', LOADED_MS);
    const started = Date.now();
    await t.typeLine('tsz big.bin');
    // The progress bar: `big.bin [███░░░] 12% | 23.5 MB | 11.7 MB/s | 00:07 ETA`.
    await waitForMatch(t, '^big\\.bin .*\\d%', { timeout: LOADED_MS });
    console.log(`measure: file-transfer: progress shown ${Date.now() - started} ms after tsz`);
    await t.page.keyboard.press('Control+C');
    await waitForMatch(t, 'Stopped', { timeout: LOADED_MS });
    await t.typeLine('echo after""-stop');
    await t.waitForLine('after-stop');
  });
  await leaveFreshDirectory(t);
}

/** Drags `file` (or a folder) from outside the browser and drops it on the terminal. */
async function dropFile(t, file) {
  const cdp = await t.context.newCDPSession(t.page);
  const box = await t.page.locator('#terminal').boundingBox();
  const at = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const data = { items: [], files: [file], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp.send('Input.dispatchDragEvent', { type, ...at, data });
  }
  await cdp.detach();
}

/**
 * Default server. A file dropped on the page (a real drag from DevTools) is uploaded to the shell's directory,
 * byte for byte: the page types `trz` for the person; a folder goes with what it holds (`trz -d`). Where no `trz`
 * answers, the terminal says so.
 */
async function fileDrop(t, url) {
  await startInFreshDirectory(t, url);
  const dir = await mkdtemp(path.join(tmpdir(), 'webterm-drop-'));
  try {
    const bytes = randomBytes(FILE_BYTES);
    const file = path.join(dir, 'dropped.bin');
    await writeFile(file, bytes);
    await t.step('where trz does nothing, a drop says that the upload did not start', async () => {
      await t.typeLine('alias trz=true');
      await dropFile(t, file);
      await waitForMatch(t, '^\\[webterm: the upload did not start: no trz answered', { timeout: 10_000 });
      await t.typeLine('unalias trz; ls -A | wc -l');
      await t.waitForLine('0');
    });
    await t.step('dropping a file on the terminal uploads it', async () => {
      await dropFile(t, file);
      await waitForSaved(t, 1);
      await t.typeLine('sha256sum dropped.bin | cut -c1-64');
      await t.waitForLine(sha256(bytes));
      await t.screenshot('uploaded.png');
    });
    await t.step('dropping a folder uploads it with what it holds (trz -d)', async () => {
      const folder = path.join(dir, 'folder');
      await mkdir(path.join(folder, 'inner'), { recursive: true });
      await writeFile(path.join(folder, 'a.txt'), 'first file\n');
      await writeFile(path.join(folder, 'inner', 'b.bin'), bytes);
      await dropFile(t, folder);
      await waitForSaved(t, 2);
      await t.typeLine('cat folder/a.txt; sha256sum folder/inner/b.bin | cut -c1-64');
      await t.waitForLine('first file');
      await t.waitForLine(sha256(bytes));
    });
    await leaveFreshDirectory(t);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Default server, in a page whose browser lacks the File System Access pickers (as Firefox and Safari do): `tsz`
 * saves the file as a download (the browser's own, caught by Playwright) and `trz` asks for files with the
 * browser's file chooser (answered by Playwright), byte for byte both ways.
 */
async function fileTransferWithoutPickers(t, url) {
  await t.page.addInitScript(() => {
    for (const name of ['showDirectoryPicker', 'showOpenFilePicker']) {
      Object.defineProperty(window, name, { value: undefined, writable: true, configurable: true });
    }
  });
  await startInFreshDirectory(t, url);
  const dir = await mkdtemp(path.join(tmpdir(), 'webterm-pick-'));
  try {
    const down = randomBytes(FILE_BYTES);
    await t.step('tsz saves the file as a download, byte for byte', async () => {
      await t.typeLine(`head -c ${FILE_BYTES} /dev/urandom > down.bin && echo made""-it`);
      await t.waitForLine('made-it');
      const expected = await shellSha256(t, 'down.bin');
      const downloading = t.page.waitForEvent('download', { timeout: 20_000 });
      await t.typeLine('tsz down.bin');
      const download = await downloading;
      if (download.suggestedFilename() !== 'down.bin') throw new Error(`saved as ${download.suggestedFilename()}`);
      const saved = path.join(dir, 'saved.bin');
      await download.saveAs(saved);
      const digest = sha256(await readFile(saved));
      if (digest !== expected) throw new Error(`down.bin arrived as ${digest}, not ${expected}`);
      await waitForSaved(t, 1);
    });
    await t.step("trz asks with the browser's file chooser and uploads the file, byte for byte", async () => {
      const file = path.join(dir, 'up.bin');
      await writeFile(file, down);
      const choosing = t.page.waitForEvent('filechooser', { timeout: 20_000 });
      await t.typeLine('trz');
      const chooser = await choosing;
      await chooser.setFiles(file);
      await waitForSaved(t, 2);
      if ((await shellSha256(t, 'up.bin')) !== sha256(down)) throw new Error('up.bin arrived changed');
    });
    await leaveFreshDirectory(t);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The SHA-256 (hex) of `file` in the shell's directory, as `sha256sum` says. */
async function shellSha256(t, file) {
  // A tag of its own per call: a line an earlier call printed must not answer this one.
  const tag = `${file}-${Math.random().toString(36).slice(2)}`;
  await t.typeLine(`sha256sum ${file} | cut -c1-64 | sed 's/^/${tag}=/'`);
  const line = await waitForMatch(t, `^${tag.replace('.', '\\.')}=[0-9a-f]{64}$`, { timeout: 10_000 });
  return line.slice(tag.length + 1);
}

export const TRANSFER_SCENARIOS = {
  'file-transfer': fileTransfer,
  'file-transfer-without-pickers': fileTransferWithoutPickers,
  'file-drop': fileDrop,
};
