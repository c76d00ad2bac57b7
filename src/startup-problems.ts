/**
 * Start-up failures as one plain line that says what to do, rather than an
 * errno in the middle of JSON logs: `port 4000 is in use: set PORT`,
 * `database "x" does not exist: createdb x`, an unreachable PostgreSQL or
 * Redis. Pure: `main` prints the line on stderr and exits.
 */
import { StartupError } from './index.js';

export { StartupError };

/** The exit code of a process that could not start: the cluster primary does not replace it (it would fail again). */
export const STARTUP_FAILED_EXIT_CODE = 78; // EX_CONFIG in sysexits.h

interface SystemError {
  code?: unknown;
  port?: unknown;
  address?: unknown;
  message?: unknown;
}

function field(error: unknown, name: keyof SystemError): unknown {
  return typeof error === 'object' && error !== null ? (error as SystemError)[name] : undefined;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET']);

/** Where a postgres:// URL points, without its password. */
function postgresTarget(url: string): { host: string; port: string; user: string } {
  try {
    const parsed = new URL(url);
    return { host: parsed.hostname || 'localhost', port: parsed.port || '5432', user: decodeURIComponent(parsed.username) };
  } catch {
    return { host: 'localhost', port: '5432', user: '' };
  }
}

/** The line for a failure to open or migrate the database at `databaseUrl` (undefined: the embedded SQLite file). */
export function databaseProblem(error: unknown, databaseUrl: string | undefined, dataDir: string): string {
  // A host name with several addresses fails with an AggregateError of one error each.
  const code = field(error, 'code') ?? (error instanceof AggregateError ? field(error.errors[0], 'code') : undefined);
  const message = String(field(error, 'message') ?? error);
  if (databaseUrl !== undefined && /^postgres(ql)?:/i.test(databaseUrl)) {
    const { host, port, user } = postgresTarget(databaseUrl);
    if (code === '3D000') {
      const name = /database "(.+)" does not exist/.exec(message)?.[1] ?? 'tessera';
      const local = ['localhost', '127.0.0.1', '::1'].includes(host) && port === '5432';
      const flags = local ? '' : `-h ${host} -p ${port} ${user === '' ? '' : `-U ${user} `}`;
      return `database "${name}" does not exist: createdb ${flags}${name}`;
    }
    if (code === '28P01' || code === '28000') {
      return `PostgreSQL at ${host}:${port} refused the login${user === '' ? '' : ` of "${user}"`}: check the user and password in DATABASE_URL`;
    }
    if (typeof code === 'string' && UNREACHABLE.has(code)) {
      return `cannot reach PostgreSQL at ${host}:${port} (${code}): start it, or set DATABASE_URL`;
    }
    return `PostgreSQL at ${host}:${port} failed: ${message.split('\n')[0]}`;
  }
  const where = databaseUrl ?? `${dataDir}/tessera.db`;
  const cannotOpen = code === 'SQLITE_CANTOPEN' || code === 'EACCES' || code === 'ENOENT' || code === 'EROFS' || /unable to open/i.test(message);
  if (!cannotOpen) return `the SQLite database ${where} failed: ${message.split('\n')[0]}`;
  return `cannot open the SQLite database ${where} (${message.split('\n')[0]}): check ${databaseUrl === undefined ? 'DATA_DIR' : 'DATABASE_URL'}`;
}

/** The line for a Redis that did not answer at start-up. */
export function redisProblem(safeUrl: string, detail: string): string {
  return `cannot reach Redis at ${safeUrl} (${detail}): start it, or set REDIS_URL`;
}

/** The one line to print for any start-up failure. */
/** What {@link explainStartupError} reads of the Config (config.ts): only these, so the gateway's StartupError does not pull the app's config into the package. */
export interface ListenSettings {
  readonly port: number;
  readonly host: string;
  readonly metrics: 'off' | 'on' | number;
}

export function explainStartupError(error: unknown, config: ListenSettings): string {
  if (error instanceof StartupError) return error.message;
  const code = field(error, 'code');
  const port = typeof field(error, 'port') === 'number' ? (field(error, 'port') as number) : config.port;
  const variable = typeof config.metrics === 'number' && port === config.metrics && port !== config.port ? 'METRICS' : 'PORT';
  if (code === 'EADDRINUSE') return `port ${port} is in use: set ${variable}`;
  if (code === 'EACCES') return `port ${port} needs privileges this process lacks: set ${variable} to a port above 1023`;
  if (code === 'EADDRNOTAVAIL') return `HOST ${config.host} is not an address of this machine: set HOST`;
  const message = error instanceof Error ? error.message : String(error);
  return `Tessera failed to start: ${message.split('\n')[0]}`;
}
