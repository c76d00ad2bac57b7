/**
 * Tessera's own app (what `npm start` runs) from the packed tarball, as a user
 * who copied the demo would run it: the compiled demo modules (dist/src/…,
 * the set test/package/demo-imports.test.ts checks) are copied to a temporary
 * folder outside the repository with their layout kept, each import of an
 * entry point rewritten to its package specifier (`../index.js` → `tessera`,
 * `../fastify/index.js` → `tessera/fastify`, …); an import of any other
 * library module fails the test. `tessera` is the unpacked `npm pack` tarball;
 * every other package is a symlink to the repository's own (the demo needs
 * native ones, better-sqlite3 and argon2, which an offline install with
 * --ignore-scripts could not build), and only the packages tessera's manifest
 * declares or the demo imports are linked, so an undeclared dependency of the
 * package cannot resolve. Then `src/main.js` starts there (SQLite in a temporary
 * DATA_DIR, a free port, ALLOWED_ORIGINS set, no web pages built) and runs the
 * seed's flow: register over GraphQL HTTP (cookie), a socket by cookie from
 * the allowed Origin and one by ticket, events (the user count, and an
 * announcement by a user made admin with the copied `admin.js`), logout closes both with 4401
 * 'session ended', a spent ticket closes with 4403, a foreign Origin gets 403.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { entryPointSpecifiers, rewriteImports, sourceGraph, specifiersOf, split } from '../helpers/demo-modules.js';
import { HttpClient } from '../helpers/http-client.js';
import { packTarball, REPO_ROOT, run } from '../helpers/pack.js';
import { stopChild } from '../helpers/process.js';
import { freePort, TEST_TICKET_SECRET } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { after, before, describe, it } from '../helpers/suite.js';

const ORIGIN = 'http://app.example';

interface Prepared {
  readonly folder: string;
  /** The demo modules copied (src/ paths). */
  readonly modules: readonly string[];
  /** How many imports of the copies are package specifiers (`tessera`, `tessera/…`). */
  readonly rewritten: number;
  /** Imports of library modules that are not entry points (must be none). */
  readonly strays: readonly string[];
  /** The packages linked from the repository's node_modules. */
  readonly linked: readonly string[];
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Copies the compiled demo into `folder` with rewritten imports, unpacks the tarball beside it and links the rest. */
function prepare(folder: string, tarball: string): Prepared {
  const specifiers = entryPointSpecifiers(REPO_ROOT);
  const { demo } = split(sourceGraph(REPO_ROOT), [...specifiers.keys()]);
  const demoSet = new Set(demo);
  const strays: string[] = [];
  const bare = new Set<string>();
  let rewritten = 0;
  for (const module of demo) {
    const compiled = join(REPO_ROOT, 'dist', module.replace(/\.ts$/, '.js'));
    const source = readFileSync(compiled, 'utf8');
    const result = rewriteImports(module, source, demoSet, specifiers);
    strays.push(...result.strays.map((target) => `${module} -> ${target}`));
    for (const specifier of specifiersOf(result.source)) {
      if (specifier.startsWith('tessera')) rewritten += 1;
      else if (!specifier.startsWith('.') && !specifier.startsWith('node:')) bare.add(packageOf(specifier));
    }
    const target = join(folder, module.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, result.source);
  }
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name: 'tessera-demo-copy', private: true, type: 'module' }, null, 2));

  const unpacked = join(folder, 'node_modules', 'tessera');
  mkdirSync(unpacked, { recursive: true });
  run('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], folder);
  const manifest = JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const linked = [...new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {}), ...bare])].sort();
  for (const name of linked) {
    const source = join(REPO_ROOT, 'node_modules', name);
    assert.ok(existsSync(source), `${name} (needed by the demo or declared by tessera) is in the repository's node_modules`);
    const link = join(folder, 'node_modules', name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(source, link, 'dir');
  }
  return { folder, modules: demo, rewritten, strays, linked };
}

interface Running {
  readonly folder: string;
  readonly port: number;
  readonly base: string;
  readonly ws: string;
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** The demo's configuration, as environment variables: SQLite in the folder's data/, a fast user-count worker. */
function demoEnv(folder: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'WORKERS', 'METRICS', 'NODE_ENV', 'TRUST_PROXY']) delete env[name];
  return {
    ...env,
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: join(folder, 'data'),
    ALLOWED_ORIGINS: ORIGIN,
    TICKET_SECRETS: TEST_TICKET_SECRET,
    USER_COUNT_INTERVAL_MS: '100',
    LOG_LEVEL: 'info',
  };
}

