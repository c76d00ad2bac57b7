#!/usr/bin/env node
/**
 * Bundles the browser pages (web/) into dist/web/ with esbuild: GraphiQL at
 * /graphiql and the live demo at /, each an HTML page plus one script and one
 * stylesheet under /assets/. Everything comes from node_modules, so the pages
 * work with no internet (no CDN, no remote fonts).
 *
 *   node scripts/build-web.mjs          one build
 *   node scripts/build-web.mjs --watch  rebuild on change
 */
import { copyFile, mkdir, rm, utimes, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'dist', 'web');
const assetsDir = join(outDir, 'assets');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const options = {
  absWorkingDir: root,
  entryPoints: { graphiql: 'web/graphiql/main.tsx', demo: 'web/demo/main.ts' },
  outdir: assetsDir,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  jsx: 'automatic',
  minify: true,
  sourcemap: 'linked',
  metafile: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  // GraphiQL's stylesheet embeds its fonts and images as data: URLs; anything
  // else referenced from CSS must be bundled, never fetched from elsewhere.
  loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
  logLevel: 'warning',
};

const pages = [
  ['web/graphiql/index.html', 'graphiql.html'],
  ['web/demo/index.html', 'demo.html'],
  ['web/shared/favicon.svg', 'assets/favicon.svg'],
];

async function copyPages() {
  for (const [from, to] of pages) await copyFile(join(root, from), join(outDir, to));
}

const started = Date.now();
await rm(outDir, { recursive: true, force: true });
await mkdir(assetsDir, { recursive: true });

if (watch) {
  const context = await esbuild.context({
    ...options,
    plugins: [{ name: 'pages', setup: (build) => build.onEnd(() => copyPages()) }],
  });
  await context.watch();
  console.log(`watching web/ -> ${relative(root, outDir)}/`);
} else {
  const result = await esbuild.build(options);
  await copyPages();
  const sizes = Object.entries(result.metafile.outputs)
    .filter(([file]) => !file.endsWith('.map'))
    .map(([file, { bytes }]) => `${relative(root, join(root, file))} ${(bytes / 1024).toFixed(0)} KiB`);
  // The stamp scripts/build.mjs compares with web/'s mtimes, dated from the start of this build.
  const stamp = join(outDir, '.built');
  await writeFile(stamp, `${new Date(started).toISOString()}\n`);
  await utimes(stamp, started / 1000, started / 1000);
  console.log(`built web pages into ${relative(root, outDir)}/\n  ${sizes.join('\n  ')}`);
}
