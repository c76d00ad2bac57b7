/**
 * Where `/metrics` is served: on the main Fastify app (METRICS=on) or on a
 * listener of its own (METRICS=<port>), which answers nothing but
 * `GET /metrics` and so can be left to a private network.
 */
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { PrometheusMetrics } from './prometheus.js';

export const METRICS_PATH = '/metrics';

export function registerMetricsRoute(app: FastifyInstance, metrics: PrometheusMetrics): void {
  app.get(METRICS_PATH, async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.header('cache-control', 'no-store').type(contentType).send(body);
  });
}

export interface MetricsServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port; rejects (e.g. EADDRINUSE) when it cannot. */
export async function startMetricsServer(metrics: PrometheusMetrics, host: string, port: number): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== METRICS_PATH || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end(`only GET ${METRICS_PATH} here\n`);
      return;
    }
    metrics.render().then(
      ({ contentType, body }) => response.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' }).end(body),
      () => response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
