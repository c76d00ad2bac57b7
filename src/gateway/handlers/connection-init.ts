/** `connection_init`: authenticate (ticket, cookie or nobody), enforce the per-user cap, acknowledge. */
import type { Connection } from '../connection.js';
import type { Engine } from '../engine.js';
import type { ClientMessage } from '../protocol/messages.js';
import { ACK_FRAME } from '../protocol/frames.js';
import { CloseCode, CloseReason, credentialCloseCode } from '../protocol/close-codes.js';

export async function handleConnectionInit(
  engine: Engine,
  connection: Connection,
  message: Extract<ClientMessage, { type: 'connection_init' }>,
): Promise<void> {
  if (connection.state !== 'awaiting-init') {
    connection.close(CloseCode.TooManyRequests, CloseReason.tooManyInits);
    return;
  }
  connection.state = 'initialising';
  engine.initReceived(connection);
  // Before the session is looked up: a revocation arriving after this is caught at admission.
  const checkedSince = Date.now();
  const result = await engine.authenticator.byInitPayload(message.payload, connection.cookieAuth);
  connection.cookieAuth = undefined;
  if (!connection.isOpen) return;
  if (!result.ok) {
    engine.log.info({ ip: connection.ip, reason: result.reason }, 'socket credential refused');
    connection.close(credentialCloseCode(result.reason), result.reason);
    return;
  }
  if (result.session !== undefined && !engine.admitUser(connection, result.session, checkedSince)) {
    connection.close(CloseCode.TooManyRequests, CloseReason.tooManyConnections);
    return;
  }
  if (!connection.isOpen) return; // its session was revoked while it was being checked
  await engine.setContext(connection);
  if (!connection.isOpen) return; // closed (revoked, timed out) while the context was being built
  connection.state = 'ready';
  connection.send(ACK_FRAME);
}
