/**
 * Mercurius on Fastify, subscriptions over graphql-transport-ws with its own
 * in-memory pubsub. Origin checked by `verifyClient`, the ticket in `onConnect`.
 */
import Fastify from 'fastify';
import mercurius from 'mercurius';
import { serve } from '../lib/harness.mjs';
import { PeerAuth } from '../lib/peer-auth.mjs';
import { announcement, broadcastTopic, peerTypeDefs, userTopic } from '../lib/schema.mjs';

serve(async ({ host, origin }) => {
  const auth = new PeerAuth([origin]);
  const app = Fastify({ logger: false });
  app.register(mercurius, {
    schema: peerTypeDefs,
    graphiql: false,
    resolvers: {
      Query: { ok: () => true },
      Subscription: {
        systemAnnouncements: { subscribe: async (_root, _args, { pubsub }) => pubsub.subscribe(broadcastTopic) },
        accountsUserCount: { subscribe: async (_root, _args, { pubsub, user }) => pubsub.subscribe(userTopic(user.id)) },
      },
    },
    subscription: {
      verifyClient: (info, next) => next(auth.originAllowed(info.origin)),
      onConnect: ({ payload }) => {
        const user = auth.verify(payload?.token);
        return user === undefined ? false : { user };
      },
    },
  });
  await app.listen({ port: 0, host });
  const publish = (topic, payload) => app.graphql.pubsub.publish({ topic, payload });
  return {
    url: `ws://${host}:${app.server.address().port}/graphql`,
    prepare: (n) => auth.prepare(n),
    tickets: (n) => Array.from({ length: n }, (_, i) => auth.ticket(i)),
    broadcast: (round) => publish(broadcastTopic, { systemAnnouncements: announcement(round) }),
    publishUser: (index, round) => void publish(userTopic(`u${index}`), { accountsUserCount: round }),
    close: () => app.close(),
  };
});
