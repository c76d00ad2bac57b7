/**
 * With REDIS_URL the sign-in limits are cluster-wide: the counters are Redis
 * keys under REDIS_KEY_PREFIX (INCR + PEXPIRE in one Lua script), shared by
 * every process, instead of one memory table per process. Against the
 * machine's real Redis; in CI it must be there (no skip).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from '../helpers/suite.js'; // counts a skipped suite's tests
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { RedisRateLimiter } from '../../src/accounts/redis-rate-limiter.js';
import { REDIS_URL, redisSkip } from '../helpers/backends.js';
import { HttpClient, uniqueEmail } from '../helpers/http-client.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const skip = await redisSkip();
const newPrefix = () => `test-rl-${randomBytes(4).toString('hex')}:`;

describe('RedisRateLimiter against a real Redis', { skip }, () => {
  let redis: Redis;
  const prefixes: string[] = [];
  before(() => {
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    for (const prefix of prefixes) {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
    }
    redis.disconnect();
  });
  const limiter = (windowSeconds: number) => {
    const prefix = newPrefix();
    prefixes.push(prefix);
    return { prefix, limiter: new RedisRateLimiter(redis, prefix, windowSeconds) };
  };

  it('allows `limit` attempts per key, refuses the next with the time left, and keys expire with the window', async () => {
    const { prefix, limiter: rl } = limiter(60);
    for (let i = 0; i < 3; i++) assert.deepEqual(await rl.hit([{ key: 'ip:a', limit: 3 }]), { allowed: true, retryAfterSeconds: 0 });
    const refused = await rl.hit([{ key: 'ip:a', limit: 3 }]);
    assert.equal(refused.allowed, false);
    assert.ok(refused.retryAfterSeconds >= 59 && refused.retryAfterSeconds <= 60, String(refused.retryAfterSeconds));
    const ttl = await redis.pttl(`${prefix}rate:ip:a`);
    assert.ok(ttl > 55_000 && ttl <= 60_000, `PTTL ${ttl}`);
    assert.equal(await redis.get(`${prefix}rate:ip:a`), '4');
  });

  it('stops at the first refusal: the later rules are neither created nor counted', async () => {
    const { prefix, limiter: rl } = limiter(60);
    const rules = (email: string) => [
      { key: 'ip:x', limit: 1 },
      { key: `email:${email}`, limit: 10 },
    ];
    assert.equal((await rl.hit(rules('first@example.test'))).allowed, true);
    for (let i = 0; i < 20; i++) assert.equal((await rl.hit(rules(`junk${i}@example.test`))).allowed, false);
    assert.deepEqual((await redis.keys(`${prefix}*`)).sort(), [`${prefix}rate:email:first@example.test`, `${prefix}rate:ip:x`]);
  });

  it('lifts when the window ends', async () => {
    const { limiter: rl } = limiter(1);
    assert.equal((await rl.hit([{ key: 'k', limit: 1 }])).allowed, true);
    assert.equal((await rl.hit([{ key: 'k', limit: 1 }])).allowed, false);
    await sleep(1200);
    assert.equal((await rl.hit([{ key: 'k', limit: 1 }])).allowed, true);
  });
});

describe('two servers sharing Redis share the sign-in limits', { skip }, () => {
  const prefix = newPrefix();
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, AUTH_RATE_LIMIT_PER_IP: '4', AUTH_RATE_LIMIT_PER_EMAIL: '3' };
    a = await startServer(env);
    b = await startServer(env);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('uses the Redis limiter, not one per process', () => {
    assert.ok(a.tessera.rateLimiter instanceof RedisRateLimiter);
  });

  it('counts attempts on either node against one limit per email, and per address', async () => {
    const email = uniqueEmail();
    const code = async (server: TestServer, target: string) =>
      (await new HttpClient(server.url).login(target, 'a wrong guess')).body.errors?.[0]?.extensions?.['code'];
    assert.equal(await code(a, email), 'INVALID_CREDENTIALS');
    assert.equal(await code(b, email), 'INVALID_CREDENTIALS');
    assert.equal(await code(a, email), 'INVALID_CREDENTIALS');
    assert.equal(await code(b, email), 'RATE_LIMITED', 'the per-email limit (3) is shared');
    // The address has spent 4 of 4 attempts across both nodes (the refused one counted for it).
    assert.equal(await code(a, uniqueEmail()), 'RATE_LIMITED', 'the per-address limit (4) is shared');
    const limited = await new HttpClient(b.url).login(uniqueEmail(), 'x');
    assert.equal(limited.headers.get('retry-after') !== null, true);
  });
});

describe('while Redis is unreachable', { skip }, () => {
  it('a sign-in is answered 503 SERVICE_UNAVAILABLE (not let through uncounted), and works again when Redis is back', async () => {
    const target = new URL(REDIS_URL);
    const proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 6379) });
    const viaProxy = new URL(REDIS_URL);
    viaProxy.port = String(proxy.port);
    const prefix = newPrefix();
    const server = await startServer({ REDIS_URL: viaProxy.toString(), REDIS_KEY_PREFIX: prefix });
    try {
      const { email, password } = await new HttpClient(server.url).register();
      await proxy.cut();
      const down = await new HttpClient(server.url).login(email, password);
      assert.equal(down.status, 503);
      assert.equal(down.body.errors?.[0]?.extensions?.['code'], 'SERVICE_UNAVAILABLE');
      assert.deepEqual(down.setCookies, []);
      await proxy.open();
      const deadline = Date.now() + 10_000;
      let back = await new HttpClient(server.url).login(email, password);
      while (back.status !== 200 && Date.now() < deadline) {
        await sleep(200);
        back = await new HttpClient(server.url).login(email, password);
      }
      assert.equal(back.body.errors, undefined, JSON.stringify(back.body));
    } finally {
      await server.close();
      await proxy.cut();
      const redis = new Redis(REDIS_URL);
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
    }
  });
});
