/**
 * CPU of one request's GraphQL work (prepare, execute, size check, serialize)
 * for the heaviest documents we know of, in-process, on the compiled server
 * (`npx tsc -p tsconfig.json` first): `node scripts/cost-probe.mjs`.
 *
 * "before" is what the server did before the cost limits and the
 * introspection cache (parse with locations, the specified rules and the depth
 * limit, execute, JSON.stringify); "after" is `DocumentCache.prepare` and
 * `runOperation` at the default limits, on a cold cache (a source never seen:
 * what an attacker varying the document gets) and warm (the same request again).
 * Each figure is the median of several runs, in milliseconds of this
 * process's CPU time (process.cpuUsage: user + system), so that other load on
 * the machine does not count.
 */
import { execute, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { depthLimit } from '../dist/src/graphql/depth-limit.js';
import { DocumentCache, selectOperation } from '../dist/src/graphql/document-cache.js';
import { responseTooLarge, runOperation } from '../dist/src/graphql/run-operation.js';
import { createSchema } from '../dist/src/graphql/schema.js';

const schema = createSchema();
const limits = { maxBytes: 16 * 1024, maxDepth: 12, maxTokens: 2000 };
const context = { transport: 'http', auth: undefined, client: { ip: '127.0.0.1', userAgent: undefined }, cookies: undefined, services: {} };
const MAX_RESPONSE_BYTES = 1024 * 1024;
const RUNS = Number(process.env.RUNS ?? 7);

const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
let salt = 0;

function before(source) {
  const started = cpuMs();
  const document = parse(source, { maxTokens: 100_000 });
  const errors = validate(schema, document, [...specifiedRules, depthLimit(12)]);
  let bytes = 0;
  if (errors.length === 0) {
    const result = execute({ schema, document, contextValue: context });
    bytes = JSON.stringify(result).length;
  } else bytes = JSON.stringify({ errors }).length;
  return { ms: cpuMs() - started, bytes };
}

async function after(cache, source) {
  const started = cpuMs();
  const prepared = cache.prepare(source);
  let outcome;
  if (!prepared.ok) outcome = `refused: ${prepared.errors[0]?.message.slice(0, 70)}`;
  else {
    const operation = selectOperation(prepared.prepared, undefined);
    const result = await runOperation({ schema, documents: cache, prepared: prepared.prepared, operation, operationName: undefined, variables: undefined, contextValue: context });
    const tooLarge = responseTooLarge(result, MAX_RESPONSE_BYTES);
    outcome = tooLarge === undefined ? `${JSON.stringify(result).length} bytes` : 'RESPONSE_TOO_LARGE';
  }
  return { ms: cpuMs() - started, outcome };
}

const introspection = getIntrospectionQuery();
const fullType = introspection.slice(introspection.indexOf('fragment FullType'));
const cases = {
  'standard introspection query': () => introspection,
  // The issue's attack: 250 aliases of __schema spreading the standard query's fragments (5.7 KB).
  '250 aliased __schema { ...FullType }': () =>
    `{ ${Array.from({ length: 250 }, (_, i) => `a${i}:__schema{...S}`).join(' ')} } fragment S on __Schema { types { ...FullType } } ${fullType}`,
  // At every default limit: 3 introspections, 30 aliases, 20 root fields, ~500 fields, near 2000 tokens.
  'at every limit: 3 __type(…) { ...FullType } + 17 root fields': () =>
    `{ ${['Query', 'Mutation', '__Type'].map((name, i) => `t${i}: __type(name: "${name}") { ...FullType }`).join(' ')} ` +
    `${Array.from({ length: 17 }, (_, i) => `m${i}: accountsMe { user { id email name createdAt } token }`).join(' ')} } ` +
    fullType.replace(/fragment InputValue[\s\S]*/, '') +
    ` fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue } ` +
    fullType.slice(fullType.indexOf('fragment TypeRef')),
  'at every limit: 3 full __schema walks': () =>
    `{ a: __schema { types { name fields { name args { name type { name } } type { name kind ofType { name kind ofType { name } } } } inputFields { name } enumValues { name } } } ` +
    `b: __schema { types { name fields { name args { name type { name } } type { name kind ofType { name kind ofType { name } } } } } } ` +
    `c: __schema { directives { name args { name type { name } } } types { name description fields { name description } } } }`,
  // Overlapping-fields validation is quadratic in fields of one response name: 500 of them.
  // Overlapping fields is quadratic in the fields sharing a response path: the worst shapes under MAX_FIELDS.
  '12 x types { 11 x fields { name } } (277 fields)': () => `{ __schema { ${`types { ${'fields { name } '.repeat(11)}} `.repeat(12)}} }`,
  '12 x types { 11 x fields { name } } + an unknown field (invalid)': () => `{ __schema { ${`types { ${'fields { name } '.repeat(11)}} `.repeat(12)}nope } }`,
  '99 x types { fields { name } } (298 fields)': () => `{ __schema { ${'types { fields { name } } '.repeat(99)}} }`,
  '20 x accountsMe { user { 13 x email } } (300 fields)': () => `{ ${`accountsMe { user { ${'email '.repeat(13)}} } `.repeat(20)}}`,
  // Over the limits: refused by the linear cost rules, before the quadratic ones run.
  '22 x types { 21 x fields { name } } (over MAX_FIELDS)': () => `{ __schema { ${`types { ${'fields { name } '.repeat(21)}} `.repeat(22)}} }`,
  '166 identical nested selections (over MAX_ROOT_FIELDS)': () => `{ ${'accountsMe { user { email } } '.repeat(166)}}`,
  // Over the field limit: refused by the cost rules, before the quadratic rules run.
  '1990 identical fields (over MAX_FIELDS)': () => `{ ${'__typename '.repeat(1990)}}`,
  'fragments spreading the next twice (x2^24)': () => {
    let source = '{ ...F0 }';
    for (let i = 0; i < 24; i++) source += ` fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`;
    return `${source} fragment F24 on Query { __typename }`;
  },
};

for (const [name, make] of Object.entries(cases)) {
  const source = make();
  const tokens = parse(source, { maxTokens: 100_000 }).tokenCount;
  const beforeRuns = [];
  let beforeBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const run = before(`${source}\n# ${salt++}`);
    beforeRuns.push(run.ms);
    beforeBytes = run.bytes;
  }
  const cold = [];
  let outcome = '';
  const cache = new DocumentCache(schema, limits);
  for (let i = 0; i < RUNS; i++) {
    const run = await after(cache, `${source}\n# ${salt++}`);
    cold.push(run.ms);
    outcome = run.outcome;
  }
  const warm = [];
  const fixed = `${source}\n# ${salt++}`;
  await after(cache, fixed);
  for (let i = 0; i < RUNS; i++) warm.push((await after(cache, fixed)).ms);
  console.log(
    `${name} (${Buffer.byteLength(source)} B, ${tokens} tokens)\n` +
      `  before: ${median(beforeRuns).toFixed(1)} ms, ${beforeBytes} B out\n` +
      `  after:  cold ${median(cold).toFixed(1)} ms (max ${Math.max(...cold).toFixed(1)}), warm ${median(warm).toFixed(2)} ms; ${outcome}`,
  );
}
