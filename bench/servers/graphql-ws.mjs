/**
 * graphql-ws's `useServer` with graphql-js and graphql-subscriptions' PubSub:
 * the engine Apollo Server uses for subscriptions. Origin checked at the
 * upgrade, the ticket in `onConnect`.
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import { buildSchema } from 'graphql';
import { PubSub } from 'graphql-subscriptions';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { serve } from '../lib/harness.mjs';
import { PeerAuth } from '../lib/peer-auth.mjs';
import { announcement, broadcastTopic, peerTypeDefs, userTopic } from '../lib/schema.mjs';

serve(async ({ host, origin }) => {
  const auth = new PeerAuth([origin]);
  const eventEmitter = new EventEmitter();
  eventEmitter.setMaxListeners(0); // one listener per subscriber is how it works
  const pubsub = new PubSub({ eventEmitter });
  const schema = buildSchema(peerTypeDefs);
  const fields = schema.getSubscriptionType().getFields();
  fields.systemAnnouncements.subscribe = () => pubsub.asyncIterableIterator(broadcastTopic);
  fields.accountsUserCount.subscribe = (_root, _args, context) => pubsub.asyncIterableIterator(userTopic(context.user.id));

  const http = createServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({
    server: http,
    path: '/graphql',
    perMessageDeflate: false,
    verifyClient: (info) => auth.originAllowed(info.origin),
  });
  useServer(
    {
      schema,
      onConnect: (ctx) => {
        const user = auth.verify(ctx.connectionParams?.token);
        if (user === undefined) return false;
        ctx.extra.user = user;
        return true;
      },
      context: (ctx) => ({ user: ctx.extra.user }),
    },
    wss,
    0, // no keep-alive pings: no server in the bench sends them
  );

  await new Promise((resolve) => http.listen(0, host, resolve));
  return {
    url: `ws://${host}:${http.address().port}/graphql`,
    prepare: (n) => auth.prepare(n),
    tickets: (n) => Array.from({ length: n }, (_, i) => auth.ticket(i)),
    broadcast: (round) => pubsub.publish(broadcastTopic, { systemAnnouncements: announcement(round) }),
    publishUser: (index, round) => void pubsub.publish(userTopic(`u${index}`), { accountsUserCount: round }),
    close: () => new Promise((resolve) => http.close(resolve)),
  };
});
