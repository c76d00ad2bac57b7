/**
 * A stand-in for an app's own origin in front of Tessera (as a reverse proxy
 * would be): it serves a few test-only files itself and forwards every other
 * request and WebSocket upgrade, byte for byte, to Tessera. So a test page
 * bundled with a client runs same-origin with the API on a real loopback
 * address, and nothing test-only is added to web/ or to the server.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { freePort } from './server.js';

export interface AppProxy {
  readonly url: string;
  close(): Promise<void>;
}

function rawHead(request: IncomingMessage): string {
  const lines = [`${request.method} ${request.url} HTTP/1.1`];
  for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/**
 * @param files path → [content type, body], served by the proxy itself
 * @param upstreamPort Tessera's port on 127.0.0.1 (looked up on every request, so a restart on it is followed)
 */
export async function startAppProxy(
  files: ReadonlyMap<string, readonly [string, string]>,
  upstreamPort: number,
  options: { port?: number; onRequest?: (request: IncomingMessage) => void; onResponse?: (request: IncomingMessage, status: number) => void } = {},
): Promise<AppProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    options.onRequest?.(request);
    const file = files.get((request.url ?? '/').split('?')[0] as string);
    if (file !== undefined) {
      response.writeHead(200, { 'content-type': file[0], 'cache-control': 'no-store' }).end(file[1]);
      return;
    }
    const upstream = httpRequest({ host: '127.0.0.1', port: upstreamPort, method: request.method, path: request.url, headers: request.headers }, (answer) => {
      options.onResponse?.(request, answer.statusCode ?? 502);
      response.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
      answer.pipe(response);
    });
    upstream.on('error', () => {
      if (!response.headersSent) response.writeHead(502).end();
      else response.destroy();
    });
    request.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (request, socket: Socket, head: Buffer) => {
    const upstream = connect(upstreamPort, '127.0.0.1', () => {
      upstream.write(rawHead(request));
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
    sockets.add(upstream);
    upstream.on('close', () => {
      sockets.delete(upstream);
      socket.destroy();
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
    socket.on('close', () => upstream.destroy());
  });
  const listenPort = options.port ?? (await freePort());
  await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${listenPort}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
