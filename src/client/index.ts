/**
 * `tessera/client`: the client helper for browsers and Node, graphql-ws's own
 * client set up to fetch a fresh single-use ticket for every connect and
 * reconnect, to retry with capped backoff, and to stop once the server says the
 * session is over (4401).
 */
export {
  createTesseraClient,
  isSessionOver,
  backoffMs,
  defaultHttpUrl,
  fetchTicketOverHttp,
  SESSION_OVER_REASONS,
  type TesseraClientOptions,
} from './tessera-client.js';
