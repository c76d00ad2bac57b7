/**
 * `WORKERS=N npm start` on a store nobody migrated yet: the primary migrates it
 * once before forking, so the workers do not race to create the same tables
 * (on SQLite, Kysely's migration lock is per connection, not per file).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { redisSkip, REDIS_URL } from '../helpers/backends.js';
import { spawnTessera } from '../helpers/process.js';
import { TEST_TICKET_SECRET } from '../helpers/server.js';

const WORKERS = 4;

describe('WORKERS on a fresh SQLite file', { skip: await redisSkip() }, () => {
  it(`${WORKERS} workers start on a new data directory, serve, and drain with exit 0`, { timeout: 90_000 }, async () => {
    const tessera = await spawnTessera({
      WORKERS: String(WORKERS),
      REDIS_URL,
      REDIS_KEY_PREFIX: `test-${randomBytes(4).toString('hex')}:`,
      TICKET_SECRETS: TEST_TICKET_SECRET,
    });
    try {
      await tessera.waitForLog((line) => line.msg === 'store migrated for the worker processes', 30_000);
      const deadline = Date.now() + 60_000;
      while (tessera.logs.filter((line) => line.msg === 'Tessera is listening').length < WORKERS && Date.now() < deadline) {
        await tessera.waitForLog((line) => line.msg === 'worker process died; starting another' || line.msg === 'a worker process could not start; stopping', 250).then(
          (line) => assert.fail(`${line.msg}: ${JSON.stringify(tessera.logs)}`),
          () => {}, // no such line yet: keep waiting for the workers
        );
      }
      const listening = tessera.logs.filter((line) => line.msg === 'Tessera is listening');
      assert.equal(listening.length, WORKERS, `every worker started: ${JSON.stringify(tessera.logs.filter((l) => l.level >= 40))}`);
      const migrated = tessera.logs.filter((line) => line.msg === 'store ready').map((line) => line.applied);
      assert.deepEqual(
        migrated.map((applied) => applied.length),
        Array(WORKERS).fill(0),
        'the workers found the schema up to date',
      );
      const health = await fetch(`${tessera.url}/healthz`);
      assert.equal(health.status, 200);
      await health.arrayBuffer();
    } finally {
      const exit = await tessera.stop('SIGTERM');
      assert.deepEqual(exit, { code: 0, signal: null });
    }
  });
});
