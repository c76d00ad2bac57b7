/** What the app's context function is given to build the context its resolvers see. */
import type { GatewaySession } from '../sessions/session-source.js';

export interface SocketContextInput<TUser = unknown> {
  /**
   * The session, as the session source answered it. Undefined for an anonymous
   * socket, AND for a shared-scope (`global`) fan-out group, whose one execution
   * serves every subscriber: never put one user's data in a context built without a session.
   */
  readonly session: GatewaySession<TUser> | undefined;
  /** The client's address and user agent; undefined for a shared-scope group. */
  readonly client: { readonly ip: string; readonly userAgent: string | undefined } | undefined;
  /**
   * What the operation came over: 'socket' (WebSocket), 'sse' (a GraphQL-over-SSE stream), or
   * 'http' when an HTTP route (e.g. the Fastify plugin) builds it. A shared-scope group's one
   * context, serving sockets and streams alike, says 'socket'.
   */
  readonly transport: 'socket' | 'sse' | 'http';
}

/** Builds the context of an operation; may be async. */
export type ContextFunction<TContext = unknown, TUser = unknown> = (input: SocketContextInput<TUser>) => TContext | Promise<TContext>;

/** The default context function: `({ session }) => ({ session })`. */
export const defaultContext = (input: SocketContextInput<unknown>): { session: GatewaySession<unknown> | undefined } => ({ session: input.session });
