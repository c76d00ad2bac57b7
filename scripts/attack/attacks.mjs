/**
 * The attack classes of issue 9, each as an anonymous or newly registered
 * client would run it against default settings. Every loop is bounded in
 * count and time, and only ever targets the loopback server it was given.
 */
import { getIntrospectionQuery } from 'graphql';
import { Client, initSocket, openSocket, outcome, pool, sleep, tally } from './lib.mjs';
import net from 'node:net';

const PASSWORD = 'attack password 1';

async function register(client, email) {
  const response = await client.gql('mutation ($e: String!, $p: String!) { accountsRegister(email: $e, password: $p) { id } }', {
    e: email,
    p: PASSWORD,
  });
  if (outcome(response) !== 'ok') throw new Error(`could not register ${email}: ${JSON.stringify(response.body)}`);
}

async function ticket(client) {
  const response = await client.gql('{ accountsMe { token } }');
  const token = response.body?.data?.accountsMe?.token;
  if (typeof token !== 'string') throw new Error(`no ticket: ${JSON.stringify(response.body)}`);
  return token;
}

const HUGE = 'h'.repeat(60 * 1024);

/** ~30,000 cheap, refused login attempts with distinct (and invalid) emails, from one address and from 20. */
export async function loginFlood(target, { requests = 30_000 } = {}) {
  const outcomes = {};
  const clients = Array.from({ length: 21 }, (_, i) => new Client(target, `127.0.1.${i + 1}`, { maxSockets: 8 }));
  const deadline = Date.now() + 120_000;
  const sent = await pool(
    requests,
    64,
    async (i) => {
      // Half from one address, half spread over twenty: both must stay flat.
      const client = i % 2 === 0 ? clients[0] : clients[1 + (i % 20)];
      // A third 60 KB strings, a third long non-emails, a third distinct valid-looking emails.
      const email =
        i % 3 === 0 ? `${i}${HUGE}` : i % 3 === 1 ? `${'x'.repeat(200)}-${i}-not-an-email` : `guess-${i}-${Math.random().toString(36).slice(2)}@example.test`;
      const response = await client.gql('mutation ($e: String!) { accountsLogin(email: $e, password: "wrong password") { id } }', { e: email });
      tally(outcomes, outcome(response));
    },
    deadline,
  );
  for (const client of clients) client.close();
  return { sent, outcomes };
}

/**
 * Distributed guessing: the owner registers (and gets whatever a successful
 * sign-in gives a browser), then ten addresses guess the owner's password.
 * The owner must still sign in, and the guessers must get no more guesses than the limits allow.
 */
export async function distributedGuessing(target, { addresses = 10, guessesPerAddress = 20 } = {}) {
  const owner = new Client(target, '127.0.0.1');
  const email = `owner-${Date.now()}@example.test`;
  await register(owner, email);
  await owner.gql('mutation { accountsLogout }');
  const outcomes = {};
  const guessers = Array.from({ length: addresses }, (_, i) => new Client(target, `127.0.2.${i + 1}`, { maxSockets: 2 }));
  await Promise.all(
    guessers.map(async (guesser) => {
      for (let g = 0; g < guessesPerAddress; g++) {
        const response = await guesser.gql('mutation ($e: String!) { accountsLogin(email: $e, password: "not the password") { id } }', { e: email });
        tally(outcomes, outcome(response));
      }
    }),
  );
  const ownerLogin = await owner.gql('mutation ($e: String!, $p: String!) { accountsLogin(email: $e, password: $p) { id } }', {
    e: email,
    p: PASSWORD,
  });
  // A guesser who found the right password from a fresh address must still be slowed down.
  const lucky = new Client(target, '127.0.2.200');
  const luckyLogin = await lucky.gql('mutation ($e: String!, $p: String!) { accountsLogin(email: $e, password: $p) { id } }', {
    e: email,
    p: PASSWORD,
  });
  for (const client of [owner, lucky, ...guessers]) client.close();
  return {
    sent: addresses * guessesPerAddress,
    outcomes,
    guessesEvaluated: outcomes['INVALID_CREDENTIALS'] ?? 0,
    owner: outcome(ownerLogin),
    freshAddressWithRightPassword: outcome(luckyLogin),
  };
}

