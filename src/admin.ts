/**
 * `npm run admin -- grant <email> | revoke <email> | list` against the
 * configured database (DATABASE_URL, as `npm start`): results on stdout,
 * errors on stderr, and for each change an audit line (pino JSON, on stderr,
 * whatever LOG_LEVEL) naming the account, the operating-system user and host.
 */
import { hostname, userInfo } from 'node:os';
import { destination } from 'pino';
import { runAdminCommand } from './admin/admin-command.js';
import { ConfigError, loadConfig } from './config/config.js';
import { createLogger } from './logging/logger.js';
import { openStore } from './store/database.js';
import { migrateToLatest, UsersRepo } from './accounts/index.js';

function operator(): string {
  try {
    return process.env['SUDO_USER'] ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}

let code: number;
try {
  const config = loadConfig();
  const store = openStore(config.databaseUrl, config.dataDir);
  try {
    // The role column comes with a migration: bring the database up to date as `npm start` would.
    await migrateToLatest(store.db);
    const audit = createLogger('info', destination({ dest: 2, sync: true })).child({ component: 'admin' });
    code = await runAdminCommand(process.argv.slice(2), new UsersRepo(store.db), {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
      audit: (entry, message) => audit.info({ audit: entry.action, userId: entry.userId, email: entry.email, operator: operator(), host: hostname(), store: store.description }, message),
      now: Date.now,
    });
  } finally {
    await store.close();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `admin failed: ${(error as Error).message}`}\n`);
  code = 1;
}
process.exitCode = code;
