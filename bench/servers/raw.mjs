/**
 * The floor: a plain `ws` server that speaks just enough graphql-transport-ws
 * (ack, remember the subscription) and sends the same `next` frames as the
 * GraphQL servers, built with JSON.stringify and `ws.send(string)` per
 * subscriber. No GraphQL, no auth, no Origin check.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import { serve } from '../lib/harness.mjs';
import { announcement, userTopic } from '../lib/schema.mjs';
import { PeerAuth, unverifiedUserId } from '../lib/peer-auth.mjs';

serve(async ({ host, origin }) => {
  const tickets = new PeerAuth([origin]);
  const http = createServer((_request, response) => response.writeHead(404).end());
  const wss = new WebSocketServer({ server: http, path: '/graphql', perMessageDeflate: false, clientTracking: false });
  /** @type {Set<{ ws: import('ws').WebSocket, id: string }>} */
  const broadcast = new Set();
  /** topic → subscription */
  const perUser = new Map();

  wss.on('connection', (ws) => {
    let userId;
    const mine = [];
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.type === 'connection_init') {
        userId = unverifiedUserId(message.payload?.token);
        ws.send('{"type":"connection_ack"}');
      } else if (message.type === 'subscribe') {
        const subscription = { ws, id: message.id, topic: undefined };
        if (message.payload.query.includes('systemAnnouncements')) broadcast.add(subscription);
        else {
          subscription.topic = userTopic(userId);
          perUser.set(subscription.topic, subscription);
        }
        mine.push(subscription);
      } else if (message.type === 'ping') ws.send('{"type":"pong"}');
    });
    ws.on('close', () => {
      for (const subscription of mine) {
        if (subscription.topic === undefined) broadcast.delete(subscription);
        else perUser.delete(subscription.topic);
      }
    });
  });

  await new Promise((resolve) => http.listen(0, host, resolve));
  return {
    url: `ws://${host}:${http.address().port}/graphql`,
    prepare: (n) => tickets.prepare(n),
    tickets: (n) => Array.from({ length: n }, (_, i) => tickets.ticket(i)),
    broadcast(round) {
      const value = announcement(round);
      for (const { ws, id } of broadcast) ws.send(JSON.stringify({ id, type: 'next', payload: { data: { systemAnnouncements: value } } }));
    },
    publishUser(index, round) {
      const subscription = perUser.get(userTopic(`u${index}`));
      if (subscription === undefined) return;
      subscription.ws.send(JSON.stringify({ id: subscription.id, type: 'next', payload: { data: { accountsUserCount: round } } }));
    },
    close: () => new Promise((resolve) => http.close(resolve)),
  };
});
