/**
 * A binary min-heap of (deadline, key): one timer structure for many expiries, instead of a timer each.
 * Held as two parallel arrays, not an object per entry: the deadlines array holds its numbers
 * unboxed (8 bytes each), where an entry object with a time in it costs ~56 (one per watched session).
 */
export interface Deadline<K> {
  readonly at: number;
  readonly key: K;
}

export class DeadlineHeap<K> {
  readonly #at: number[] = [];
  readonly #keys: K[] = [];

  get size(): number {
    return this.#at.length;
  }

  push(at: number, key: K): void {
    const ats = this.#at;
    const keys = this.#keys;
    ats.push(at);
    keys.push(key);
    let i = ats.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((ats[parent] as number) <= at) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  peek(): Deadline<K> | undefined {
    return this.#at.length === 0 ? undefined : { at: this.#at[0] as number, key: this.#keys[0] as K };
  }

  pop(): Deadline<K> | undefined {
    const ats = this.#at;
    const keys = this.#keys;
    if (ats.length === 0) return undefined;
    const top: Deadline<K> = { at: ats[0] as number, key: keys[0] as K };
    const lastAt = ats.pop() as number;
    const lastKey = keys.pop() as K;
    if (ats.length === 0) return top;
    ats[0] = lastAt;
    keys[0] = lastKey;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < ats.length && (ats[left] as number) < (ats[smallest] as number)) smallest = left;
      if (right < ats.length && (ats[right] as number) < (ats[smallest] as number)) smallest = right;
      if (smallest === i) break;
      this.#swap(i, smallest);
      i = smallest;
    }
    return top;
  }

  /** Removes and returns every entry due at `now`. */
  popDue(now: number): K[] {
    const due: K[] = [];
    while (this.#at.length > 0 && (this.#at[0] as number) <= now) due.push((this.pop() as Deadline<K>).key);
    return due;
  }

  #swap(i: number, j: number): void {
    const ats = this.#at;
    const keys = this.#keys;
    const at = ats[i] as number;
    ats[i] = ats[j] as number;
    ats[j] = at;
    const key = keys[i] as K;
    keys[i] = keys[j] as K;
    keys[j] = key;
  }
}
