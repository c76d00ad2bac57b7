/**
 * The examples, installed as a user would: `npm pack` of the repository, each
 * example copied to a temporary folder outside the repository (so nothing
 * resolves from the repository's node_modules) with `tessera` pointing at the
 * tarball, `npm install --prefer-offline` (from npm's cache when it has the
 * packages, else the registry), then started on a free port and run through
 * the seed's flow: sign in with the app's own mechanism, open the socket with
 * the cookie (allowed Origin) and with a ticket, receive events, log out and
 * see the sockets close with 4401 'session ended' (README: the session-over
 * code), and an upgrade from a foreign Origin refused.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmEnv, packTarball, REPO_ROOT, run } from '../helpers/pack.js';
import { stopChild } from '../helpers/process.js';
import { freePort } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';
import { after, before, describe, it } from '../helpers/suite.js';

const ORIGIN = 'http://app.example';

interface Running {
  readonly base: string;
  readonly ws: string;
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** Copies the example out of the repository, points it at the tarball and installs it; resolves the folder and the install's duration. */
function install(name: string, tarball: string): { folder: string; ms: number } {
  const folder = mkdtempSync(join(tmpdir(), `tessera-example-${name}-`));
  cpSync(join(REPO_ROOT, 'examples', name), folder, { recursive: true, filter: (source) => !source.includes('node_modules') });
  const manifestPath = join(folder, 'package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { dependencies: Record<string, string> };
  assert.match(manifest.dependencies['tessera'] ?? '', /^file:.*tessera-0\.2\.0\.tgz$/, 'the example depends on the packed tarball');
  manifest.dependencies['tessera'] = `file:${tarball}`;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  const started = Date.now();
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], folder, 120_000, npmEnv());
  return { folder, ms: Date.now() - started };
}

