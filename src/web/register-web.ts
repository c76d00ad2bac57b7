/**
 * The browser pages, served by Tessera itself: the live demo at `/`, GraphiQL
 * at `/graphiql`, and their bundles under `/assets/` (built into dist/web by
 * scripts/build-web.mjs; nothing comes from a CDN). Only these routes get the
 * browser security headers: they live in their own encapsulated plugin, so
 * helmet's hook never touches /graphql or /healthz.
 */
import { existsSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OriginPolicy } from '../security/origin-policy.js';

export interface WebOptions {
  /** ALLOWED_ORIGINS: a page may open the socket only to an origin listed there. */
  readonly origins: OriginPolicy;
  /** The built pages; default: `dist/web` in the project root. */
  readonly webDir?: string;
}

/** The project root's `dist/web`, found from this module's place (src/web or dist/src/web). */
export function defaultWebDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    if (dirname(dir) === dir) return join(from, 'web');
  }
}

/**
 * The WebSocket origin of the page's own host (`ws://host:port`, or `wss:` when
 * the page is served over https), if that host is an allowed origin; for the
 * CSP's connect-src. The Host header only ever appears in the policy when it
 * matches ALLOWED_ORIGINS exactly, so it cannot inject anything.
 */
export function socketOriginFor(host: string | undefined, origins: OriginPolicy): string | undefined {
  if (host === undefined || host === '') return undefined;
  if (origins.allows(`https://${host}`)) return `wss://${host.toLowerCase()}`;
  if (origins.allows(`http://${host}`)) return `ws://${host.toLowerCase()}`;
  return undefined;
}

/** The Content-Security-Policy directives: this origin only, nothing inline, no framing. */
export function cspDirectives(origins: OriginPolicy): Record<string, Array<string | ((req: IncomingMessage) => string)>> {
  return {
    defaultSrc: ["'self'"],
    baseUri: ["'none'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'"],
    // GraphiQL's stylesheet embeds its fonts and icons as data: URLs (bundled, not remote).
    imgSrc: ["'self'", 'data:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: [(req) => [`'self'`, socketOriginFor(req.headers.host, origins)].filter((item) => item !== undefined).join(' ')],
    objectSrc: ["'none'"],
    workerSrc: ["'self'"],
    manifestSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  };
}

const PAGES: ReadonlyArray<readonly [string, string]> = [
  ['/', 'demo.html'],
  ['/graphiql', 'graphiql.html'],
  ['/graphiql/', 'graphiql.html'],
];

const NOT_BUILT = 'The web pages are not built: run `npm run build:web` (or `npm run build`), then reload.\n';

export async function registerWeb(app: FastifyInstance, options: WebOptions): Promise<void> {
  const webDir = options.webDir ?? defaultWebDir();
  const built = existsSync(join(webDir, 'demo.html')) && existsSync(join(webDir, 'assets'));
  if (!built) app.log.warn({ webDir }, 'web pages not built; / and /graphiql answer 503 until `npm run build:web`');

  await app.register(async (web) => {
    await web.register(helmet, {
      global: true,
      contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(options.origins) },
      xFrameOptions: { action: 'deny' },
      // HSTS is the deployment's decision (its TLS proxy), not a demo page's.
      strictTransportSecurity: false,
    });

    if (!built) {
      for (const [path] of PAGES) {
        web.get(path, (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT));
      }
      return;
    }

    await web.register(fastifyStatic, {
      root: join(webDir, 'assets'),
      prefix: '/assets/',
      index: false,
      list: false,
      // Names are not content-hashed: revalidate every time (cheap, with ETag).
      cacheControl: false,
      setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
    });

    const page = (file: string) => (_request: unknown, reply: FastifyReply) =>
      reply.header('cache-control', 'no-cache').sendFile(file, webDir);
    for (const [path, file] of PAGES) web.get(path, page(file));
  });
}
