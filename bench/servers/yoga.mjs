/**
 * GraphQL Yoga over graphql-ws, wired as Yoga's documentation shows
 * (`yoga.getEnveloped` in `onSubscribe`), with Yoga's own `createPubSub`.
 * The same process serves Yoga's own GraphQL over SSE on its endpoint (the
 * `yoga-sse` rows): the same checks in its `context` (Origin, the ticket from
 * `Authorization: Bearer`).
 */
import { setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import { GraphQLError } from 'graphql';
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { serve } from '../lib/harness.mjs';
import { PeerAuth } from '../lib/peer-auth.mjs';
import { announcement, peerTypeDefs } from '../lib/schema.mjs';

serve(async ({ host, origin }) => {
  const auth = new PeerAuth([origin]);
  const eventTarget = new EventTarget();
  setMaxListeners(Infinity, eventTarget); // one listener per subscriber is how it works
  const pubSub = createPubSub({ eventTarget });
  const yoga = createYoga({
    graphiql: false,
    logging: false,
    // Over SSE (a Fetch Request): the socket's checks, from the request's headers. Over the
    // socket, onSubscribe adds the user checked at connection_init.
    context: ({ request }) => {
      if (typeof request?.headers?.get !== 'function') return {};
      if (!auth.originAllowed(request.headers.get('origin') ?? undefined)) throw new GraphQLError('origin not allowed');
      const user = auth.verify(/^Bearer (\S+)$/.exec(request.headers.get('authorization') ?? '')?.[1]);
      if (user === undefined) throw new GraphQLError('bad ticket');
      return { user };
    },
    schema: createSchema({
      typeDefs: peerTypeDefs,
      resolvers: {
        Query: { ok: () => true },
        Subscription: {
          systemAnnouncements: { subscribe: () => pubSub.subscribe('system_announcements'), resolve: (value) => value },
          accountsUserCount: {
            subscribe: (_root, _args, context) => pubSub.subscribe('user_count', context.user.id),
            resolve: (value) => value,
          },
        },
      },
    }),
  });

  const http = createServer(yoga);
  const wss = new WebSocketServer({
    server: http,
    path: yoga.graphqlEndpoint,
    perMessageDeflate: false,
    verifyClient: (info) => auth.originAllowed(info.origin),
  });
  useServer(
    {
      execute: (args) => args.rootValue.execute(args),
      subscribe: (args) => args.rootValue.subscribe(args),
      onConnect: (ctx) => {
        const user = auth.verify(ctx.connectionParams?.token);
        if (user === undefined) return false;
        ctx.extra.user = user;
        return true;
      },
      onSubscribe: async (ctx, _id, params) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        });
        const args = {
          schema,
          operationName: params.operationName,
          document: parse(params.query),
          variableValues: params.variables,
          contextValue: { ...(await contextFactory()), user: ctx.extra.user },
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
    wss,
    0,
  );

  await new Promise((resolve) => http.listen(0, host, resolve));
  return {
    url: `ws://${host}:${http.address().port}/graphql`,
    prepare: (n) => auth.prepare(n),
    tickets: (n) => Array.from({ length: n }, (_, i) => auth.ticket(i)),
    broadcast: (round) => pubSub.publish('system_announcements', announcement(round)),
    publishUser: (index, round) => pubSub.publish('user_count', `u${index}`, round),
    close: () => new Promise((resolve) => http.close(resolve)),
  };
});