async function start(folder: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, ['server.js'], {
    cwd: folder,
    env: { ...process.env, PORT: String(port), ORIGIN, SESSION_SECRET: 'a-test-session-secret-of-32-characters-at-least' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!/listening on/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the example did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/graphql`, child, output: () => output };
}

async function stop(running: Running | undefined): Promise<void> {
  if (running !== undefined) await stopChild(running.child);
}

async function post(url: string, body: unknown, cookie?: string): Promise<{ status: number; cookie: string | undefined; json: any }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(cookie === undefined ? {} : { cookie }) },
    body: JSON.stringify(body),
  });
  return { status: response.status, cookie: response.headers.get('set-cookie')?.split(';')[0], json: await response.json() };
}

/** Signs in with the example's own /login; resolves the session cookie. */
async function signIn(app: Running, name: string): Promise<string> {
  const answer = await post(`${app.base}/login`, { name });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  assert.ok(answer.cookie, 'a session cookie');
  return answer.cookie;
}

async function ticketFor(app: Running, cookie: string): Promise<string> {
  const answer = await post(`${app.base}/ticket`, {}, cookie);
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  return answer.json.ticket as string;
}

interface ExampleSpec {
  readonly name: string;
  readonly subscription: string;
  /** Makes one event happen as `cookie`'s user, with `ticketSocket` at hand; resolves the payload the subscribers should get. */
  readonly produce: (app: Running, cookie: string, ticketSocket: RawClient) => Promise<unknown>;
  /** Whether another user's socket must see nothing of it (per-user data). */
  readonly private: boolean;
}

const EXAMPLES: readonly ExampleSpec[] = [
  {
    name: 'express-notes',
    subscription: 'subscription { noteAdded { owner text } }',
    private: true,
    async produce(_app, _cookie, ticketSocket) {
      ticketSocket.send({ id: 'm1', type: 'subscribe', payload: { query: 'mutation { addNote(text: "buy milk") { id } }' } });
      const answer = await ticketSocket.next((message) => message.id === 'm1' && message.type === 'next');
      assert.ok(answer.payload.data.addNote.id, JSON.stringify(answer));
      return { data: { noteAdded: { owner: 'alice', text: 'buy milk' } } };
    },
  },
  {
    name: 'fastify-chat',
    subscription: 'subscription { messages { from text } }',
    private: false,
    async produce(app, cookie) {
      const sent = await post(`${app.base}/graphql`, { query: 'mutation { send(text: "hello room") { from } }' }, cookie);
      assert.deepEqual(sent.json, { data: { send: { from: 'alice' } } });
      return { data: { messages: { from: 'alice', text: 'hello room' } } };
    },
  },
];

const packed = { value: undefined as ReturnType<typeof packTarball> | undefined };

for (const example of EXAMPLES) {
  describe(`examples/${example.name} from the packed tarball`, () => {
    let folder: string | undefined;
    let app: Running | undefined;
    before(async () => {
      packed.value ??= packTarball();
      const installed = install(example.name, packed.value.tarball);
      folder = installed.folder;
      process.stdout.write(`${example.name}: npm pack ${packed.value.ms} ms (once${packed.value.shared ? ', by an earlier test file of this run' : ''}), npm install ${installed.ms} ms\n`);
      app = await start(folder);
    });
    after(async () => {
      await stop(app);
      if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
    });

    it('installs tessera from the tarball, not from the repository', () => {
      const installed = JSON.parse(readFileSync(join(folder as string, 'node_modules', 'tessera', 'package.json'), 'utf8')) as { version: string };
      assert.equal(installed.version, '0.2.0');
      assert.ok(!(folder as string).startsWith(REPO_ROOT));
    });

    it('sign in, socket by cookie and by ticket, events, logout closes both with 4401', async () => {
      const running = app as Running;
      const cookie = await signIn(running, 'alice');
      const byCookie = await RawClient.open(running.ws, { origin: ORIGIN, headers: { cookie } });
      await byCookie.init();
      const byTicket = await RawClient.open(running.ws);
      await byTicket.init({ token: await ticketFor(running, cookie) });
      const bobCookie = await signIn(running, 'bob');
      const bob = await RawClient.open(running.ws);
      await bob.init({ token: await ticketFor(running, bobCookie) });
      for (const client of [byCookie, byTicket, bob]) client.subscribe('s1', example.subscription);
      await new Promise((resolve) => setTimeout(resolve, 200)); // the subscriptions are registered

      const expected = await example.produce(running, cookie, byTicket);
      for (const client of [byCookie, byTicket]) {
        const next = await client.next((message) => message.id === 's1' && message.type === 'next');
        assert.deepEqual(next.payload, expected);
      }
      if (example.private) await bob.expectNothing(300, (message) => message.id === 's1');
      else assert.deepEqual((await bob.next((message) => message.id === 's1' && message.type === 'next')).payload, expected);

      const loggedOut = await post(`${running.base}/logout`, {}, cookie);
      assert.equal(loggedOut.status, 200);
      assert.deepEqual(await byCookie.waitForClose(), { code: 4401, reason: 'session ended' });
      assert.deepEqual(await byTicket.waitForClose(), { code: 4401, reason: 'session ended' });
      // Bob's session goes on.
      await bob.expectNothing(200, (message) => message.type === 'error' || message.type === 'complete');
      assert.equal(bob.ws.readyState, bob.ws.OPEN);
      bob.close();
    });

    it('a spent ticket is refused (4403)', async () => {
      const running = app as Running;
      const cookie = await signIn(running, 'carol');
      const ticket = await ticketFor(running, cookie);
      const first = await RawClient.open(running.ws);
      await first.init({ token: ticket });
      const second = await RawClient.open(running.ws);
      second.send({ type: 'connection_init', payload: { token: ticket } });
      assert.equal((await second.waitForClose()).code, 4403);
      first.close();
    });

    it('an upgrade from a foreign Origin is refused, even with a valid cookie', async () => {
      const running = app as Running;
      const cookie = await signIn(running, 'dave');
      await assert.rejects(RawClient.open(running.ws, { origin: 'http://evil.example', headers: { cookie } }), /upgrade refused: 403/);
    });
  });
}
