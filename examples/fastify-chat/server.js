// Tessera in a Fastify app: @fastify/session signs people in (here with just a
// name: put your own sign-in there); the tessera/fastify plugin serves GraphQL
// over HTTP and the authenticated WebSocket on /graphql.
//
//   PORT=3000 ORIGIN=http://localhost:3000 SESSION_SECRET=... npm start
import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';
import { tessera } from 'tessera/fastify';
import { fastifySessions } from 'tessera/sessions/fastify';
import { chatSchema } from './schema.js';

const port = Number(process.env.PORT ?? 3000);
const origins = (process.env.ORIGIN ?? `http://localhost:${port}`).split(',');
const secret = process.env.SESSION_SECRET ?? 'change-me: a long random secret, 32 characters or more';

// Give the same store to @fastify/session and to Tessera (any @fastify/session store works).
const store = new fastifySession.MemoryStore();

const app = Fastify();
await app.register(fastifyCookie);
await app.register(fastifySession, {
  secret,
  store,
  saveUninitialized: false,
  cookie: { httpOnly: true, sameSite: 'lax', secure: process.env.COOKIE_SECURE === 'true', maxAge: 8 * 3600 * 1000 },
});

await app.register(tessera, {
  schema: chatSchema((topic, event) => app.tessera.publish(topic, event)),
  sessions: fastifySessions({ store, secret, userId: (data) => data.userId }),
  origins,
});

app.post('/login', async (request, reply) => {
  const name = typeof request.body?.name === 'string' ? request.body.name.trim() : '';
  if (name === '') return reply.code(400).send({ error: 'name required' });
  await request.session.regenerate(); // a new session id at sign-in
  request.session.set('userId', name);
  return { userId: name };
});

app.post('/ticket', async (request, reply) => {
  const userId = request.session.get('userId');
  if (userId === undefined) return reply.code(401).send({ error: 'not signed in' });
  return { ticket: app.tessera.issueTicket({ id: request.session.sessionId, userId }) };
});

// Logout ends the session in the store and closes its sockets (4401 'session ended') on every node.
app.post('/logout', async (request) => {
  const id = request.session.sessionId;
  await request.session.destroy();
  await app.tessera.endSessions([id]);
  return { ok: true };
});

await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
console.log(`fastify-chat listening on ${app.server.address().port}`);

for (const signal of ['SIGTERM', 'SIGINT']) process.once(signal, () => app.close()); // closes the sockets with 1001
