#!/usr/bin/env node
/**
 * `npm run attack`: runs each attack class of the hardening issue at scale
 * against a real Tessera with default settings (a fresh process per attack,
 * on 127.0.0.0/8 only), while a bystander keeps using the server, and prints
 * the server's own peak RSS, peak heap and worst event-loop delay next to its
 * idle baseline. Writes the figures as JSON to the system's temp folder.
 *
 *   node scripts/attack.mjs [--only=login-flood,guessing,...] [--quick]
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as attacks from './attack/attacks.mjs';
import { Bystander, sleep, Target } from './attack/lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const CLASSES = {
  'login-flood': { run: attacks.loginFlood, quick: { requests: 3000 } },
  guessing: { run: attacks.distributedGuessing, quick: {} },
  'aliased-register': { run: attacks.aliasedRegistration, quick: { concurrent: 4 } },
  introspection: { run: attacks.introspectionCpu, quick: { seconds: 3 } },
  documents: { run: attacks.distinctDocuments, quick: { accounts: 1, socketsPerAccount: 4 } },
  'unread-results': { run: attacks.unreadResults, quick: { sockets: 20 } },
  'slow-bodies': { run: attacks.slowBodies, quick: { connections: 100, seconds: 5 } },
};

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
for (const name of only ?? []) if (!(name in CLASSES)) throw new Error(`unknown attack ${name}; known: ${Object.keys(CLASSES).join(', ')}`);
const selected = Object.keys(CLASSES).filter((name) => only === undefined || only.includes(name));

const mb = (bytes) => (bytes / 2 ** 20).toFixed(0);
const rows = [];

for (const name of selected) {
  const target = await Target.start(root);
  const bystander = new Bystander(target);
  try {
    await bystander.signIn();
    // Idle baseline: the same server, with only the bystander, for three seconds.
    await target.gc();
    await target.reset();
    bystander.start();
    await sleep(3000);
    const idle = await target.stats();
    const idleBystander = await bystander.stop();

    await target.reset();
    bystander.start();
    const started = Date.now();
    process.stdout.write(`${name}: running… `);
    const result = await CLASSES[name].run(target, quick ? CLASSES[name].quick : {});
    const seconds = (Date.now() - started) / 1000;
    const during = target.alive ? await target.stats() : undefined;
    const seen = await bystander.stop();
    process.stdout.write(`${seconds.toFixed(1)} s\n`);
    rows.push({ name, seconds, idle, idleBystander, during, bystander: seen, alive: target.alive, result });
  } catch (error) {
    process.stdout.write(`failed: ${error.message}\n`);
    rows.push({ name, error: error.message, alive: target.alive });
  } finally {
    await target.stop();
  }
}

console.log('\n| attack | peak RSS MB (idle) | peak heap MB (idle) | worst loop delay ms (idle) | bystander: worst /healthz ms, failed | server |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) {
  if (row.error !== undefined) {
    console.log(`| ${row.name} | | | | | error: ${row.error} |`);
    continue;
  }
  const d = row.during;
  console.log(
    `| ${row.name} | ${d ? mb(d.peakRss) : '-'} (${mb(row.idle.peakRss)}) | ${d ? mb(d.peakHeap) : '-'} (${mb(row.idle.peakHeap)}) | ` +
      `${d ? d.maxLoopDelayMs.toFixed(0) : '-'} (${row.idle.maxLoopDelayMs.toFixed(0)}) | ` +
      `${row.bystander.health.worstMs.toFixed(0)}, ${row.bystander.health.failed + row.bystander.query.failed} of ${row.bystander.health.count + row.bystander.query.count} | ` +
      `${row.alive ? 'alive' : 'DEAD'} |`,
  );
}
console.log('\nWhat each attack got:');
for (const row of rows) if (row.result !== undefined) console.log(`- ${row.name} (${row.seconds.toFixed(0)} s): ${JSON.stringify(row.result)}`);

const out = join(tmpdir(), `tessera-attack-${Date.now()}.json`);
writeFileSync(out, JSON.stringify(rows, null, 2));
console.log(`\nFigures: ${out}`);
process.exitCode = rows.every((row) => row.error === undefined && row.alive) ? 0 : 1;
