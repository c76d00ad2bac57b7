/**
 * The package as `npm pack` makes it: what it holds, that every entry point of
 * its exports map resolves (types and JavaScript) and loads, and that no entry
 * point reaches the demo app's modules or a package the user was not told to
 * install — checked on the import graph of the emitted files.
 */
import assert from 'node:assert/strict';
import { builtinModules } from 'node:module';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { after, before, describe, it } from '../helpers/suite.js';
import { packTarball, REPO_ROOT, run, unpackBesideRepo, type Packed } from '../helpers/pack.js';

interface ExportTarget {
  readonly types: string;
  readonly import: string;
}

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  exports: Record<string, ExportTarget | string>;
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  files: string[];
};

/** What each entry point must export (api.md); more is allowed. */
const CONTRACT: Record<string, readonly string[]> = {
  '.': ['createGateway', 'declareTopics', 'MemoryBus', 'MemoryReplayGuard', 'TicketIssuer', 'DEFAULT_GATEWAY_LIMITS'],
  './fastify': ['tessera', 'default'],
  './tickets': ['TicketIssuer', 'signTicket', 'verifyTicket', 'MemoryReplayGuard', 'TicketFailure'],
  './redis': ['RedisBus', 'RedisReplayGuard', 'RedisPresence', 'RedisLease'],
  './client': ['createTesseraClient', 'isSessionOver'],
  './sessions/connect': ['connectSessions'],
  './sessions/fastify': ['fastifySessions'],
  './accounts': ['tesseraSessions', 'Accounts', 'Sessions', 'migrateToLatest'],
};

/** Packages beyond `dependencies` an entry point may load: the peers its user installs anyway. */
const PEERS_OF: Record<string, readonly string[]> = {
  '.': ['graphql'],
  './fastify': ['graphql', 'fastify'],
  './tickets': [],
  './redis': [],
  './client': [],
  './sessions/connect': [],
  './sessions/fastify': ['@fastify/cookie'],
  './accounts': ['graphql', 'argon2', 'kysely'],
};

/** The demo app's modules (paths inside lib/): its schema, workers, pages, config, HTTP server, pino logger… */
const DEMO_MODULES = [
  /^(app|main|migrate|admin|startup-problems)\.js$/,
  /^(admin|workers|web|config)\//,
  /^graphql\/(schema|type-defs|context|one-sign-in-rule|topics)\.js$/,
  /^http\/(server|graphql-route|session-cookie|connection-cap)\.js$/,
  /^metrics\/(prometheus|serve|labels|count-rate-limits)\.js$/,
  /^logging\/logger\.js$/,
  /^cluster\/(infrastructure|processes|node-id)\.js$/,
  /^store\/database\.js$/,
];
/** Tessera's accounts: reachable from 'tessera/accounts' only. */
const ACCOUNTS_MODULES = [/^accounts\//, /^store\//, /^sessions\/tessera-sessions\.js$/, /^tickets\/store-replay-guard\.js$/];

const BUILTINS = new Set(builtinModules);
const isBuiltin = (specifier: string) => specifier.startsWith('node:') || BUILTINS.has(specifier);
const packageName = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

const IMPORT_PATTERNS = [
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g,
  /import\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const pattern of IMPORT_PATTERNS) for (const match of source.matchAll(pattern)) found.push(match[1] as string);
  return found;
}

/** Every file an entry file reaches through relative imports, and every package it imports. */
function importGraph(root: string, entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const specifier of specifiersOf(readFileSync(join(root, file), 'utf8'))) {
      if (specifier.startsWith('.')) visit(normalize(join(dirname(file), specifier)));
      else if (!isBuiltin(specifier)) packages.add(packageName(specifier));
    }
  };
  visit(normalize(entry));
  return { files, packages };
}

