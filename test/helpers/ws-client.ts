/**
 * A tiny raw graphql-transport-ws client for tests: sends frames as given,
 * records what arrives, and can assert that nothing arrives within a window.
 */
import WebSocket from 'ws';

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

export class RawClient {
  readonly messages: any[] = [];
  readonly closed: Promise<Closed>;
  #waiters: (() => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.messages.push(JSON.parse(data.toString()));
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
    ws.on('error', () => {});
  }

  static open(
    url: string,
    options: { protocol?: string | string[]; headers?: Record<string, string>; origin?: string } = {},
  ): Promise<RawClient> {
    const ws = new WebSocket(url, options.protocol ?? 'graphql-transport-ws', {
      headers: options.headers ?? {},
      ...(options.origin === undefined ? {} : { origin: options.origin }),
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new RawClient(ws)));
      ws.once('unexpected-response', (_request, response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => reject(Object.assign(new Error(`upgrade refused: ${response.statusCode}`), { status: response.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /**
   * Sends the messages in one TCP write, so the server reads them in one chunk and handles them in one
   * turn, however loaded the machine is (separate sends may arrive in separate reads). Corks the socket
   * under the WebSocket: ws's own cork/uncork per frame nests inside ours, so nothing is flushed until
   * the last uncork. `_socket` is ws's (8.x, pinned) field for it; test-only.
   */
  sendTogether(messages: readonly unknown[]): void {
    const socket = (this.ws as unknown as { _socket: import('node:net').Socket })._socket;
    socket.cork();
    try {
      for (const message of messages) this.send(message);
    } finally {
      socket.uncork();
    }
  }

  /** Sends connection_init and resolves the answer (ack) or rejects with the close. */
  async init(payload?: Record<string, unknown>): Promise<void> {
    this.send(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload });
    const message = await this.next((m) => m.type === 'connection_ack');
    if (message === undefined) throw new Error(`closed before ack: ${JSON.stringify(await this.closed)}`);
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ id, type: 'subscribe', payload: { query, ...(variables ? { variables } : {}) } });
  }

  /** Resolves the first message (from the start) matching `predicate` and not yet taken; undefined if the socket closes first. */
  async next(predicate: (message: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex(predicate);
      if (index !== -1) return this.messages.splice(index, 1)[0];
      if (this.ws.readyState === WebSocket.CLOSED) return undefined;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no matching message within ${timeoutMs} ms; have ${JSON.stringify(this.messages)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves the close, failing if it does not come within `timeoutMs`. */
  async waitForClose(timeoutMs = 5000): Promise<Closed> {
    return Promise.race([
      this.closed,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no close within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
  }

  /** Fails if any message matching `predicate` arrives within `ms`. */
  async expectNothing(ms: number, predicate: (message: any) => boolean = () => true): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const found = this.messages.find(predicate);
    if (found !== undefined) throw new Error(`unexpected message: ${JSON.stringify(found)}`);
  }

  close(): void {
    this.ws.close();
  }
}
