// Bundles the frontend with esbuild into one folder that the Rust binary embeds (see build.rs).
//
//     node build.mjs [OUT_DIR]      (default: ../target/frontend)
//
// Writes app.js + app.css (the terminal page), echo.js (the /echo page), replay.js (the /replay page), the
// chunks they share (xterm.js, once, instead of in both pages that use it) and the three HTML pages, each gzipped
// (NAME.gz). The pages load their script as an ES module, which imports its chunks relative to itself, so a
// sub-path works.

import { copyFile, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(process.argv[2] ?? path.join(here, '..', 'target', 'frontend'));

await rm(outdir, { recursive: true, force: true });
await mkdir(outdir, { recursive: true });

const options = {
  absWorkingDir: here,
  entryPoints: { app: 'src/main.ts', echo: 'src/echo.ts', replay: 'src/replay.ts' },
  outdir,
  bundle: true,
  format: 'esm',
  splitting: true,
  chunkNames: 'chunk-[hash]',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
  // trzsz also runs under Node.js (its own `trz`/`tsz`): those paths `require` Node's modules, which the browser
  // never reaches (it tells itself apart by `require` failing).
  external: ['child_process', 'fs', 'util'],
};

try {
  await esbuild.build(options);
} catch {
  // esbuild has already printed the errors (logLevel above); the stack trace would only add noise.
  process.exit(1);
}

// replay.ts imports xterm.js's stylesheet as main.ts does; its page links app.css, the same file.
await rm(path.join(outdir, 'replay.css'));

for (const page of ['index.html', 'echo.html', 'replay.html']) {
  await copyFile(path.join(here, page), path.join(outdir, page));
}

// Every file is kept gzipped, as NAME.gz: a third of the size in the binary and on the wire (the server sends
// the gzipped bytes to a browser that accepts them, and unzips them for a client that does not).
for (const name of await readdir(outdir)) {
  const file = path.join(outdir, name);
  await writeFile(`${file}.gz`, gzipSync(await readFile(file), { level: 9 }));
  await rm(file);
}
