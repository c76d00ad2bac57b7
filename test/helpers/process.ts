/** Runs Tessera as a real child process (as `npm start` does), for cluster, signal and config tests. */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './server.js';

/** The compiled entry point when the tests run compiled, else the TypeScript one through tsx. */
/** Stops a child: SIGTERM, then SIGKILL after `graceMs` if it is still running; resolves once it exited. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function mainCommand(): string[] {
  const compiled = fileURLToPath(new URL('../../src/main.js', import.meta.url));
  if (existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', fileURLToPath(new URL('../../src/main.ts', import.meta.url))];
}

export interface TesseraProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  readonly wsUrl: string;
  /** Parsed JSON log lines (stdout). */
  readonly logs: any[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves the first log line (already seen or future) matching `predicate`. */
  waitForLog(predicate: (line: any) => boolean, timeoutMs?: number): Promise<any>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function spawnTessera(env: Record<string, string>): Promise<TesseraProcess> {
  const port = env['PORT'] === undefined ? await freePort() : Number(env['PORT']);
  const child = spawn(process.execPath, mainCommand(), {
    env: {
      PATH: process.env['PATH'] ?? '',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'tessera-proc-')),
      AUTH_RATE_LIMIT_PER_IP: '100000',
      AUTH_RATE_LIMIT_PER_EMAIL: '100000',
      AUTH_RATE_LIMIT_PER_EMAIL_ADDRESS: '100000',
      AUTH_RATE_LIMIT_PER_DEVICE: '100000',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: any[] = [];
  const waiters = new Set<() => void>();
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ raw: line });
      }
    }
    for (const wake of waiters) wake();
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );
  const waitForLog = async (predicate: (line: any) => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = logs.find(predicate);
      if (found !== undefined) return found;
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Tessera exited: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms; stderr: ${stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        waiters.add(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  };
  const url = `http://127.0.0.1:${port}`;
  const processHandle: TesseraProcess = {
    child,
    port,
    url,
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    logs,
    exited,
    waitForLog,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  await waitForLog((line) => line.msg === 'Tessera is listening');
  return processHandle;
}

/** A throwaway redis-server on a free port, which tests may stop and start again. */
export class TestRedis {
  #child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10_000);
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', () => reject(new Error(`redis-server exited: ${out}`)));
    });
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}