/** One request registering 60 accounts through aliases, 20 times at once. */
export async function aliasedRegistration(target, { aliases = 60, concurrent = 20 } = {}) {
  const outcomes = {};
  const clients = Array.from({ length: concurrent }, (_, i) => new Client(target, `127.0.3.${i + 1}`, { maxSockets: 1 }));
  await Promise.all(
    clients.map(async (client, c) => {
      const fields = Array.from(
        { length: aliases },
        (_, i) => `r${i}: accountsRegister(email: "alias-${c}-${i}-${Date.now()}@example.test", password: "${PASSWORD}") { id }`,
      );
      tally(outcomes, outcome(await client.gql(`mutation { ${fields.join(' ')} }`)));
    }),
  );
  for (const client of clients) client.close();
  return { sent: concurrent, outcomes };
}

/** Aliased __schema selections and the full introspection query, six anonymous clients for a while. */
export async function introspectionCpu(target, { seconds = 10, concurrent = 6 } = {}) {
  // 250 aliases of one fragment: about 6 KB of document, megabytes of result when allowed.
  const aliased = `{ ${Array.from({ length: 250 }, (_, i) => `a${i}:__schema{...S}`).join(' ')} } fragment S on __Schema { types { name fields { name type { name } } } }`;
  const standard = getIntrospectionQuery();
  const outcomes = {};
  let biggest = 0;
  const deadline = Date.now() + seconds * 1000;
  let sent = 0;
  await Promise.all(
    Array.from({ length: concurrent }, async (_, c) => {
      const client = new Client(target, `127.0.4.${c + 1}`, { maxSockets: 1 });
      for (let r = 0; Date.now() < deadline; r++) {
        const kind = (r + c) % 2 === 0 ? 'aliased' : 'standard';
        const response = await client.gql(kind === 'aliased' ? aliased : standard);
        sent += 1;
        if (response.bytes > biggest) biggest = response.bytes;
        tally(outcomes, `${kind}:${outcome(response)}`);
      }
      client.close();
    }),
  );
  return { sent, outcomes, largestResponseBytes: biggest };
}

/** A subscription document of about `fields` field tokens, distinct per (account, socket, operation). */
function bigSubscription(tag, fields) {
  return `subscription S${tag} { systemAnnouncements { ${'id message '.repeat(Math.ceil(fields / 2))} } }`;
}

/** The largest repeated-field subscription the server accepts, probed over one socket. */
async function largestAcceptedFields(target, client) {
  for (const fields of [1990, 1000, 500, 250, 100, 50]) {
    const ws = await openSocket(target);
    await initSocket(ws, { token: await ticket(client) });
    const answer = await new Promise((resolve) => {
      ws.on('message', (data) => resolve(JSON.parse(data.toString())));
      ws.closedWith.then((close) => resolve({ type: 'closed', close }));
      ws.send(JSON.stringify({ type: 'subscribe', id: 'probe', payload: { query: bigSubscription(`probe${fields}`, fields) } }));
      setTimeout(() => resolve({ type: 'silent' }), 1500);
    });
    ws.terminate();
    if (answer.type === 'silent') return fields; // subscribed: nothing arrives until an announcement
  }
  return 0;
}

/**
 * Many accounts, each with every socket it may open, each with every
 * subscription it may hold, each with a distinct large document.
 */
export async function distinctDocuments(target, { accounts = 6, socketsPerAccount = 20, subscriptionsPerSocket = 100 } = {}) {
  const outcomes = {};
  const first = new Client(target, '127.0.5.1');
  await register(first, `docs-0-${Date.now()}@example.test`);
  const fields = await largestAcceptedFields(target, first);
  const clients = [first];
  for (let a = 1; a < accounts; a++) {
    const client = new Client(target, `127.0.5.${a + 1}`);
    await register(client, `docs-${a}-${Date.now()}@example.test`);
    clients.push(client);
  }
  const sockets = [];
  let holding = true;
  let subscribed = 0;
  const deadline = Date.now() + 120_000;
  await Promise.all(
    clients.map(async (client, a) => {
      for (let s = 0; s < socketsPerAccount && Date.now() < deadline; s++) {
        let ws;
        try {
          ws = await openSocket(target, { address: client.address });
          await initSocket(ws, { token: await ticket(client) });
        } catch (error) {
          tally(outcomes, `socket refused: ${error.message.slice(0, 60)}`);
          continue;
        }
        sockets.push(ws);
        ws.on('message', (data) => {
          const message = JSON.parse(data.toString());
          if (message.type === 'error') tally(outcomes, `error:${message.payload?.[0]?.extensions?.code ?? 'unknown'}`);
        });
        ws.closedWith.then((close) => holding && tally(outcomes, `closed by server ${close.code}`));
        for (let o = 0; o < subscriptionsPerSocket && ws.readyState === ws.OPEN; o++) {
          ws.send(JSON.stringify({ type: 'subscribe', id: `o${o}`, payload: { query: bigSubscription(`${a}_${s}_${o}_${Date.now()}`, fields) } }));
          subscribed += 1;
          if (o % 40 === 39) await sleep(1000); // under the per-socket message rate
        }
      }
    }),
  );
  await sleep(2000);
  const held = sockets.filter((ws) => ws.readyState === ws.OPEN).length;
  const stats = await target.stats();
  holding = false;
  for (const ws of sockets) ws.terminate();
  for (const client of clients) client.close();
  return { sent: subscribed, outcomes, fieldsPerDocument: fields, socketsStillOpen: held, heapWhileHeldMB: stats.heapUsed / 2 ** 20 };
}

