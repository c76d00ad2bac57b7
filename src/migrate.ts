/** `npm run migrate`: brings the configured database to the newest schema and exits. */
import { ConfigError, loadConfig } from './config/config.js';
import { openStore } from './store/database.js';
import { migrateToLatest } from './accounts/index.js';

try {
  const config = loadConfig();
  const store = openStore(config.databaseUrl, config.dataDir);
  const applied = await migrateToLatest(store.db);
  process.stdout.write(`${store.description}: ${applied.length === 0 ? 'already up to date' : `applied ${applied.join(', ')}`}\n`);
  await store.close();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`}\n`);
  process.exit(1);
}
