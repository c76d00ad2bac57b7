/**
 * A string built by concatenation (`${a}\u0000${b}…`, `topic:${t}`) is a tree of
 * "cons" strings in V8: ~32 bytes per `+`, plus the parts. One kept for a
 * subscription's life (its group key, its topic, its bus channel) is cheaper flat:
 * reading it as a number makes V8 flatten it in place, and the collector then drops
 * the tree and keeps the one flat string. Same value, nothing else changes.
 */
export function flatString(value: string): string {
  // ToNumber flattens its string argument; the result is not needed.
  if (typeof value === 'string') void Number(value);
  return value;
}
