/**
 * The seed's restart over SSE, against the real demo app: graphql-sse's client
 * (both modes, a fresh ticket per attempt from its `headers` function) rides out a
 * server restart, since a shutdown ends streams without `complete` (the client
 * retries); then logout ends the stream for good with "session ended".
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type ExecutionResult } from 'graphql-sse';
import { after, before, describe, it } from '../helpers/suite.js';
import { HttpClient } from '../helpers/http-client.js';
import { RestartableServer } from '../helpers/restartable-server.js';

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

describe('GraphQL over SSE through a server restart (graphql-sse client, Node)', () => {
  let server: RestartableServer;
  before(async () => {
    server = await RestartableServer.start({ USER_COUNT_INTERVAL_MS: '200' });
  });
  after(() => server?.close());

  for (const singleConnection of [false, true]) {
    it(`${singleConnection ? 'single connection' : 'distinct connections'}: values, restart → values again with a fresh ticket, logout → "session ended"`, { timeout: 60_000 }, async () => {
      const jar = new HttpClient(server.url);
      await jar.register();
      let tickets = 0;
      const client = createClient({
        url: `${server.url}/graphql`,
        singleConnection,
        retryAttempts: 10,
        retry: () => sleep(300),
        headers: async (): Promise<Record<string, string>> => {
          tickets++;
          return { authorization: `Bearer ${await jar.ticket()}` };
        },
      });
      const results: ExecutionResult[] = [];
      let ended: string | undefined;
      client.subscribe(
        { query: 'subscription { accountsUserCount }' },
        { next: (r) => void results.push(r as ExecutionResult), complete: () => void (ended ??= 'complete'), error: (e) => void (ended ??= `error: ${String(e)}`) },
      );
      const values = () => results.filter((r) => typeof r.data?.['accountsUserCount'] === 'number').length;
      await until('two values', () => values() >= 2);
      const before = values();
      const ticketsBefore = tickets;
      await server.restart();
      await until('values after the restart', () => values() >= before + 2);
      assert.equal(ended, undefined, 'the restart did not end the subscription');
      assert.ok(tickets > ticketsBefore, 'a fresh ticket for the new stream');
      const logout = await jar.gql('mutation { accountsLogout }');
      assert.equal(logout.body.data?.accountsLogout, true);
      await until('the end', () => ended !== undefined);
      assert.equal(ended, 'complete');
      assert.equal(results.at(-1)?.errors?.[0]?.message, 'session ended');
      client.dispose();
    });
  }
});
