/** Starts a real Tessera on a free port for a test, with its log lines captured. */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTessera, type Tessera } from '../../src/app.js';
import { loadConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/logging/logger.js';
import { type Backend, sqlite } from './backends.js';

export interface TestServer {
  readonly tessera: Tessera;
  readonly url: string;
  readonly wsUrl: string;
  readonly port: number;
  /** Every log line written so far, as raw JSON text. */
  readonly logs: string[];
  close(): Promise<void>;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export const TEST_TICKET_SECRET = 'test-ticket-secret-0123456789abcdef0123456789';

/**
 * @param env configuration as environment variables, over test defaults
 *   (free port, fresh database, generous auth rate limits, worker off)
 */
export async function startServer(env: Record<string, string> = {}, backend: Backend = sqlite): Promise<TestServer> {
  const database = env['DATABASE_URL'] === undefined ? await backend.create() : { url: env['DATABASE_URL'], drop: async () => {} };
  const port = env['PORT'] === undefined ? await freePort() : Number(env['PORT']);
  const config = loadConfig({
    HOST: '127.0.0.1',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-data-')),
    TICKET_SECRETS: TEST_TICKET_SECRET,
    AUTH_RATE_LIMIT_PER_IP: '100000',
    AUTH_RATE_LIMIT_PER_EMAIL: '100000',
    AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS: '100000',
    AUTH_RATE_LIMIT_PER_DEVICE: '100000',
    USER_COUNT_INTERVAL_MS: '0',
    LOG_LEVEL: 'info',
    ...env,
    PORT: String(port),
    DATABASE_URL: database.url,
  });
  const logs: string[] = [];
  const logger = createLogger(config.logLevel, { write: (line: string) => void logs.push(line) });
  const tessera = await startTessera(config, logger);
  return {
    tessera,
    url: tessera.url,
    wsUrl: `${tessera.url.replace(/^http/, 'ws')}/graphql`,
    port,
    logs,
    close: async () => {
      await tessera.close();
      await database.drop();
    },
  };
}
