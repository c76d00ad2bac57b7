/**
 * The web routes without a browser: which responses carry the page headers
 * (the pages and their assets, never the API), the socket origin in
 * connect-src, a fresh style nonce per page, and a clear 503 when the pages
 * were never built.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Fastify from 'fastify';
import { OriginPolicy } from '../../src/security/origin-policy.js';
import { NONCE_PLACEHOLDER, registerWeb, socketOriginFor } from '../../src/web/register-web.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { ensureWebBuilt } from './browser.js';

/** GET with a chosen Host header (fetch will not send one). */
function get(url: string, host?: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(url, { headers: host === undefined ? {} : { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

const connectSrc = (csp: unknown): string => String(csp).split(';').find((part) => part.startsWith('connect-src')) ?? '';

describe('web routes', () => {
  let server: TestServer;

  before(async () => {
    ensureWebBuilt();
    server = await startServer();
  });

  after(async () => {
    await server?.close();
  });

  test('the pages and their assets carry CSP, nosniff and DENY; the API and health check do not', async () => {
    for (const path of ['/', '/graphiql', '/graphiql/', '/assets/demo.js', '/assets/graphiql.css']) {
      const response = await get(`${server.url}${path}`);
      assert.equal(response.status, 200, path);
      assert.match(String(response.headers['content-security-policy']), /default-src 'self'/, path);
      assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/, path);
      assert.equal(response.headers['x-content-type-options'], 'nosniff', path);
      assert.equal(response.headers['x-frame-options'], 'DENY', path);
    }
    assert.match(String((await get(`${server.url}/`)).headers['content-type']), /^text\/html/);
    assert.match(String((await get(`${server.url}/assets/demo.js`)).headers['content-type']), /javascript/);
    for (const path of ['/healthz', '/graphql?query=%7B__typename%7D']) {
      const response = await get(`${server.url}${path}`);
      assert.equal(response.headers['content-security-policy'], undefined, path);
    }
    assert.equal((await get(`${server.url}/assets/missing.js`)).status, 404);
  });

  test('connect-src names the socket of an allowed host, and nothing for a foreign Host header', async () => {
    const own = await get(`${server.url}/`);
    assert.equal(connectSrc(own.headers['content-security-policy']), `connect-src 'self' ws://127.0.0.1:${server.port}`);
    const localhost = await get(`${server.url}/`, `localhost:${server.port}`);
    assert.equal(connectSrc(localhost.headers['content-security-policy']), `connect-src 'self' ws://localhost:${server.port}`);
    const foreign = await get(`${server.url}/`, 'evil.example;script-src *');
    assert.equal(connectSrc(foreign.headers['content-security-policy']), `connect-src 'self'`);

    const origins = new OriginPolicy(['https://tessera.example', 'http://127.0.0.1:4000']);
    assert.equal(socketOriginFor('tessera.example', origins), 'wss://tessera.example');
    assert.equal(socketOriginFor('127.0.0.1:4000', origins), 'ws://127.0.0.1:4000');
    assert.equal(socketOriginFor('127.0.0.1:4001', origins), undefined);
    assert.equal(socketOriginFor(undefined, origins), undefined);
  });

  test('GraphiQL gets a fresh style nonce per response, the same in its header and its page', async () => {
    const nonces = [];
    for (let i = 0; i < 2; i += 1) {
      const response = await get(`${server.url}/graphiql`);
      const header = /'nonce-([^']+)'/.exec(String(response.headers['content-security-policy']))?.[1];
      const meta = /<meta name="csp-nonce" content="([^"]+)"/.exec(response.body)?.[1];
      assert.ok(header !== undefined && header === meta, `header ${header} = page ${meta}`);
      assert.ok(!response.body.includes(NONCE_PLACEHOLDER));
      assert.equal(response.headers['cache-control'], 'no-store', 'never reuse a page with an old nonce');
      assert.doesNotMatch(String(response.headers['content-security-policy']).split(';').find((d) => d.startsWith('script-src')) ?? '', /nonce/);
      nonces.push(header);
    }
    assert.notEqual(nonces[0], nonces[1]);
  });

  test('without a build, the pages answer 503 saying how to build them; a build made later is served', async () => {
    const webDir = mkdtempSync(join(tmpdir(), 'tessera-no-web-'));
    const app = Fastify();
    await registerWeb(app, { origins: new OriginPolicy([]), webDir });
    const response = await app.inject({ method: 'GET', url: '/graphiql' });
    assert.equal(response.statusCode, 503);
    assert.match(response.body, /npm run build:web/);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');

    mkdirSync(join(webDir, 'assets'));
    writeFileSync(join(webDir, 'demo.html'), '<!doctype html><title>demo</title>');
    writeFileSync(join(webDir, 'assets', 'demo.js'), 'export {};');
    assert.equal((await app.inject({ method: 'GET', url: '/' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: '/assets/demo.js' })).statusCode, 200);
    await app.close();
  });
});
