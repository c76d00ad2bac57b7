/**
 * `npm start`: reads the configuration and starts Tessera (or, with WORKERS=N,
 * N processes sharing the port), and drains cleanly on SIGTERM or SIGINT:
 * stop accepting, close sockets with 1001, finish in-flight requests, exit 0.
 */
import cluster from 'node:cluster';
import { runPrimary } from './cluster/processes.js';
import { type Config, ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logging/logger.js';
import { migrateStore, startTessera } from './app.js';
import { explainStartupError, STARTUP_FAILED_EXIT_CODE } from './startup-problems.js';

function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel);
  if ((process.env['ADMIN_EMAILS'] ?? '').trim() !== '') {
    // Removed: an email list granted the role to whoever registered the address first.
    logger.warn('ADMIN_EMAILS is no longer read and grants nothing: give the admin role with `npm run admin -- grant <email>`');
  }
  if (config.workers > 1 && cluster.isPrimary) {
    // Migrated once, here, before the workers start: N processes migrating one fresh SQLite
    // file at once would race (Kysely's SQLite migration lock is per connection, not per file).
    try {
      const applied = await migrateStore(config);
      logger.info({ applied }, 'store migrated for the worker processes');
    } catch (error) {
      logger.flush();
      process.stderr.write(`${explainStartupError(error, config)}\n`);
      process.exit(1);
    }
    runPrimary(config.workers, logger);
    return;
  }
  let tessera: Awaited<ReturnType<typeof startTessera>>;
  try {
    tessera = await startTessera(config, logger);
  } catch (error) {
    // One plain line with the fix on stderr, not a stack among the JSON logs on stdout. A cluster
    // worker exits with its own code, so that the primary stops rather than replacing it forever.
    logger.flush();
    process.stderr.write(`${explainStartupError(error, config)}\n`);
    process.exit(cluster.isWorker ? STARTUP_FAILED_EXIT_CODE : 1);
  }
  logger.info({ url: tessera.url, graphiql: `${tessera.url}/graphiql`, pid: process.pid }, 'Tessera is listening');

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    tessera.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`Tessera failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
