/**
 * The size of a value's JSON in UTF-8 bytes, computed by walking it, without
 * building the JSON: the walk stops as soon as the size passes `limit`, so a
 * result far over MAX_RESPONSE_BYTES costs no more than one just over it, and
 * never a string of its size. Exact for what GraphQL results are made of
 * (plain objects, arrays, strings, finite numbers, booleans, null), escapes
 * included.
 */

// Characters JSON.stringify escapes: quote, backslash, controls, and lone surrogates.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

// Printable ASCII but quote and backslash: one byte a character, as they are (almost every string of a result).
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function stringSize(text: string): number {
  if (PLAIN.test(text)) return text.length + 2;
  // Pairs of surrogates match too: JSON.stringify leaves them as they are, so measure its output.
  if (NEEDS_ESCAPE.test(text)) return Buffer.byteLength(JSON.stringify(text));
  return Buffer.byteLength(text) + 2;
}

/** JSON.stringify(value)'s byte length, or some number above `limit` once it is sure to be above. */
export function jsonSize(value: unknown, limit = Number.POSITIVE_INFINITY): number {
  let size = 0;

  function walk(item: unknown, inArray: boolean): boolean {
    switch (typeof item) {
      case 'string':
        size += stringSize(item);
        break;
      case 'number':
        size += Number.isFinite(item) ? String(item).length : 4;
        break;
      case 'boolean':
        size += item ? 4 : 5;
        break;
      case 'object':
        if (item === null) size += 4;
        else if (Array.isArray(item)) {
          size += 2 + Math.max(0, item.length - 1);
          for (const element of item) if (!walk(element, true)) return false;
        } else {
          const json = (item as { toJSON?: unknown }).toJSON;
          if (typeof json === 'function') return walk((json as () => unknown).call(item), inArray);
          size += 2;
          let first = true;
          // for…in rather than Object.keys: no array per object. Results are plain or
          // null-prototype objects: nothing enumerable is inherited.
          for (const key in item) {
            if (!Object.hasOwn(item, key)) continue;
            const member = (item as Record<string, unknown>)[key];
            // Left out by JSON.stringify.
            if (member === undefined || typeof member === 'function' || typeof member === 'symbol') continue;
            size += stringSize(key) + 1 + (first ? 0 : 1);
            first = false;
            if (!walk(member, false)) return false;
          }
        }
        break;
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
      default:
        // undefined, functions and symbols: null in arrays, left out elsewhere.
        if (inArray) size += 4;
    }
    return size <= limit;
  }

  walk(value, false);
  return size;
}
