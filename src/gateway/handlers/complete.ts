/** `complete` from the client: stop that operation; an unknown id is ignored, as the protocol says. */
import type { Connection } from '../connection.js';
import type { Engine } from '../engine.js';

export function handleComplete(engine: Engine, connection: Connection, id: string): void {
  const operation = connection.operations.get(id);
  if (operation === undefined) return;
  connection.operations.delete(id);
  engine.stopOperation(operation);
}
