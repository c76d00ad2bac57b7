/**
 * `--pin`: the bench's forked processes start under `taskset -c`, so that a server
 * and the load generator never share a core. Checks what a pinned child reports
 * of its own CPU mask (`/proc/self/status`), and that a malformed `--pin` is refused
 * before anything starts. Linux with taskset (util-linux) only; elsewhere skipped.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../helpers/repo-root.js';

const root = repoRoot(import.meta.url);
const hasTaskset = process.platform === 'linux' && spawnSync('taskset', ['-pc', String(process.pid)]).status === 0;

function run(args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output: output.join('') }));
  });
}

test('a child started with cpus runs on those CPUs only, and one without keeps the full mask', { skip: !hasTaskset && 'needs Linux and taskset', timeout: 30_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-bench-pin-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const childModule = pathToFileURL(join(root, 'bench', 'lib', 'child.mjs')).href;
  writeFileSync(
    join(dir, 'report-mask.mjs'),
    `import { readFileSync } from 'node:fs';
import { serveRequests } from ${JSON.stringify(childModule)};
serveRequests({ async mask() { return { cpus: /Cpus_allowed_list:\\s*(\\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1] }; } });
`,
  );
  writeFileSync(
    join(dir, 'driver.mjs'),
    `import { Child } from ${JSON.stringify(childModule)};
const masks = {};
for (const [name, cpus] of [['pinned', '0'], ['free', undefined]]) {
  const child = await Child.start(${JSON.stringify(join(dir, 'report-mask.mjs'))}, { cpus });
  masks[name] = (await child.request('mask')).cpus;
  child.process.disconnect();
}
masks.own = /Cpus_allowed_list:\\s*(\\S+)/.exec((await import('node:fs')).readFileSync('/proc/self/status', 'utf8'))[1];
console.log(JSON.stringify(masks));
`,
  );
  const { code, output } = await run([join(dir, 'driver.mjs')], dir);
  assert.equal(code, 0, output);
  const masks = JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as { pinned: string; free: string; own: string };
  assert.equal(masks.pinned, '0');
  assert.equal(masks.free, masks.own, 'a child started without cpus is not pinned');
});

test('a malformed --pin is refused with what it takes, before any process starts', { skip: !hasTaskset && 'needs Linux and taskset', timeout: 30_000 }, async () => {
  const { code, output } = await run(['bench/run.mjs', '--quick', '--pin=zero/one'], root);
  assert.equal(code, 1);
  assert.match(output, /--pin takes SERVER_CPUS\/CLIENT_CPUS, e\.g\. --pin=0\/1 \(got zero\/one\)/);
});