/** Anonymous sockets that ask for large results and never read them. */
export async function unreadResults(target, { sockets = 120, requestsPerSocket = 40 } = {}) {
  const outcomes = {};
  const query = getIntrospectionQuery();
  const open = [];
  let holding = true;
  await pool(sockets, 20, async (i) => {
    let ws;
    try {
      ws = await openSocket(target, { address: `127.0.6.${1 + (i % 50)}` });
      await initSocket(ws);
    } catch (error) {
      tally(outcomes, `socket refused: ${error.message.slice(0, 60)}`);
      return;
    }
    ws._socket.pause(); // never read again
    ws.closedWith.then((close) => holding && tally(outcomes, `closed by server ${close.code}`));
    open.push(ws);
    for (let r = 0; r < requestsPerSocket && ws.readyState === ws.OPEN; r++) {
      ws.send(JSON.stringify({ type: 'subscribe', id: `q${r}`, payload: { query } }));
      if (r % 40 === 39) await sleep(1000);
    }
  });
  await sleep(5000);
  const stats = await target.stats();
  const stillOpen = open.filter((ws) => ws.readyState === ws.OPEN).length;
  holding = false;
  for (const ws of open) ws.terminate();
  await sleep(500);
  return { sent: open.length * requestsPerSocket, outcomes, socketsStillOpen: stillOpen, heapWhileHeldMB: stats.heapUsed / 2 ** 20 };
}

/** Connections that send their request body (or headers) one byte a second. */
export async function slowBodies(target, { connections = 600, seconds = 40 } = {}) {
  const outcomes = {};
  const sockets = [];
  const deadline = Date.now() + seconds * 1000;
  for (let i = 0; i < connections; i++) {
    const socket = net.connect({ host: '127.0.0.1', port: target.port, localAddress: `127.0.7.${1 + (i % 3)}` });
    socket.on('error', () => {});
    socket.closedAt = new Promise((resolve) => socket.once('close', () => resolve(Date.now())));
    socket.on('data', (data) => {
      const status = /^HTTP\/1\.1 (\d{3})/.exec(data.toString())?.[1];
      if (status !== undefined) tally(outcomes, `answered ${status}`);
    });
    // Half send a body slowly, half never finish a header line (written before
    // connecting, so that these bytes go first).
    socket.write(
      i % 2 === 0
        ? `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"query":"`
        : `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a`,
    );
    sockets.push(socket);
  }
  const started = Date.now();
  while (Date.now() < deadline && sockets.some((s) => !s.destroyed)) {
    for (const socket of sockets) if (!socket.destroyed && socket.writable) socket.write('a');
    await sleep(1000);
  }
  const closedWithin = sockets.filter((s) => s.destroyed).length;
  const closeTimes = await Promise.all(sockets.map((s) => Promise.race([s.closedAt, Promise.resolve(undefined)])));
  for (const socket of sockets) socket.destroy();
  const seconds_ = closeTimes.filter((t) => t !== undefined).map((t) => (t - started) / 1000);
  return {
    sent: connections,
    outcomes,
    closedByServerWithinWindow: closedWithin,
    slowestCloseSeconds: seconds_.length === 0 ? undefined : Math.max(...seconds_),
  };
}
