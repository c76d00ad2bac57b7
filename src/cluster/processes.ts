/**
 * `WORKERS=N npm start`: a primary process forks N Tessera processes that
 * share the port (node:cluster hands out connections). Redis carries events
 * between them. A process that dies unexpectedly is replaced; on SIGTERM or
 * SIGINT the primary asks every process to drain and exits 0 when all have.
 */
import cluster from 'node:cluster';
import { STARTUP_FAILED_EXIT_CODE } from '../startup-problems.js';

export function runPrimary(workers: number, log: { info(o: object, m: string): void; warn(o: object, m: string): void }): void {
  let stopping = false;
  const fork = () => cluster.fork();
  for (let i = 0; i < workers; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    if (code === STARTUP_FAILED_EXIT_CODE) {
      // It printed why on stderr; another would fail the same way.
      stopping = true;
      log.warn({ pid: worker.process.pid, code }, 'a worker process could not start; stopping');
      for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGTERM');
      process.exitCode = 1;
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(1);
      return;
    }
    log.warn({ pid: worker.process.pid, code, signal }, 'worker process died; starting another');
    setTimeout(fork, 500).unref();
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'draining worker processes');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
