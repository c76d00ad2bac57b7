// Tessera in an Express app: express-session signs people in (here with just a
// name: put your own sign-in there), Tessera serves authenticated, revocable
// GraphQL subscriptions on the same server.
//
//   PORT=3000 ORIGIN=http://localhost:3000 SESSION_SECRET=... npm start
import { createServer } from 'node:http';
import express from 'express';
import session from 'express-session';
import { createGateway } from 'tessera';
import { connectSessions } from 'tessera/sessions/connect';
import { schema } from './schema.js';

const port = Number(process.env.PORT ?? 3000);
// The browser origins allowed to use the session cookie on the socket (exact scheme, host, port).
const origins = (process.env.ORIGIN ?? `http://localhost:${port}`).split(',');
const secret = process.env.SESSION_SECRET ?? 'change-me: a long random secret for express-session';

// Any connect store works the same way (connect-redis, connect-pg-simple…): give the same one to both.
const store = new session.MemoryStore();

const app = express();
app.use(express.json());
app.use(
  session({
    store,
    secret,
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', secure: process.env.COOKIE_SECURE === 'true', maxAge: 8 * 3600 * 1000 },
  }),
);

const gateway = createGateway({
  schema,
  // The gateway reads the sessions express-session writes: same store, same secret, same cookie name.
  sessions: connectSessions({ store, secret, userId: (data) => data.userId }),
  origins,
});

// Sign in with the app's own mechanism. regenerate(): a new session id at sign-in.
app.post('/login', (req, res, next) => {
  const name = typeof req.body?.name === 'string' ? req.body.name.trim() : '';
  if (name === '') return res.status(400).json({ error: 'name required' });
  req.session.regenerate((error) => {
    if (error) return next(error);
    req.session.userId = name;
    res.json({ userId: name });
  });
});

// A single-use ticket for the socket (for clients that cannot send the cookie, e.g. another origin or a native app).
app.post('/ticket', (req, res) => {
  if (req.session.userId === undefined) return res.status(401).json({ error: 'not signed in' });
  res.json({ ticket: gateway.issueTicket({ id: req.sessionID, userId: req.session.userId }) });
});

// Logout ends the session in the store and closes its sockets (4401 'session ended') on every node.
app.post('/logout', (req, res, next) => {
  const id = req.sessionID;
  req.session.destroy(async (error) => {
    if (error) return next(error);
    try {
      await gateway.endSessions([id]);
      res.json({ ok: true });
    } catch (endError) {
      next(endError);
    }
  });
});

const server = createServer(app);
gateway.attach(server); // the WebSocket at /graphql (graphql-transport-ws)

server.listen(port, () => console.log(`express-notes listening on ${server.address().port}`));

async function shutdown() {
  await gateway.close(); // 1001 to every socket
  server.close();
}
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
