/** The session and device cookies: their names, attributes, and reading them from a request. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CookieControl } from '../graphql/context.js';
import { DEVICE_COOKIE_TTL_SECONDS, deviceCookieName } from '../accounts/index.js';

export interface CookieSettings {
  readonly secure: boolean;
  readonly absoluteTtlSeconds: number;
}

/** `__Host-` binds the cookie to this host, HTTPS and Path=/ (the browser enforces it); it needs Secure. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-tessera_session' : 'tessera_session';
}

export function readSessionSecret(request: FastifyRequest, secure: boolean): string | undefined {
  return request.cookies[sessionCookieName(secure)];
}

export function readDeviceCookie(request: FastifyRequest, secure: boolean): string | undefined {
  return request.cookies[deviceCookieName(secure)];
}

export function cookieControl(reply: FastifyReply, settings: CookieSettings): CookieControl {
  const name = sessionCookieName(settings.secure);
  const base = { httpOnly: true, sameSite: 'lax', path: '/', secure: settings.secure } as const;
  return {
    set: (secret) => {
      reply.setCookie(name, secret, { ...base, maxAge: settings.absoluteTtlSeconds });
    },
    clear: () => {
      reply.clearCookie(name, base);
    },
    // Kept across logout (it only says "this browser signed in as X before");
    // SameSite=Strict: sign-in requests come from Tessera's own pages.
    setDevice: (value) => {
      reply.setCookie(deviceCookieName(settings.secure), value, {
        ...base,
        sameSite: 'strict',
        maxAge: DEVICE_COOKIE_TTL_SECONDS,
      });
    },
  };
}
