/**
 * Which modules of src/ are Tessera's own demo app and which are the library:
 * the entry points of package.json's `exports` map and every module they
 * reach are the library; every other module (composition root, HTTP server and
 * routes, demo schema, workers, pages, config, CLIs…) is the demo. Read from
 * the source import graph (type-only imports included). Also rewrites a
 * compiled demo module's imports of entry points into package specifiers
 * (`../index.js` → `tessera`), as a user's copy of the demo would import them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';

/** Module path (relative to the repository, e.g. `src/app.ts`) → the modules of src/ it imports. */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

export interface InternalImport {
  /** The demo module. */
  readonly from: string;
  /** The library module it imports that is not an entry point. */
  readonly imports: string;
}

export interface Split {
  /** The entry points and every module they reach. */
  readonly library: ReadonlySet<string>;
  /** Every other module. */
  readonly demo: readonly string[];
  readonly internalImports: readonly InternalImport[];
}

/** The demo/library split of a graph, and every import of a demo module that goes around the entry points. */
export function split(graph: ImportGraph, entryPoints: readonly string[]): Split {
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

/** Static imports and re-exports, bare imports, dynamic imports; group 1 is the specifier. */
const IMPORT_PATTERNS = [
  /(?:^|[\s;])(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|[\s;])import\s*['"]([^'"]+)['"]/g,
  /import\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** Every import specifier of a module's source (relative or bare), in no particular order. */
export function specifiersOf(source: string): string[] {
  return IMPORT_PATTERNS.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] as string));
}

/** The relative specifiers of a module's imports and re-exports (type-only ones too), as repository paths of .ts files. */
export function importsOf(module: string, source: string): string[] {
  return specifiersOf(source)
    .filter((specifier) => specifier.startsWith('.'))
    .map((specifier) => posix.join(posix.dirname(module), specifier).replace(/\.js$/, '.ts'));
}

/** The import graph of `<root>/src` (every .ts module but declarations). */
export function sourceGraph(root: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) graph.set(path, importsOf(path, readFileSync(join(root, path), 'utf8')));
    }
  };
  walk('src');
  return graph;
}

/** src/ module (e.g. `src/fastify/index.ts`) → its package specifier (`tessera/fastify`), from the `exports` map. */
export function entryPointSpecifiers(root: string): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { import: string }>;
  };
  const entries = new Map<string, string>();
  for (const [key, target] of Object.entries(pkg.exports)) {
    if (typeof target !== 'object') continue;
    const module = posix.normalize(target.import).replace(/^lib\//, 'src/').replace(/\.js$/, '.ts');
    entries.set(module, key === '.' ? pkg.name : `${pkg.name}/${key.replace(/^\.\//, '')}`);
  }
  return entries;
}

/** The src/ modules the package.json `exports` map points to (`./lib/x.js` is compiled from `src/x.ts`). */
export function entryPoints(root: string): string[] {
  return [...entryPointSpecifiers(root).keys()];
}

export interface Rewritten {
  /** The module's source with every import of an entry point replaced by its package specifier. */
  readonly source: string;
  /** The relative imports that point at neither a demo module nor an entry point (as src/ paths). */
  readonly strays: readonly string[];
}

/**
 * Rewrites the imports of one compiled demo module (`module` is its src/ path,
 * e.g. `src/http/server.ts`): an entry point becomes its package specifier, a
 * demo module stays relative, anything else is a stray (left as it is).
 */
export function rewriteImports(
  module: string,
  source: string,
  demo: ReadonlySet<string>,
  specifiers: ReadonlyMap<string, string>,
): Rewritten {
  const strays: string[] = [];
  let rewritten = source;
  for (const pattern of IMPORT_PATTERNS) {
    rewritten = rewritten.replace(pattern, (statement: string, specifier: string) => {
      if (!specifier.startsWith('.')) return statement;
      const target = posix.join(posix.dirname(module), specifier).replace(/\.js$/, '.ts');
      if (demo.has(target)) return statement;
      const replacement = specifiers.get(target);
      if (replacement === undefined) {
        strays.push(target);
        return statement;
      }
      const at = Math.max(statement.lastIndexOf(`'${specifier}'`), statement.lastIndexOf(`"${specifier}"`));
      return `${statement.slice(0, at + 1)}${replacement}${statement.slice(at + 1 + specifier.length)}`;
    });
  }
  return { source: rewritten, strays };
}
