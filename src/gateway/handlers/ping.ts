/** `ping` is answered with `pong`, before or after init; a `pong` needs no answer. */
import type { Connection } from '../connection.js';
import { PONG_FRAME } from '../protocol/frames.js';

export function handlePing(connection: Connection): void {
  connection.send(PONG_FRAME);
}
