/** The start-up failure lines (src/startup-problems.ts): each names the fix. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { databaseProblem, explainStartupError, StartupError } from '../../src/startup-problems.js';

const errno = (code: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(`listen ${code}`), { code, ...extra });

describe('start-up failure lines', () => {
  const config = loadConfig({ PORT: '4000', METRICS: '9464' });

  it('names PORT or METRICS for a port in use or forbidden, HOST for a foreign address', () => {
    assert.equal(explainStartupError(errno('EADDRINUSE', { port: 4000 }), config), 'port 4000 is in use: set PORT');
    assert.equal(explainStartupError(errno('EADDRINUSE', { port: 9464 }), config), 'port 9464 is in use: set METRICS');
    assert.equal(explainStartupError(errno('EADDRINUSE'), config), 'port 4000 is in use: set PORT');
    assert.match(explainStartupError(errno('EACCES', { port: 80 }), loadConfig({ PORT: '80' })), /^port 80 needs privileges.*: set PORT to a port above 1023$/);
    assert.equal(explainStartupError(errno('EADDRNOTAVAIL'), loadConfig({ HOST: '10.9.9.9' })), 'HOST 10.9.9.9 is not an address of this machine: set HOST');
    assert.equal(explainStartupError(new StartupError('as it is'), config), 'as it is');
    assert.equal(explainStartupError(new Error('first line\nsecond'), config), 'Tessera failed to start: first line');
  });

  it('says how to create a missing PostgreSQL database, with -h/-p/-U for a remote server', () => {
    const missing = Object.assign(new Error('database "shop" does not exist'), { code: '3D000' });
    assert.equal(databaseProblem(missing, 'postgres://postgres@127.0.0.1:5432/shop', './data'), 'database "shop" does not exist: createdb shop');
    assert.equal(
      databaseProblem(missing, 'postgres://app:secret@db.internal:6432/shop', './data'),
      'database "shop" does not exist: createdb -h db.internal -p 6432 -U app shop',
    );
  });

  it('tells an unreachable server from a refused login, and never prints the password', () => {
    const refused = new AggregateError([errno('ECONNREFUSED'), errno('ECONNREFUSED')], 'connect failed');
    const unreachable = databaseProblem(refused, 'postgres://app:secret@localhost/shop', './data');
    assert.equal(unreachable, 'cannot reach PostgreSQL at localhost:5432 (ECONNREFUSED): start it, or set DATABASE_URL');
    const login = databaseProblem(Object.assign(new Error('password authentication failed'), { code: '28P01' }), 'postgres://app:secret@localhost/shop', './data');
    assert.equal(login, 'PostgreSQL at localhost:5432 refused the login of "app": check the user and password in DATABASE_URL');
    for (const line of [unreachable, login]) assert.doesNotMatch(line, /secret/);
  });

  it('names DATA_DIR when the embedded SQLite file cannot be opened', () => {
    assert.equal(
      databaseProblem(new Error('unable to open database file'), undefined, '/readonly'),
      'cannot open the SQLite database /readonly/tessera.db (unable to open database file): check DATA_DIR',
    );
    assert.equal(databaseProblem(new Error('disk I/O error'), './shop.db', './data'), 'the SQLite database ./shop.db failed: disk I/O error');
  });
});
