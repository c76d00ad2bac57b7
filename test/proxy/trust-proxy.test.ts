/** Behind a load balancer (TRUST_PROXY), HTTP and the socket upgrade both see the forwarded client address. */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { clientAddressResolver } from '../../src/security/client-address.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { RawClient } from '../helpers/ws-client.js';

const request = (remoteAddress: string, forwarded?: string) =>
  ({ socket: { remoteAddress }, connection: { remoteAddress }, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }) as unknown as IncomingMessage;

describe('TRUST_PROXY', () => {
  it('is off by default: the forwarded header is ignored', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(clientAddressResolver(false)(request('10.0.0.1', '203.0.113.9')), '10.0.0.1');
  });

  it('trusts listed proxies only', () => {
    const resolve = clientAddressResolver(loadConfig({ TRUST_PROXY: '10.0.0.0/8' }).trustProxy);
    assert.equal(resolve(request('10.0.0.1', '203.0.113.9')), '203.0.113.9');
    assert.equal(resolve(request('192.0.2.7', '203.0.113.9')), '192.0.2.7', 'an untrusted peer cannot forge the header');
  });

  it('trusts a number of hops', () => {
    const resolve = clientAddressResolver(loadConfig({ TRUST_PROXY: '1' }).trustProxy);
    assert.equal(resolve(request('10.0.0.1', '198.51.100.1, 203.0.113.9')), '203.0.113.9');
  });

  it('refuses a value that is not a boolean, a count or addresses', () => {
    assert.throws(() => loadConfig({ TRUST_PROXY: 'everyone' }), /TRUST_PROXY/);
  });

  describe('with a real server behind a loopback proxy', () => {
    let server: TestServer;
    before(async () => {
      server = await startServer({ TRUST_PROXY: 'loopback', WS_MAX_CONNECTIONS_PER_IP: '1' });
    });
    after(() => server.close());

    it('applies the per-address socket cap to the forwarded address', async () => {
      const first = await RawClient.open(server.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.1' } });
      const second = await RawClient.open(server.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.2' } });
      await assert.rejects(
        RawClient.open(server.wsUrl, { headers: { 'x-forwarded-for': '203.0.113.1' } }),
        (error: { status?: number }) => error.status === 429,
      );
      first.close();
      second.close();
    });

    it('logs the forwarded address for HTTP requests', async () => {
      await fetch(`${server.url}/healthz`, { headers: { 'x-forwarded-for': '198.51.100.77' } });
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(server.logs.some((line) => line.includes('"remoteAddress":"198.51.100.77"')));
    });
  });
});
