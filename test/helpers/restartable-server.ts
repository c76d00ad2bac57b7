/** A real Tessera that can be restarted on the same port and SQLite file, so that sessions survive the restart. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startServer, type TestServer } from './server.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class RestartableServer {
  server: TestServer | undefined;
  readonly #dir = mkdtempSync(join(tmpdir(), 'tessera-clients-'));
  constructor(readonly port: number, readonly env: Record<string, string> = {}) {}

  static async start(env: Record<string, string> = {}): Promise<RestartableServer> {
    const restartable = new RestartableServer(await freePort(), env);
    await restartable.up();
    return restartable;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.server = await startServer({
      USER_COUNT_INTERVAL_MS: '100',
      ...this.env,
      PORT: String(this.port),
      DATABASE_URL: join(this.#dir, 'tessera.db'),
    });
  }

  async down(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  /** Closes (sockets get 1001) and starts again on the same port; resolves the time the port was closed, in ms. */
  async restart(outageMs = 0): Promise<number> {
    await this.down();
    const closedAt = Date.now();
    if (outageMs > 0) await sleep(outageMs);
    await this.up();
    return Date.now() - closedAt;
  }

  async close(): Promise<void> {
    await this.down();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

