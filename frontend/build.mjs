// Bundles the frontend with esbuild into one folder that the Rust binary embeds (see build.rs).
//
//     node build.mjs [OUT_DIR]      (default: ../target/frontend)
//
// Writes app.js + app.css (the terminal page), echo.js (the /echo page), replay.js (the /replay page) and the
// three HTML pages.

import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
  format: 'iife',
  platform: 'browser',
  target: 'es2020',
  minify: true,
  sourcemap: false,
  logLevel: 'warning',
};

try {
  await esbuild.build(options);
} catch {
  // esbuild has already printed the errors (logLevel above); the stack trace would only add noise.
  process.exit(1);
}

for (const page of ['index.html', 'echo.html', 'replay.html']) {
  await copyFile(path.join(here, page), path.join(outdir, page));
}
