/**
 * Browser-test plumbing: Debian's Chromium driven by playwright-core (never a
 * downloaded browser), the web bundle built on demand, a recorder for every
 * request and socket a page opens, and screenshots (into docs/ only when asked).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page, type WebSocket } from 'playwright-core';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The flags this machine needs: no sandbox as root, and no background traffic to Google. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The project root (the folder with package.json), from test/browser or dist/test/browser. */
export const ROOT = ((): string => {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error('no package.json above the browser tests');
  }
})();

/**
 * node:test's `skip` value for the browser suites: a message when Chromium is
 * missing locally. With CI=true nothing is skipped, so a missing browser fails
 * the run (in {@link launch}) instead of passing it quietly.
 */
export function browserSkip(): string | false {
  if (existsSync(CHROMIUM) || process.env['CI'] === 'true') return false;
  const message = `browser tests SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`;
  console.warn(`\n*** ${message} ***\n`);
  return message;
}

/** Builds dist/web when it is missing (`npm test` builds it first; a lone `node --test` may not have). */
export function ensureWebBuilt(): void {
  if (existsSync(join(ROOT, 'dist', 'web', 'demo.html'))) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

export interface LaunchedBrowser {
  readonly browser: Browser;
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Starts Chromium and opens one browser context (one cookie jar). Playwright's
 * `launch` gives every browser a new, empty --user-data-dir of its own and
 * deletes it on close; it adds --headless itself.
 */
export async function launch(viewport = { width: 1280, height: 800 }): Promise<LaunchedBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`);
  }
  ensureWebBuilt();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS.filter((flag) => flag !== '--headless'),
  });
  const context = await browser.newContext({ viewport, deviceScaleFactor: 1, locale: 'en-GB', timezoneId: 'UTC' });
  context.setDefaultTimeout(15_000);
  return { browser, context, close: () => browser.close() };
}

export interface SocketRecord {
  readonly url: string;
  readonly sent: string[];
  readonly received: string[];
  closed: boolean;
  /** `received.length` when the socket closed. */
  receivedAtClose: number | undefined;
}

export interface PageRecorder {
  /** Every HTTP(S) request URL the page made, in order. */
  readonly requests: string[];
  /** Requests that failed (blocked, refused, aborted). */
  readonly failures: string[];
  /** Every WebSocket the page opened, with its frames. */
  readonly sockets: SocketRecord[];
  /** Console errors, including Content-Security-Policy violations. */
  readonly consoleErrors: string[];
}

/** Records every request, socket, frame and console error of a page, from now on. */
export function record(page: Page): PageRecorder {
  const recorder: PageRecorder = { requests: [], failures: [], sockets: [], consoleErrors: [] };
  page.on('request', (request) => recorder.requests.push(request.url()));
  page.on('requestfailed', (request) => recorder.failures.push(`${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('console', (message) => {
    if (message.type() === 'error') recorder.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => recorder.consoleErrors.push(`pageerror: ${error.message}`));
  page.on('websocket', (socket: WebSocket) => {
    const entry: SocketRecord = { url: socket.url(), sent: [], received: [], closed: false, receivedAtClose: undefined };
    recorder.sockets.push(entry);
    socket.on('framesent', (frame) => entry.sent.push(String(frame.payload)));
    socket.on('framereceived', (frame) => entry.received.push(String(frame.payload)));
    socket.on('close', () => {
      entry.closed = true;
      entry.receivedAtClose = entry.received.length;
    });
  });
  return recorder;
}

/** The `next` payloads a socket received for a field, as numbers or objects. */
export function nextValues(socket: SocketRecord, field: string): unknown[] {
  const values: unknown[] = [];
  for (const frame of socket.received) {
    const message = JSON.parse(frame) as { type?: string; payload?: { data?: Record<string, unknown> } };
    if (message.type === 'next' && message.payload?.data !== undefined && field in message.payload.data) {
      values.push(message.payload.data[field]);
    }
  }
  return values;
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `timeoutMs`. */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Where screenshots go: docs/ (committed, shown in the README) only with
 * UPDATE_SCREENSHOTS=1, else the git-ignored .tmp/screenshots/, so that a test
 * run never modifies a tracked file.
 */
export function screenshotDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['UPDATE_SCREENSHOTS'] === '1' ? join(ROOT, 'docs') : join(ROOT, '.tmp', 'screenshots');
}

/** Writes a screenshot of the page to {@link screenshotDir}/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const path = join(screenshotDir(), `${name}.png`);
  mkdirSync(dirname(path), { recursive: true });
  await page.screenshot({ path, animations: 'disabled', caret: 'hide' });
  return path;
}
