/**
 * `npm pack` of the repository into a temporary folder, as a user would get
 * the package: the prepack script builds lib/ (declarations included) first.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file runs from dist/test/helpers/). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface Packed {
  /** The .tgz's absolute path. */
  readonly tarball: string;
  /** The files in it, as npm pack lists them (paths inside the package). */
  readonly files: readonly string[];
  /** How long `npm pack` took, in ms. */
  readonly ms: number;
}

/** Runs a command; throws with its output when it fails. */
export function run(command: string, args: readonly string[], cwd: string, timeoutMs = 170_000, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}\n${result.error ?? ''}`);
  }
  return result.stdout;
}

/**
 * The environment for a nested npm: without the npm_* variables `npm test` sets
 * for its scripts (npm_config_local_prefix and the like name the repository, not
 * the folder the nested npm works in).
 */
export function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));
}

let packed: Packed | undefined;

/** Packs once per process into a fresh temporary folder. */
export function packTarball(): Packed {
  if (packed !== undefined) return packed;
  const destination = mkdtempSync(join(tmpdir(), 'tessera-pack-'));
  process.once('exit', () => rmSync(destination, { recursive: true, force: true }));
  const started = Date.now();
  const out = run('npm', ['pack', '--json', '--pack-destination', destination], REPO_ROOT, 170_000, npmEnv());
  // npm prints the prepack script's output before the JSON.
  const json = JSON.parse(out.slice(out.indexOf('[\n'))) as { filename: string; files: { path: string }[] }[];
  const entry = json[0];
  if (entry === undefined) throw new Error(`npm pack printed no package: ${out}`);
  packed = { tarball: join(destination, entry.filename), files: entry.files.map((file) => file.path), ms: Date.now() - started };
  return packed;
}

/**
 * Unpacks the tarball as `<folder>/node_modules/tessera` under the repository's
 * gitignored .tmp/, so that its own imports resolve from the repository's
 * node_modules (one level up) while `tessera/...` resolves to the package
 * only. Returns the folder.
 */
export function unpackBesideRepo(tarball: string): string {
  mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
  const folder = mkdtempSync(join(REPO_ROOT, '.tmp', 'unpacked-'));
  const target = join(folder, 'node_modules', 'tessera');
  mkdirSync(target, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', target, '--strip-components=1'], folder);
  return folder;
}
