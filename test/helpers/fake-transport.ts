/** A transport for engine unit tests: records the messages sent (parsed) and the first close. */
import type { Transport } from '../../src/gateway/transport.js';

export class FakeTransport implements Transport {
  readonly sent: unknown[] = [];
  closed: { code: number; reason: string } | undefined;
  bufferedAmount = 0;
  send(frame: string): void {
    this.sent.push(JSON.parse(frame));
  }
  close(code: number, reason: string): void {
    this.closed ??= { code, reason };
  }
}
