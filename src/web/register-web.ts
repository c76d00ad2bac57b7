/**
 * The browser pages, served by Tessera itself: the live demo at `/`, GraphiQL
 * at `/graphiql`, and their bundles under `/assets/` (built into dist/web by
 * scripts/build-web.mjs; nothing comes from a CDN). Only these routes get the
 * browser security headers: they live in their own encapsulated plugin, so
 * helmet's hook never touches /graphql or /healthz.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { OriginPolicy } from '../index.js';

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

type Directive = string | ((req: IncomingMessage, res: ServerResponse) => string);

/** Where a page's HTML says which nonce its own injected <style> elements may carry. */
export const NONCE_PLACEHOLDER = '__CSP_NONCE__';

/** One fresh nonce per response, for style-src only (never for scripts). */
const styleNonces = new WeakMap<ServerResponse, string>();

function styleNonce(res: ServerResponse): string {
  let nonce = styleNonces.get(res);
  if (nonce === undefined) {
    nonce = randomBytes(16).toString('base64');
    styleNonces.set(res, nonce);
  }
  return nonce;
}

/**
 * The Content-Security-Policy directives: this origin only, no inline script,
 * no framing. Inline <style> only with the response's nonce: GraphiQL's
 * dialogs inject one small stylesheet (react-remove-scroll), which would
 * otherwise need 'unsafe-inline'.
 */
export function cspDirectives(origins: OriginPolicy): Record<string, Directive[]> {
  return {
    defaultSrc: ["'self'"],
    baseUri: ["'none'"],
    scriptSrc: ["'self'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'", (_req, res) => `'nonce-${styleNonce(res)}'`],
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

function isMissingFile(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}

export async function registerWeb(app: FastifyInstance, options: WebOptions): Promise<void> {
  const webDir = options.webDir ?? defaultWebDir();
  if (!existsSync(join(webDir, 'demo.html'))) {
    app.log.warn({ webDir }, 'web pages not built; / and /graphiql answer 503 until `npm run build:web`');
  }

  await app.register(async (web) => {
    await web.register(helmet, {
      global: true,
      contentSecurityPolicy: { useDefaults: false, directives: cspDirectives(options.origins) },
      xFrameOptions: { action: 'deny' },
      // HSTS is the deployment's decision (its TLS proxy), not a demo page's.
      strictTransportSecurity: false,
    });

    // A missing folder only costs a warning: files built later are served.
    await web.register(fastifyStatic, {
      root: join(webDir, 'assets'),
      prefix: '/assets/',
      index: false,
      list: false,
      decorateReply: false,
      // Names are not content-hashed: revalidate every time (cheap, with ETag).
      cacheControl: false,
      setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
    });

    // Read on every request (they are small): a build made while the server runs shows on reload.
    const page = (file: string) => async (_request: unknown, reply: FastifyReply) => {
      let html: string;
      try {
        html = await readFile(join(webDir, file), 'utf8');
      } catch (error) {
        if (!isMissingFile(error)) throw error;
        return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
      }
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(html.replaceAll(NONCE_PLACEHOLDER, styleNonce(reply.raw)));
    };
    for (const [path, file] of PAGES) web.get(path, page(file));
  });
}
