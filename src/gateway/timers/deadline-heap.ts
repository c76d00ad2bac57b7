/** A binary min-heap of (deadline, key): one timer structure for many expiries, instead of a timer each. */
export interface Deadline<K> {
  readonly at: number;
  readonly key: K;
}

export class DeadlineHeap<K> {
  readonly #items: Deadline<K>[] = [];

  get size(): number {
    return this.#items.length;
  }

  push(at: number, key: K): void {
    const items = this.#items;
    items.push({ at, key });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((items[parent] as Deadline<K>).at <= at) break;
      [items[i], items[parent]] = [items[parent] as Deadline<K>, items[i] as Deadline<K>];
      i = parent;
    }
  }

  peek(): Deadline<K> | undefined {
    return this.#items[0];
  }

  pop(): Deadline<K> | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && (items[left] as Deadline<K>).at < (items[smallest] as Deadline<K>).at) smallest = left;
      if (right < items.length && (items[right] as Deadline<K>).at < (items[smallest] as Deadline<K>).at) smallest = right;
      if (smallest === i) break;
      [items[i], items[smallest]] = [items[smallest] as Deadline<K>, items[i] as Deadline<K>];
      i = smallest;
    }
    return top;
  }

  /** Removes and returns every entry due at `now`. */
  popDue(now: number): K[] {
    const due: K[] = [];
    while (this.#items.length > 0 && (this.#items[0] as Deadline<K>).at <= now) due.push((this.pop() as Deadline<K>).key);
    return due;
  }
}