/** Runs the copied demo's admin CLI (`npm run admin -- …`) on the same database; resolves its stdout. */
function admin(app: Running, ...args: string[]): string {
  return run(process.execPath, ['src/admin.js', ...args], app.folder, 20_000, { ...demoEnv(app.folder, app.port), LOG_LEVEL: 'silent' });
}

/** Starts the copied demo's main and waits for /healthz. */
async function start(folder: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, ['src/main.js'], { cwd: folder, env: demoEnv(folder, port), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the demo did not start:\n${output}`);
    const healthy = await fetch(`${base}/healthz`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (healthy) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { folder, port, base, ws: `ws://127.0.0.1:${port}/graphql`, child, output: () => output };
}

async function stop(running: Running | undefined): Promise<void> {
  if (running !== undefined) await stopChild(running.child);
}

/** A new account, signed in (the client keeps its session cookie). */
async function registered(app: Running): Promise<{ http: HttpClient; email: string }> {
  const http = new HttpClient(app.base);
  const { email } = await http.register();
  assert.ok(http.cookieHeader?.includes('tessera_session='), 'a session cookie');
  return { http, email };
}

const COUNT = 'subscription { accountsUserCount }';

async function countFrom(client: RawClient, id: string): Promise<number> {
  const next = await client.next((message) => message.id === id && message.type === 'next');
  const count = next.payload?.data?.accountsUserCount;
  assert.ok(Number.isInteger(count) && count >= 1 && count <= 10, JSON.stringify(next));
  return count as number;
}

describe("Tessera's own app (the demo) from the packed tarball", () => {
  let folder: string | undefined;
  let prepared: Prepared | undefined;
  let app: Running | undefined;
  before(async () => {
    const packed = packTarball();
    const started = Date.now();
    folder = mkdtempSync(join(tmpdir(), 'tessera-demo-'));
    prepared = prepare(folder, packed.tarball);
    assert.deepEqual(prepared.strays, [], 'every import of a demo module is a demo module or an entry point (package specifier)');
    const copied = Date.now() - started;
    app = await start(prepared.folder);
    process.stdout.write(
      `demo: npm pack ${packed.ms} ms${packed.shared ? ' (by an earlier test file of this run)' : ''}, ${prepared.modules.length} modules copied with ${prepared.rewritten} imports rewritten and ` +
        `${prepared.linked.length} packages linked in ${copied} ms, started in ${Date.now() - started - copied} ms\n`,
    );
  });
  after(async () => {
    await stop(app);
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  it('runs the demo modules outside the repository on the package specifiers', () => {
    const { folder, modules, rewritten } = prepared as Prepared;
    assert.ok(!folder.startsWith(REPO_ROOT));
    assert.ok(modules.includes('src/main.ts') && modules.includes('src/app.ts') && modules.includes('src/http/server.ts'));
    assert.ok(rewritten > 10, `imports rewritten to tessera/… (${rewritten})`);
    const app = readFileSync(join(folder, 'src', 'app.js'), 'utf8');
    assert.match(app, /from ['"]tessera['"]/);
    for (const specifier of specifiersOf(app)) assert.ok(!specifier.startsWith('../'), `src/app.js imports ${specifier}`);
  });

  it('tessera is the tarball and graphql is one instance for the demo, tessera and graphql-ws', () => {
    const { folder } = prepared as Prepared;
    const tessera = join(folder, 'node_modules', 'tessera');
    assert.equal((JSON.parse(readFileSync(join(tessera, 'package.json'), 'utf8')) as { version: string }).version, '0.2.0');
    assert.ok(!existsSync(join(tessera, 'src')) && existsSync(join(tessera, 'lib', 'index.js')), 'the packed lib/, not src/');
    const graphqlFrom = (file: string) => dirname(realpathSync(createRequire(file).resolve('graphql/package.json')));
    const fromDemo = graphqlFrom(join(folder, 'src', 'app.js'));
    const fromTessera = graphqlFrom(join(tessera, 'lib', 'index.js'));
    const graphqlWs = realpathSync(createRequire(join(tessera, 'lib', 'index.js')).resolve('graphql-ws'));
    assert.equal(fromTessera, fromDemo);
    assert.equal(graphqlFrom(graphqlWs), fromDemo);
  });

  it('answers /healthz without the web pages', async () => {
    const { base } = app as Running;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/`)).status, 503);
  });

  it('register, socket by cookie and by ticket, events (user count, an announcement), logout closes both with 4401', async () => {
    const running = app as Running;
    const { http: alice, email } = await registered(running);
    const byCookie = await RawClient.open(running.ws, { origin: ORIGIN, headers: { cookie: alice.cookieHeader as string } });
    await byCookie.init();
    const byTicket = await RawClient.open(running.ws, { origin: ORIGIN });
    await byTicket.init({ token: await alice.ticket() });
    const { http: bob } = await registered(running);
    const bobSocket = await RawClient.open(running.ws, { origin: ORIGIN });
    await bobSocket.init({ token: await bob.ticket() });
    const sockets = [byCookie, byTicket, bobSocket];
    for (const client of sockets) client.subscribe('c1', COUNT);
    for (const client of sockets) await countFrom(client, 'c1');

    // An announcement by Alice, made admin with the copied demo's own CLI, reaches every subscriber.
    assert.equal(admin(running, 'grant', email), `Granted the admin role to ${email}.\n`);
    for (const client of sockets) client.subscribe('a1', 'subscription { systemAnnouncements { message } }');
    await new Promise((resolve) => setTimeout(resolve, 200)); // the subscriptions are registered
    const announced = await alice.gql('mutation { systemAnnounce(message: "from the tarball") { message } }');
    assert.deepEqual(announced.body, { data: { systemAnnounce: { message: 'from the tarball' } } });
    for (const client of sockets) {
      const next = await client.next((message) => message.id === 'a1' && message.type === 'next');
      assert.deepEqual(next.payload, { data: { systemAnnouncements: { message: 'from the tarball' } } });
    }

    const loggedOut = await alice.gql('mutation { accountsLogout }');
    assert.deepEqual(loggedOut.body, { data: { accountsLogout: true } });
    assert.deepEqual(await byCookie.waitForClose(), { code: 4401, reason: 'session ended' });
    assert.deepEqual(await byTicket.waitForClose(), { code: 4401, reason: 'session ended' });
    // Bob's session goes on, and his socket keeps receiving.
    const seen = bobSocket.messages.length;
    await bobSocket.next((message) => message.id === 'c1' && message.type === 'next' && bobSocket.messages.indexOf(message) >= seen);
    assert.equal(bobSocket.ws.readyState, bobSocket.ws.OPEN);
    bobSocket.close();
  });

  it('a spent ticket is refused (4403)', async () => {
    const running = app as Running;
    const { http: carol } = await registered(running);
    const ticket = await carol.ticket();
    const first = await RawClient.open(running.ws, { origin: ORIGIN });
    await first.init({ token: ticket });
    const second = await RawClient.open(running.ws, { origin: ORIGIN });
    second.send({ type: 'connection_init', payload: { token: ticket } });
    assert.equal((await second.waitForClose()).code, 4403);
    first.close();
  });

  it('an upgrade from a foreign Origin is refused with 403, even with a valid cookie', async () => {
    const running = app as Running;
    const { http: dave } = await registered(running);
    await assert.rejects(
      RawClient.open(running.ws, { origin: 'http://evil.example', headers: { cookie: dave.cookieHeader as string } }),
      /upgrade refused: 403/,
    );
  });
});

describe("rewriting the demo modules' imports", () => {
  it('an entry point becomes its package specifier, a demo module stays, any other module is reported (a stray)', () => {
    const specifiers = new Map([
      ['src/index.ts', 'tessera'],
      ['src/fastify/index.ts', 'tessera/fastify'],
    ]);
    const source = [
      "import { a } from '../index.js';",
      "export { b } from '../fastify/index.js';",
      "import { c } from './routes.js';",
      "import { d } from '../gateway/engine.js';",
      "const e = await import('../sse/sse-handler.js');",
      "import 'fastify';",
    ].join('\n');
    const result = rewriteImports('src/http/server.ts', source, new Set(['src/http/server.ts', 'src/http/routes.ts']), specifiers);
    assert.deepEqual([...result.strays].sort(), ['src/gateway/engine.ts', 'src/sse/sse-handler.ts']);
    assert.equal(
      result.source,
      [
        "import { a } from 'tessera';",
        "export { b } from 'tessera/fastify';",
        "import { c } from './routes.js';",
        "import { d } from '../gateway/engine.js';",
        "const e = await import('../sse/sse-handler.js');",
        "import 'fastify';",
      ].join('\n'),
    );
  });
});
