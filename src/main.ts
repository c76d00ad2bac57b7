/** `npm start`: reads the configuration, starts Tessera, and stops it cleanly on SIGTERM or SIGINT. */
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logging/logger.js';
import { startTessera } from './app.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const tessera = await startTessera(config, logger);
  logger.info({ url: tessera.url, graphiql: `${tessera.url}/graphiql` }, 'Tessera is listening');

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
