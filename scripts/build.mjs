#!/usr/bin/env node
/**
 * `npm run build` (and so `npm start`, `npm run migrate`): compiles the server
 * (tsc -p tsconfig.build.json) and bundles the pages (build-web.mjs), each only
 * when one of its sources is newer than its last build, so that a start with a
 * current build takes about a second instead of ten.
 *
 *   node scripts/build.mjs           build what is out of date
 *   node scripts/build.mjs --force   build everything
 *
 * Each part's stamp file is written after it built successfully; a source
 * edited, checked out or pulled since gets a newer mtime than the stamp.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const force = process.argv.includes('--force');

/** The newest mtime (ms) of the files under these paths (files or folders), skipping node_modules. */
function newestMtime(paths) {
  let newest = 0;
  const visit = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== 'node_modules') visit(join(path, entry));
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const path of paths) visit(join(root, path));
  return newest;
}

/** True when every output exists and the stamp is newer than every source. */
function current(stamp, outputs, sources) {
  if (force || !existsSync(join(root, stamp))) return false;
  if (!outputs.every((output) => existsSync(join(root, output)))) return false;
  return statSync(join(root, stamp)).mtimeMs >= newestMtime(sources);
}

function run(args) {
  const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

const common = ['package.json', 'package-lock.json'];

const SERVER_STAMP = 'dist/.server-built';
if (!current(SERVER_STAMP, ['dist/src/main.js', 'dist/src/migrate.js'], ['src', 'tsconfig.json', 'tsconfig.build.json', ...common])) {
  const started = Date.now();
  run([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
  writeFileSync(join(root, SERVER_STAMP), `${new Date(started).toISOString()}\n`);
  // Dated from the start of the build: a source saved during it is seen as newer next time.
  utimesSync(join(root, SERVER_STAMP), started / 1000, started / 1000);
}

// build-web.mjs writes its own stamp (dist/web/.built), so `npm run build:web` counts too.
if (!current('dist/web/.built', ['dist/web/graphiql.html', 'dist/web/demo.html'], ['web', 'scripts/build-web.mjs', ...common])) {
  run([join(root, 'scripts', 'build-web.mjs')]);
}
