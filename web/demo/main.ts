/**
 * The demo page at `/`: sign in or register over HTTP (cookie session), then
 * watch the live count and announcements over the WebSocket; log out and see
 * why the socket closed. Plain DOM, no framework.
 */
import './demo.css';
import { graphqlHttpUrl, graphqlWsUrl, postGraphQL, type GraphQLError } from '../shared/endpoints.js';
import { type Announcement, LiveFeed, type LiveFeedEvents } from './live-feed.js';
import { SseFeed } from './sse-feed.js';

interface User {
  readonly email: string;
  readonly name: string | null;
}

const HISTORY_LENGTH = 12;
const LOGOUT_CLOSE_WAIT_MS = 2000;

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`#${id} is missing`);
  return found as T;
}

const ui = {
  who: element('who'),
  signIn: element<HTMLFormElement>('sign-in'),
  email: element<HTMLInputElement>('email'),
  password: element<HTMLInputElement>('password'),
  name: element<HTMLInputElement>('name'),
  formError: element('form-error'),
  signedIn: element('signed-in'),
  logout: element<HTMLButtonElement>('logout'),
  socketDot: element('socket-dot'),
  socketState: element('socket-state'),
  count: element<HTMLOutputElement>('count'),
  countMeta: element('count-meta'),
  history: element<HTMLOListElement>('history'),
  announcements: element<HTMLUListElement>('announcements'),
  announce: element<HTMLFormElement>('announce'),
  announceMessage: element<HTMLInputElement>('announce-message'),
  announceStatus: element('announce-status'),
};

const CLOSE_EXPLANATIONS: Record<string, string> = {
  'session ended': 'your session ended (you logged out, here or in another tab).',
  'session expired': 'your session expired.',
  'user not found': 'the account no longer exists.',
};

let received = 0;
let sessionOverWaiter: (() => void) | undefined;

type Dot = 'idle' | 'connecting' | 'live' | 'closed';

function setSocket(dot: Dot, text: string): void {
  ui.socketDot.dataset['state'] = dot;
  ui.socketState.textContent = text;
}

function clockTime(date: Date = new Date()): string {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

function showCount(value: number): void {
  received += 1;
  const now = new Date();
  ui.count.value = String(value);
  ui.count.dataset['received'] = String(received);
  ui.count.dataset['stale'] = 'false';
  ui.countMeta.textContent = `${received} value${received === 1 ? '' : 's'} received, the last at ${clockTime(now)}.`;
  const item = document.createElement('li');
  item.textContent = String(value);
  item.title = clockTime(now);
  ui.history.prepend(item);
  while (ui.history.children.length > HISTORY_LENGTH) ui.history.lastElementChild?.remove();
}

function markCountStopped(): void {
  ui.count.dataset['stale'] = 'true';
  if (received > 0) ui.countMeta.textContent = `${received} values received; no more will arrive.`;
}

function showAnnouncement(announcement: Announcement): void {
  ui.announcements.querySelector('li.empty')?.remove();
  const item = document.createElement('li');
  const message = document.createElement('span');
  message.textContent = announcement.message;
  const time = document.createElement('time');
  time.dateTime = announcement.createdAt;
  time.textContent = clockTime(new Date(announcement.createdAt));
  item.append(message, time);
  ui.announcements.prepend(item);
}

/** Which transport carries the live feed: the WebSocket (with a ticket per connect) or SSE (the cookie); the page remembers the choice. */
type FeedTransport = 'ws' | 'sse';
const TRANSPORT_KEY = 'tessera.demo.transport';
const storedTransport = (): FeedTransport => {
  try {
    return localStorage.getItem(TRANSPORT_KEY) === 'sse' ? 'sse' : 'ws';
  } catch {
    return 'ws';
  }
};
let transport: FeedTransport = storedTransport();

const feedEvents: LiveFeedEvents = {
  connecting: (retry) => setSocket('connecting', retry ? 'Reconnecting (fetching a fresh ticket)…' : 'Connecting…'),
  connected: () => setSocket('live', 'Connected: values arrive on every tick.'),
  lost: (code, reason) =>
    setSocket('connecting', `Connection lost (${code}${reason === '' ? '' : `: ${reason}`}). Reconnecting by itself…`),
  count: showCount,
  announcement: showAnnouncement,
  sessionOver: (reason) => {
    const why = CLOSE_EXPLANATIONS[reason] ?? `${reason}.`;
    const what = transport === 'sse' ? `Stream ended by the server ("${reason}")` : `Socket closed by the server (4401 "${reason}")`;
    setSocket('closed', `${what}: ${why} No more values will arrive.`);
    markCountStopped();
    sessionOverWaiter?.();
    void refreshAccount();
  },
  signedOut: () => {
    setSocket('closed', 'Stopped: the server no longer knows this session. Sign in again.');
    markCountStopped();
    void refreshAccount();
  },
  failed: (message, retryInMs) =>
    setSocket('connecting', `Connection failed (${message}). Trying again in ${Math.round(retryInMs / 1000)} s…`),
};

const makeFeed = (choice: FeedTransport) => (choice === 'sse' ? new SseFeed(graphqlHttpUrl(), feedEvents) : new LiveFeed(graphqlWsUrl(), feedEvents));
let feed: LiveFeed | SseFeed = makeFeed(transport);

for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="transport"]')) {
  radio.checked = radio.value === transport;
  radio.addEventListener('change', () => {
    if (!radio.checked) return;
    transport = radio.value === 'sse' ? 'sse' : 'ws';
    try {
      localStorage.setItem(TRANSPORT_KEY, transport);
    } catch {
      // storage unavailable: the choice lasts for this page only
    }
    const wasRunning = feed.running;
    feed.stop();
    feed = makeFeed(transport);
    if (wasRunning) feed.start();
  });
}

