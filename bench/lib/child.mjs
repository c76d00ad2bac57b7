/**
 * A forked process spoken to with request/reply messages over IPC: the
 * orchestrators (run.mjs, scripts/reconnect-storm.mjs, scripts/soak.mjs) drive
 * server and load-generator processes with it.
 */
import { fork } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export class Child {
  #next = 0;
  #pending = new Map();
  constructor(process, onEvent = () => {}) {
    this.process = process;
    this.exited = new Promise((resolve) => process.once('exit', resolve));
    process.on('message', (message) => {
      if (message.id !== undefined && this.#pending.has(message.id)) {
        const { resolve, reject } = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error !== undefined) reject(new Error(message.error));
        else resolve(message);
      } else onEvent(message);
    });
    this.exited.then((code) => {
      for (const { reject } of this.#pending.values()) reject(new Error(`process exited (${code})`));
      this.#pending.clear();
    });
  }
  /**
   * Forks `script`. `cpus` (e.g. '0'), when given, starts it under `taskset -c cpus` (Linux,
   * util-linux): the process and every thread it starts run on those CPUs only, from its
   * first instruction on (no window before a pin by pid).
   */
  static async start(script, { execArgv = [], env = {}, onEvent, cpus } = {}) {
    const launch = cpus === undefined ? { execArgv } : { execPath: 'taskset', execArgv: ['-c', cpus, process.execPath, ...execArgv] };
    const proc = fork(script, [], { cwd: root, ...launch, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let ready;
    const child = new Child(proc, (message) => (message.ready ? ready(message) : onEvent?.(message)));
    const hello = await Promise.race([
      new Promise((resolve) => (ready = resolve)),
      child.exited.then((code) => Promise.reject(new Error(`${script} exited (${code}) before it was ready`))),
    ]);
    child.hello = hello;
    return child;
  }
  request(cmd, args = {}, timeoutMs = 600_000) {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${cmd} timed out`));
      }, timeoutMs);
      this.#pending.set(id, {
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      this.process.send({ id, cmd, ...args });
    });
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The other side, in the forked process: answers each `{ id, cmd, … }` request with
 * `handlers[cmd](message)`'s result (or its error), exits when the parent goes, and says
 * it is ready.
 */
export function serveRequests(handlers) {
  process.on('message', (message) => {
    handlers[message.cmd](message).then(
      (result) => process.send({ id: message.id, ...result }),
      (error) => process.send({ id: message.id, error: String(error?.stack ?? error) }),
    );
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}
