/**
 * `npm pack` of the repository into a temporary folder, as a user would get
 * the package: the prepack script builds lib/ (declarations included) first.
 * Once per `node --test` run: the test files that need the tarball share it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
  /** True when another test file of the same `node --test` run packed it (see packTarball). */
  readonly shared: boolean;
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

/** A process's start time in clock ticks since boot (Linux /proc), or undefined elsewhere. */
function startTimeOf(pid: number): string | undefined {
  try {
    // Fields after "(comm) ": state is field 3, starttime field 22.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

const RUN_FOLDER = /^tessera-pack-run-(\d+)-(\d+)$/;

/**
 * The folder the test files of one `node --test` run share their pack in: each
 * file is a child process of the same runner, named by the runner's pid and
 * start time (so a later runner that gets a recycled pid never sees an old
 * tarball). Undefined outside the runner or without /proc: each process packs.
 * Folders of runners that have exited are removed here.
 */
function runFolder(): string | undefined {
  if (process.env['NODE_TEST_CONTEXT'] === undefined) return undefined;
  const started = startTimeOf(process.ppid);
  if (started === undefined) return undefined;
  for (const name of readdirSync(tmpdir())) {
    const match = RUN_FOLDER.exec(name);
    if (match !== null && startTimeOf(Number(match[1])) !== match[2]) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  return join(tmpdir(), `tessera-pack-run-${process.ppid}-${started}`);
}

/**
 * Packs once per process into a fresh temporary folder; under `node --test`,
 * once per run: the first test file that packs leaves the tarball in the run's
 * folder for the others (the sources do not change during a run: tests never
 * modify tracked files). That folder is removed by the next run.
 */
export function packTarball(): Packed {
  if (packed !== undefined) return packed;
  const shared = runFolder();
  const record = shared === undefined ? undefined : join(shared, 'packed.json');
  if (record !== undefined && existsSync(record)) {
    packed = { ...(JSON.parse(readFileSync(record, 'utf8')) as Omit<Packed, 'shared'>), shared: true };
    return packed;
  }
  const destination = mkdtempSync(join(tmpdir(), 'tessera-pack-'));
  process.once('exit', () => rmSync(destination, { recursive: true, force: true }));
  const started = Date.now();
  const out = run('npm', ['pack', '--json', '--pack-destination', destination], REPO_ROOT, 170_000, npmEnv());
  // npm prints the prepack script's output before the JSON.
  const json = JSON.parse(out.slice(out.indexOf('[\n'))) as { filename: string; files: { path: string }[] }[];
  const entry = json[0];
  if (entry === undefined) throw new Error(`npm pack printed no package: ${out}`);
  const files = entry.files.map((file) => file.path);
  const ms = Date.now() - started;
  if (shared === undefined || record === undefined) {
    packed = { tarball: join(destination, entry.filename), files, ms, shared: false };
    return packed;
  }
  // Moved into the run's folder, the record written last and renamed into place: a reader sees all or nothing.
  mkdirSync(shared, { recursive: true });
  const tarball = join(shared, entry.filename);
  renameSync(join(destination, entry.filename), tarball);
  packed = { tarball, files, ms, shared: false };
  writeFileSync(`${record}.${process.pid}`, JSON.stringify({ tarball, files, ms }));
  renameSync(`${record}.${process.pid}`, record);
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
