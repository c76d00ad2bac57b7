/**
 * The test page's script (bundled by test/browser/clients.test.ts, never part of
 * web/): the flow of ./flow.ts for the client named in `?client=`, with the
 * browser's defaults: window.fetch with same-origin cookies, the global WebSocket.
 */
import { type ClientName, createFlow } from './flow.js';

// `npm test` runs every file under dist/test in Node, this one too: there it does nothing.
if (typeof location !== 'undefined') {
  const name = new URLSearchParams(location.search).get('client') as ClientName;
  const origin = location.origin;
  (globalThis as { flow?: unknown }).flow = createFlow(name, { httpUrl: `${origin}/graphql`, wsUrl: `${origin.replace(/^http/, 'ws')}/graphql` });
}
