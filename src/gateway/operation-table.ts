/**
 * A connection's live operations by id. Nearly every socket runs one
 * subscription, and a Map costs several times the memory of one entry held
 * inline; this holds the first entry in two fields and makes a Map only for
 * more. The API is the subset of Map the engine uses.
 */
export class OperationTable<V> {
  #firstId: string | undefined;
  #first: V | undefined;
  #more: Map<string, V> | undefined;

  get size(): number {
    return (this.#firstId === undefined ? 0 : 1) + (this.#more?.size ?? 0);
  }

  has(id: string): boolean {
    return id === this.#firstId || (this.#more?.has(id) ?? false);
  }

  get(id: string): V | undefined {
    return id === this.#firstId ? this.#first : this.#more?.get(id);
  }

  set(id: string, value: V): void {
    if (this.#firstId === undefined || this.#firstId === id) {
      this.#firstId = id;
      this.#first = value;
    } else {
      (this.#more ??= new Map()).set(id, value);
    }
  }

  delete(id: string): boolean {
    if (id === this.#firstId) {
      this.#firstId = undefined;
      this.#first = undefined;
      return true;
    }
    return this.#more?.delete(id) ?? false;
  }

  *values(): IterableIterator<V> {
    if (this.#firstId !== undefined) yield this.#first as V;
    if (this.#more !== undefined) yield* this.#more.values();
  }

  clear(): void {
    this.#firstId = undefined;
    this.#first = undefined;
    this.#more = undefined;
  }
}
