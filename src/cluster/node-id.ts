/** A random id for this process, naming it in Redis (presence, lease). */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export function newNodeId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
