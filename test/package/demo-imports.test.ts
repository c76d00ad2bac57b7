/**
 * Tessera's own app is built on the public API only: every demo module (each
 * module of src/ that no entry point reaches: the composition root, the HTTP
 * server and routes, the demo schema, workers, pages, config, CLIs…) imports
 * library code through an entry point of the package's `exports` map (the
 * src/ file it is compiled from), never an internal module such as
 * src/gateway/engine.ts. Read from the source import graph: pure and fast.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entryPoints, type ImportGraph, importsOf, sourceGraph, split } from '../helpers/demo-modules.js';
import { describe, it } from '../helpers/suite.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the demo app on the public entry points', () => {
  const graph = sourceGraph(ROOT);
  const entries = entryPoints(ROOT);
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
