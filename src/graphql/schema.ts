/**
 * The demo's executable schema: the SDL plus resolvers, and for each subscription
 * field its topic and the scope its result depends on, declared for the gateway's
 * fast path (declareTopics).
 */
import { randomUUID } from 'node:crypto';
import { buildSchema, type GraphQLFieldResolver, GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { sessionExpiresAt, type SessionRow, type UserRow } from '../accounts/index.js';
import { badInput, ClientError, declareTopics, ErrorCode, eventValue, forbidden, unauthenticated, type TopicSpec } from '../index.js';
import { Topics } from './topics.js';
import type { GraphQLContext } from './context.js';
import { typeDefs } from './type-defs.js';

type Resolver = GraphQLFieldResolver<unknown, GraphQLContext, any>;

const iso = (ms: number) => new Date(ms).toISOString();

function presentUser(user: UserRow) {
  return { id: user.id, email: user.email, name: user.name, createdAt: iso(user.created_at) };
}

function presentSession(session: SessionRow, currentId: string | undefined) {
  return {
    id: session.id,
    createdAt: iso(session.created_at),
    lastSeenAt: iso(session.last_seen_at),
    expiresAt: iso(sessionExpiresAt(session)),
    userAgent: session.user_agent,
    current: session.id === currentId,
  };
}

function requireAuth(context: GraphQLContext) {
  if (context.auth === undefined) throw unauthenticated();
  return context.auth;
}

/** Signing in over the socket would make a session no cookie could carry. */
function requireCookies(context: GraphQLContext): void {
  if (context.cookies === undefined) {
    throw new ClientError(ErrorCode.BAD_REQUEST, 'Sign in over HTTP (POST /graphql): a socket cannot set the session cookie.');
  }
}

export interface Announcement {
  readonly id: string;
  readonly message: string;
  readonly createdAt: string;
}

const query: Record<string, Resolver> = {
  accountsMe: (_source, _args, context) => {
    const auth = context.auth;
    if (auth === undefined) return null;
    return {
      user: presentUser(auth.user),
      token: context.services.tickets.issue({ sessionId: auth.session.id, userId: auth.user.id }),
    };
  },
  accountsSessions: async (_source, _args, context) => {
    const auth = requireAuth(context);
    const sessions = await context.services.sessions.listForUser(auth.user.id);
    return sessions.map((session) => presentSession(session, auth.session.id));
  },
};

const mutation: Record<string, Resolver> = {
  accountsRegister: async (_source, args, context) => {
    requireCookies(context);
    const signIn = await context.services.accounts.register(args, context.client);
    context.cookies?.set(signIn.secret);
    context.cookies?.setDevice(signIn.device);
    return presentUser(signIn.user);
  },
  accountsLogin: async (_source, args, context) => {
    requireCookies(context);
    const signIn = await context.services.accounts.login(args, context.client);
    context.cookies?.set(signIn.secret);
    context.cookies?.setDevice(signIn.device);
    return presentUser(signIn.user);
  },
  accountsLogout: async (_source, _args, context) => {
    context.cookies?.clear();
    if (context.auth === undefined) return false;
    await context.services.accounts.logout(context.auth.session);
    return true;
  },
  accountsLogoutAll: async (_source, _args, context) => {
    const auth = requireAuth(context);
    await context.services.accounts.logoutAll(auth.user);
    context.cookies?.clear();
    return true;
  },
  accountsChangePassword: async (_source, args, context) => {
    const auth = requireAuth(context);
    await context.services.accounts.changePassword(auth.user, auth.session, args, context.client);
    return true;
  },
  systemAnnounce: async (_source, args: { message: string }, context) => {
    // The role of the user row loaded for this request: a revoke takes effect at the next one.
    const auth = requireAuth(context);
    if (auth.user.role !== 'admin') {
      throw forbidden('Only administrators may make announcements.');
    }
    const message = args.message.trim();
    if (message === '' || message.length > 1000) throw badInput('message', 'Message must be 1 to 1000 characters long.');
    const announcement: Announcement = { id: randomUUID(), message, createdAt: new Date().toISOString() };
    await context.services.publisher.publish(Topics.announcements, announcement);
    return announcement;
  },
};

/**
 * Each subscription field's topic (from the context, never from client arguments;
 * throws a ClientError to refuse) and scope. `global`: the same for every subscriber,
 * executed with the context of no session; `user`: the same for all connections of one
 * user. The fan-out executes once per (document, variables, scope).
 */
export const subscriptionTopics: Readonly<Record<string, TopicSpec<GraphQLContext>>> = {
  accountsUserCount: {
    scope: 'user',
    topic: (_args, context) => Topics.userCount(requireAuth(context).user.id),
    // Each value replaces the last: nothing to resume over SSE.
    resumable: false,
  },
  systemAnnouncements: {
    scope: 'global',
    topic: (_args, context) => {
      requireAuth(context);
      return Topics.announcements;
    },
  },
};

// An event's value is the subscription field's value: the resolver passes it through
// (eventValue, which the fan-out recognises: a leaf field's result needs no execute).
const subscription: Record<string, Resolver> = {
  accountsUserCount: eventValue,
  systemAnnouncements: eventValue,
};

function attach(schema: GraphQLSchema, typeName: string, resolvers: Record<string, Resolver>): void {
  const type = schema.getType(typeName);
  if (!(type instanceof GraphQLObjectType)) throw new Error(`schema has no object type ${typeName}`);
  const fields = type.getFields();
  for (const [name, resolve] of Object.entries(resolvers)) {
    const field = fields[name];
    if (field === undefined) throw new Error(`schema has no field ${typeName}.${name}`);
    field.resolve = resolve;
  }
  for (const name of Object.keys(fields)) {
    if (resolvers[name] === undefined) throw new Error(`no resolver for ${typeName}.${name}`);
  }
}

export function createSchema(): GraphQLSchema {
  const schema = buildSchema(typeDefs);
  attach(schema, 'Query', query);
  attach(schema, 'Mutation', mutation);
  attach(schema, 'Subscription', subscription);
  declareTopics(schema, subscriptionTopics);
  const subscriptionType = schema.getSubscriptionType();
  for (const name of Object.keys(subscriptionType?.getFields() ?? {})) {
    if (subscriptionTopics[name] === undefined) throw new Error(`no topic for Subscription.${name}`);
  }
  return schema;
}
