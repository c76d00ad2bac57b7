/**
 * node:test's describe/it/hooks, with a suite-level `skip` that is counted.
 *
 * node 20 prints a suite given `{ skip }` as skipped but runs none of its
 * tests, so the summary says `# skipped 0` and a missing PostgreSQL or
 * Chromium goes unnoticed. Here a skipped suite is declared as usual, but every
 * test in it is skipped with the suite's reason (each is counted in
 * `# skipped`), and its hooks are not registered (no server is started for
 * tests that will not run). Use these in place of node:test's.
 */
import * as nodeTest from 'node:test';

type Fn = nodeTest.TestFn;
type SuiteFn = nodeTest.SuiteFn;
type HookFn = Parameters<typeof nodeTest.before>[0];
type HookOptions = Parameters<typeof nodeTest.before>[1];

/** The reason the suite being declared is skipped, or false. Suites are declared synchronously. */
let skipping: string | false = false;

function reasonOf(skip: boolean | string | undefined): string | false {
  if (skip === undefined || skip === false) return false;
  return skip === true ? 'skipped' : skip;
}

export function describe(name: string, options: nodeTest.TestOptions, fn: SuiteFn): void;
export function describe(name: string, fn: SuiteFn): void;
export function describe(name: string, optionsOrFn: nodeTest.TestOptions | SuiteFn, maybeFn?: SuiteFn): void {
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn;
  const fn = (typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn) as SuiteFn;
  const reason = skipping || reasonOf(options.skip);
  if (reason === false) {
    void nodeTest.describe(name, options, fn);
    return;
  }
  const { skip: _skip, ...rest } = options;
  void nodeTest.describe(name, rest, (suite) => {
    const outer = skipping;
    skipping = reason;
    try {
      void fn(suite);
    } finally {
      skipping = outer;
    }
  });
}

export function it(name: string, options: nodeTest.TestOptions, fn?: Fn): void;
export function it(name: string, fn?: Fn): void;
export function it(name: string, optionsOrFn?: nodeTest.TestOptions | Fn, maybeFn?: Fn): void {
  const options = typeof optionsOrFn === 'function' || optionsOrFn === undefined ? {} : optionsOrFn;
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  void nodeTest.it(name, skipping === false ? options : { ...options, skip: skipping }, fn);
}

export const test = it;

function hook(register: (fn: HookFn, options?: HookOptions) => void): (fn: HookFn, options?: HookOptions) => void {
  return (fn, options) => {
    if (skipping === false) register(fn, options);
  };
}

export const before = hook(nodeTest.before);
export const after = hook(nodeTest.after);
export const beforeEach = hook(nodeTest.beforeEach);
export const afterEach = hook(nodeTest.afterEach);
export type { TestContext } from 'node:test';
