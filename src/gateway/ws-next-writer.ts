/**
 * Writes fan-out `next` frames past `ws`, straight to the TCP socket it writes to,
 * and checks at start-up that doing so is sound for the installed `ws`.
 *
 * What this relies on, for ws {@link WS_TESTED_VERSION} (package.json pins that exact version):
 * - ws frames and writes a message synchronously, in the caller's turn, when its sender is idle
 *   (`_sender._state === 0`, nothing in `_sender._queue`). It is always idle here: it queues only
 *   while compressing (permessage-deflate, which {@link checkWs} refuses) or reading a Blob (Tessera
 *   sends strings). So a frame written here lands after every frame ws has already written and
 *   before any it writes later: order with pings, pongs, error/complete messages and close holds.
 *   Should the sender ever be busy, the frame goes through `ws.send` instead, behind the queue.
 * - `ws.bufferedAmount` is `socket._writableState.length + _sender._bufferedBytes`: the stream's
 *   length counts every written chunk (corked or waiting for the kernel) until the kernel takes it,
 *   so the slow-consumer check and the output budget see these bytes as they see ws's own.
 * - The frames are unmasked, uncompressed (RSV1 clear) and final, as a server's text frames are.
 */
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { NextPayload } from './fanout/next-payload.js';
import { writeFrame } from './protocol/frame-writer.js';
import { StartupError } from '../startup-errors.js';

/** The `ws` release the writer is tested with; package.json pins exactly this one. */
export const WS_TESTED_VERSION = '8.23.0';

/** The fields of ws's Sender that tell whether it is idle (ws/lib/sender.js; DEFAULT is 0). */
interface SenderState {
  readonly _state: number;
  readonly _queue: readonly unknown[];
}

/**
 * Why the writer cannot run with this `ws` setup, or undefined when it can: the installed
 * version must be the tested one and permessage-deflate must be off (a compressed
 * connection needs RSV1 frames through ws's deflater, and its sender queues while deflating).
 */
export function wsProblem(installedVersion: string, perMessageDeflate: unknown): string | undefined {
  if (installedVersion !== WS_TESTED_VERSION) {
    return `ws ${installedVersion} is installed, but the fan-out writer is tested with ws ${WS_TESTED_VERSION} (pinned in package.json): install that version, or test the writer with the new one and update WS_TESTED_VERSION`;
  }
  if (perMessageDeflate !== false && perMessageDeflate !== undefined) {
    return 'permessage-deflate is enabled on the WebSocketServer, but the fan-out writes uncompressed frames straight to the socket: it must stay off (perMessageDeflate: false)';
  }
  return undefined;
}

/** The installed ws's version, from its package.json (which ws exports). */
export function installedWsVersion(): string {
  return (createRequire(import.meta.url)('ws/package.json') as { version: string }).version;
}

/** Throws a StartupError (one plain line on stderr from `main`) when the writer cannot run with this server (see {@link wsProblem}). */
export function checkWs(wss: WebSocketServer, installedVersion = installedWsVersion()): void {
  const problem = wsProblem(installedVersion, (wss.options as { perMessageDeflate?: unknown }).perMessageDeflate);
  if (problem !== undefined) throw new StartupError(`WebSocket server misconfigured: ${problem}`);
}

/**
 * Writes the `next` frame `prefix + payload` to an open `ws` socket: the payload's shared
 * bytes, after a head that is shared too when the prefix is the previous subscriber's;
 * a small payload as one whole frame, shared the same way.
 */
export function writeNext(ws: WebSocket, socket: Duplex, prefix: string, payload: NextPayload): void {
  const sender = (ws as unknown as { _sender: SenderState })._sender;
  if (sender._state !== 0 || sender._queue.length !== 0) {
    ws.send(prefix + payload.tail);
    return;
  }
  if (payload.small) socket.write(payload.frame(prefix));
  else writeFrame(socket, payload.head(prefix), payload.bytes);
}