function showUser(user: User | null): void {
  ui.signIn.hidden = user !== null;
  ui.signedIn.hidden = user === null;
  ui.announce.hidden = user === null;
  ui.who.textContent =
    user === null ? 'You are not signed in.' : `Signed in as ${user.name === null ? user.email : `${user.name} (${user.email})`}.`;
  if (user !== null && !feed.running) {
    feed.start();
  }
}

function firstError(errors: readonly GraphQLError[] | undefined): string | undefined {
  return errors?.[0]?.message;
}

let refreshRetry: ReturnType<typeof setTimeout> | undefined;

async function refreshAccount(): Promise<void> {
  clearTimeout(refreshRetry);
  try {
    const result = await postGraphQL<{ accountsMe: { user: User } | null }>('query me { accountsMe { user { email name } } }');
    showUser(result.data?.accountsMe?.user ?? null);
  } catch {
    ui.who.textContent = 'The server is unreachable; trying again…';
    refreshRetry = setTimeout(() => void refreshAccount(), 3000);
  }
}

ui.signIn.addEventListener('submit', (event) => {
  event.preventDefault();
  const submitter = (event as SubmitEvent).submitter as HTMLButtonElement | null;
  const register = submitter?.value === 'register';
  void (async () => {
    ui.formError.textContent = '';
    const buttons = [...ui.signIn.querySelectorAll('button')];
    for (const button of buttons) button.disabled = true;
    try {
      const variables = { email: ui.email.value, password: ui.password.value, name: ui.name.value === '' ? null : ui.name.value };
      const result = register
        ? await postGraphQL<{ accountsRegister: User }>(
            'mutation accountsRegister($email: String!, $password: String!, $name: String) { accountsRegister(email: $email, password: $password, name: $name) { email name } }',
            variables,
          )
        : await postGraphQL<{ accountsLogin: User }>(
            'mutation accountsLogin($email: String!, $password: String!) { accountsLogin(email: $email, password: $password) { email name } }',
            { email: variables.email, password: variables.password },
          );
      const error = firstError(result.errors);
      if (error !== undefined) {
        ui.formError.textContent = error;
        return;
      }
      ui.password.value = '';
      await refreshAccount();
    } catch (error) {
      ui.formError.textContent = error instanceof Error ? error.message : String(error);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  })();
});

ui.logout.addEventListener('click', () => {
  void (async () => {
    ui.logout.disabled = true;
    try {
      // The server closes this session's sockets itself (4401 "session ended"); wait for that.
      const closed = new Promise<boolean>((resolve) => {
        sessionOverWaiter = () => resolve(true);
        setTimeout(() => resolve(false), LOGOUT_CLOSE_WAIT_MS);
      });
      await postGraphQL<{ accountsLogout: boolean }>('mutation accountsLogout { accountsLogout }');
      if (feed.running && !(await closed)) {
        feed.stop();
        setSocket('closed', 'Socket closed by this page after logging out.');
        markCountStopped();
      }
      sessionOverWaiter = undefined;
      await refreshAccount();
      ui.email.focus();
    } catch (error) {
      ui.who.textContent = `Logging out failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      ui.logout.disabled = false;
    }
  })();
});

ui.announce.addEventListener('submit', (event) => {
  event.preventDefault();
  void (async () => {
    ui.announceStatus.textContent = 'Sending…';
    try {
      const result = await postGraphQL<{ systemAnnounce: Announcement }>(
        'mutation systemAnnounce($message: String!) { systemAnnounce(message: $message) { id } }',
        { message: ui.announceMessage.value },
      );
      const error = result.errors?.[0];
      if (error === undefined) {
        ui.announceStatus.textContent = 'Sent.';
        ui.announceMessage.value = '';
      } else {
        ui.announceStatus.textContent =
          error.extensions?.code === 'FORBIDDEN' ? 'Only admins may announce (npm run admin -- grant <email>).' : error.message;
      }
    } catch (error) {
      ui.announceStatus.textContent = error instanceof Error ? error.message : String(error);
    }
  })();
});

void refreshAccount();