describe('the packed package', () => {
  let packed: Packed;
  let folder: string;
  let packageRoot: string;
  before(() => {
    packed = packTarball();
    folder = unpackBesideRepo(packed.tarball);
    packageRoot = join(folder, 'node_modules', 'tessera');
  });
  after(() => {
    if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
  });

  it('holds lib/ (JavaScript and declarations), package.json, README.md and CHANGELOG.md, nothing else', () => {
    const outside = packed.files.filter((file) => !file.startsWith('lib/') && !['package.json', 'README.md', 'CHANGELOG.md'].includes(file));
    assert.deepEqual(outside, []);
    for (const required of ['package.json', 'README.md', 'CHANGELOG.md', 'lib/index.js', 'lib/index.d.ts']) assert.ok(packed.files.includes(required), required);
    assert.ok(!packed.files.some((file) => /\.test\.|\.map$|\.ts$/.test(file) && !file.endsWith('.d.ts')), 'no tests, sources or maps');
  });

  it('holds none of the demo app\'s modules at all', () => {
    const lib = packed.files.filter((file) => file.startsWith('lib/')).map((file) => file.slice('lib/'.length).replace(/\.d\.ts$/, '.js'));
    assert.deepEqual(lib.filter((file) => DEMO_MODULES.some((pattern) => pattern.test(file))), []);
  });

  it('graphql is a peer dependency (one copy of graphql-js), not a dependency', () => {
    assert.ok(pkg.peerDependencies['graphql']);
    assert.equal(pkg.dependencies['graphql'], undefined);
    assert.notEqual(pkg.peerDependenciesMeta['graphql']?.optional, true);
  });

  it('every entry point of the exports map is in the tarball, types and JavaScript', () => {
    assert.deepEqual(Object.keys(pkg.exports).filter((key) => key !== './package.json').sort(), Object.keys(CONTRACT).sort());
    for (const [key, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      for (const file of [target.types, target.import]) assert.ok(packed.files.includes(file.replace(/^\.\//, '')), `${key}: ${file}`);
    }
  });

  it('each entry point loads from the installed tarball and has its contract exports', () => {
    const names = Object.keys(CONTRACT).map((key) => (key === '.' ? 'tessera' : `tessera/${key.slice(2)}`));
    const script = `const out = {}; for (const name of ${JSON.stringify(names)}) out[name] = Object.keys(await import(name)); console.log(JSON.stringify(out));`;
    const loaded = JSON.parse(run(process.execPath, ['--input-type=module', '-e', script], folder, 60_000)) as Record<string, string[]>;
    for (const [key, expected] of Object.entries(CONTRACT)) {
      const name = key === '.' ? 'tessera' : `tessera/${key.slice(2)}`;
      for (const exported of expected) assert.ok(loaded[name]?.includes(exported), `${name} exports ${exported} (has ${loaded[name]?.join(', ')})`);
    }
  });

  for (const key of Object.keys(CONTRACT)) {
    it(`${key}: its import graph reaches no demo module, and only declared packages`, () => {
      const target = pkg.exports[key] as ExportTarget;
      const { files, packages } = importGraph(packageRoot, target.import);
      const inLib = [...files].map((file) => relative('lib', file));
      const forbidden = key === './accounts' ? DEMO_MODULES : [...DEMO_MODULES, ...ACCOUNTS_MODULES];
      assert.deepEqual(inLib.filter((file) => forbidden.some((pattern) => pattern.test(file))), [], `${key} reaches demo modules`);
      const allowed = new Set([...Object.keys(pkg.dependencies), ...(PEERS_OF[key] ?? [])]);
      assert.deepEqual([...packages].filter((name) => !allowed.has(name)).sort(), [], `${key} loads packages beyond its dependencies and peers`);
      for (const name of PEERS_OF[key] ?? []) assert.ok(pkg.peerDependencies[name], `${name} is a declared peer`);
      // The declarations too: every package they name is a dependency or a peer.
      const types = importGraph(packageRoot, target.types);
      const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies)]);
      assert.deepEqual([...types.packages].filter((name) => !declared.has(name)).sort(), [], `${key}'s declarations name undeclared packages`);
    });
  }

  it('the declarations type-check in a consumer compiled with NodeNext resolution', () => {
    writeFileSync(
      join(folder, 'consumer.ts'),
      `import { createGateway, declareTopics, type Gateway, type GatewayOptions, type SessionSource } from 'tessera';
import { tessera } from 'tessera/fastify';
import { signTicket, verifyTicket, MemoryReplayGuard } from 'tessera/tickets';
import { RedisBus, RedisReplayGuard } from 'tessera/redis';
import { createTesseraClient } from 'tessera/client';
import { connectSessions } from 'tessera/sessions/connect';
import { fastifySessions } from 'tessera/sessions/fastify';
import { tesseraSessions } from 'tessera/accounts';
import { buildSchema } from 'graphql';

interface Data { cookie?: { expires?: string | null }; userId?: string }
const store = { get(_sid: string, callback: (error: unknown, data?: Data | null) => void) { callback(null, null); } };
const sessions: SessionSource<{ name: string }> = connectSessions({ store, secret: 's', userId: (data: Data) => data.userId, user: () => ({ name: 'n' }) });
const schema = declareTopics(buildSchema('type Query { a: Int } type Subscription { b: Int }'), { b: { scope: 'global', topic: () => 't' } });
const options: GatewayOptions<{ name: string | undefined }, { name: string }> = {
  schema, sessions, origins: ['https://app.example'], context: ({ session }) => ({ name: session?.user?.name }),
};
const gateway: Gateway<{ name: string }> = createGateway(options);
const ticket: string = gateway.issueTicket({ id: 'sid', userId: 'u' });
const fastifySource: SessionSource = fastifySessions({ store, secret: 'x'.repeat(32), userId: (data: Data) => data.userId });
export const used = [tessera, signTicket, verifyTicket, MemoryReplayGuard, RedisBus, RedisReplayGuard, createTesseraClient, tesseraSessions, ticket, fastifySource];
`,
    );
    writeFileSync(
      join(folder, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'], lib: ['ES2022', 'DOM'] }, files: ['consumer.ts'] }),
    );
    run(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], folder, 120_000);
  });
});
