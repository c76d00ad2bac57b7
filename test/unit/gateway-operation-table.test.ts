/** The per-connection operation table behaves as the Map it replaces, inline entry or not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationTable } from '../../src/gateway/operation-table.js';

describe('OperationTable', () => {
  it('holds, finds, replaces and deletes entries like a Map, past the inline one', () => {
    const table = new OperationTable<number>();
    const reference = new Map<string, number>();
    const ops: [string, string, number][] = [
      ['set', 'a', 1], ['set', 'b', 2], ['set', 'c', 3], ['set', 'a', 10], ['delete', 'a', 0],
      ['set', 'd', 4], ['delete', 'c', 0], ['delete', 'zz', 0], ['set', 'a', 5], ['delete', 'b', 0],
    ];
    for (const [op, id, value] of ops) {
      if (op === 'set') {
        table.set(id, value);
        reference.set(id, value);
      } else {
        assert.equal(table.delete(id), reference.delete(id), `delete ${id}`);
      }
      assert.equal(table.size, reference.size);
      for (const key of ['a', 'b', 'c', 'd', 'zz']) {
        assert.equal(table.has(key), reference.has(key), `has ${key}`);
        assert.equal(table.get(key), reference.get(key), `get ${key}`);
      }
      assert.deepEqual([...table.values()].sort(), [...reference.values()].sort());
    }
    table.clear();
    assert.equal(table.size, 0);
    assert.deepEqual([...table.values()], []);
  });
});
