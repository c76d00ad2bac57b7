/**
 * Tessera's own app is built on the public API only: every demo module (each
 * module of src/ that no entry point reaches: the composition root, the HTTP
 * server and routes, the demo schema, workers, pages, config, CLIs…) imports
 * library code through an entry point of the package's `exports` map (the
 * src/ file it is compiled from), never an internal module such as
 * src/gateway/engine.ts. Read from the source import graph: pure and fast.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from '../helpers/suite.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Module path (relative to the repository, e.g. `src/app.ts`) → the modules of src/ it imports. */
type ImportGraph = ReadonlyMap<string, readonly string[]>;

interface InternalImport {
  /** The demo module. */
  readonly from: string;
  /** The library module it imports that is not an entry point. */
  readonly imports: string;
}

interface Split {
  /** The entry points and every module they reach. */
  readonly library: ReadonlySet<string>;
  /** Every other module. */
  readonly demo: readonly string[];
  readonly internalImports: readonly InternalImport[];
}

/** The demo/library split of a graph, and every import of a demo module that goes around the entry points. */
function split(graph: ImportGraph, entryPoints: readonly string[]): Split {
  const library = new Set<string>();
  const pending = [...entryPoints];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (library.has(next)) continue;
    library.add(next);
    pending.push(...(graph.get(next) ?? []));
  }
  const entries = new Set(entryPoints);
  const demo = [...graph.keys()].filter((module) => !library.has(module)).sort();
  const internalImports = demo.flatMap((from) =>
    (graph.get(from) ?? []).filter((target) => library.has(target) && !entries.has(target)).map((imports) => ({ from, imports })),
  );
  return { library, demo, internalImports };
}

const IMPORT_PATTERNS = [
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g,
  /import\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** The relative specifiers of a module's imports and re-exports (type-only ones too), as repository paths of .ts files. */
function importsOf(module: string, source: string): string[] {
  const found: string[] = [];
  for (const pattern of IMPORT_PATTERNS) {
    for (const match of source.matchAll(pattern)) {
      const specifier = match[1] as string;
      if (!specifier.startsWith('.')) continue;
      found.push(posix.join(posix.dirname(module), specifier).replace(/\.js$/, '.ts'));
    }
  }
  return found;
}

function sourceGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) graph.set(path, importsOf(path, readFileSync(join(ROOT, path), 'utf8')));
    }
  };
  walk('src');
  return graph;
}

/** The src/ modules the package.json `exports` map points to (`./lib/x.js` is compiled from `src/x.ts`). */
function entryPoints(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { import: string }> };
  return Object.values(pkg.exports)
    .filter((target): target is { import: string } => typeof target === 'object')
    .map((target) => posix.normalize(target.import).replace(/^lib\//, 'src/').replace(/\.js$/, '.ts'));
}

describe('the demo app on the public entry points', () => {
  const graph = sourceGraph();
  const entries = entryPoints();
  const { demo, internalImports } = split(graph, entries);

  it('reads every entry point and a real graph', () => {
    assert.equal(entries.length, 8);
    for (const entry of entries) assert.ok(graph.has(entry), `${entry} (from package.json exports) exists`);
    assert.ok((graph.get('src/app.ts') ?? []).length > 10, 'the composition root has imports');
  });

  it('counts the composition root, HTTP routes, schema, workers, pages and CLIs as demo modules', () => {
    for (const module of [
      'src/app.ts',
      'src/main.ts',
      'src/admin.ts',
      'src/migrate.ts',
      'src/admin/admin-command.ts',
      'src/config/config.ts',
      'src/http/server.ts',
      'src/http/graphql-route.ts',
      'src/http/session-cookie.ts',
      'src/graphql/schema.ts',
      'src/graphql/type-defs.ts',
      'src/graphql/context.ts',
      'src/graphql/topics.ts',
      'src/workers/user-count-worker.ts',
      'src/workers/user-count-delivery.ts',
      'src/web/register-web.ts',
      'src/cluster/infrastructure.ts',
      'src/startup-problems.ts',
    ]) {
      assert.ok(demo.includes(module), `${module} is a demo module (no entry point reaches it)`);
    }
  });

  it('every demo module imports library code only through an entry point', () => {
    assert.deepEqual(
      internalImports.map(({ from, imports }) => `${from} -> ${imports}`),
      [],
      `import these through an entry point (${entries.join(', ')}), export them from one, or move them into the demo`,
    );
  });

  it('the check finds a demo module that imports an internal module (a fabricated graph)', () => {
    const fabricated: ImportGraph = new Map([
      ['src/index.ts', ['src/gateway/engine.ts']],
      ['src/gateway/engine.ts', []],
      ['src/app.ts', ['src/index.ts', 'src/gateway/engine.ts', 'src/workers/worker.ts']],
      ['src/workers/worker.ts', ['src/index.ts']],
    ]);
    const result = split(fabricated, ['src/index.ts']);
    assert.deepEqual(result.demo, ['src/app.ts', 'src/workers/worker.ts']);
    assert.deepEqual(result.internalImports, [{ from: 'src/app.ts', imports: 'src/gateway/engine.ts' }]);
  });

  it('reads type-only, multi-line, re-export and dynamic imports', () => {
    const source = [
      "import type { Engine } from './gateway/engine.js';",
      'import {',
      '  a,',
      '  b,',
      "} from '../pubsub/bus.js';",
      "export { c } from './security/csrf.js';",
      "const d = await import('./sse/sse-handler.js');",
      "import 'fastify';",
    ].join('\n');
    assert.deepEqual(importsOf('src/http/x.ts', source).sort(), [
      'src/http/gateway/engine.ts',
      'src/http/security/csrf.ts',
      'src/http/sse/sse-handler.ts',
      'src/pubsub/bus.ts',
    ]);
  });
});
