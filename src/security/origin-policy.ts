/** Which browser origins may use the session cookie: ALLOWED_ORIGINS, for HTTP and the socket alike. */
export class OriginPolicy {
  readonly #allowed: ReadonlySet<string>;

  constructor(allowed: readonly string[]) {
    this.#allowed = new Set(allowed.map((origin) => origin.toLowerCase()));
  }

  allows(origin: string): boolean {
    return this.#allowed.has(origin.toLowerCase());
  }

  get list(): string[] {
    return [...this.#allowed];
  }
}
