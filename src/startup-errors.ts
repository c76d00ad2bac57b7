/**
 * A start-up failure whose message is already the one plain line to print
 * (the gateway throws one for a misconfigured WebSocket server). The demo
 * app's lines for its own settings (PORT, DATABASE_URL, REDIS_URL…) are in
 * startup-problems.ts.
 */

/** An error whose message is already the line to print. */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
