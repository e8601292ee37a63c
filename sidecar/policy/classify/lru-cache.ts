// A bounded least-recently-used cache for classifications. Each distinct
// statement text is classified once (STYLE rule 6); the bound keeps an agent
// that sends endless distinct texts from growing the sidecar without limit.
// Map keeps insertion order, so re-inserting on a hit moves an entry to the
// young end and the first key is always the oldest.

export class LruCache<V> {
  readonly #map = new Map<string, V>();
  readonly #maxEntries: number;
  readonly #maxChars: number;
  #chars = 0;

  /**
   * @param maxEntries most entries kept
   * @param maxChars most key characters kept in all (keys dominate memory for SQL)
   */
  constructor(maxEntries: number, maxChars: number) {
    this.#maxEntries = maxEntries;
    this.#maxChars = maxChars;
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: string): V | undefined {
    const v = this.#map.get(key);
    if (v === undefined) return undefined;
    // Move to the young end only when it is not already there: the common case
    // of one hot statement then costs a single lookup.
    if (this.#map.size > 1) {
      this.#map.delete(key);
      this.#map.set(key, v);
    }
    return v;
  }

  set(key: string, value: V): void {
    // A key larger than a tenth of the budget would evict most of the cache for
    // one entry that is unlikely to repeat; such texts are classified every time.
    if (key.length > this.#maxChars / 10) return;
    const old = this.#map.get(key);
    if (old !== undefined) this.#map.delete(key);
    else this.#chars += key.length;
    this.#map.set(key, value);
    while (this.#map.size > this.#maxEntries || this.#chars > this.#maxChars) {
      const oldest = this.#map.keys().next();
      if (oldest.done) break;
      this.#map.delete(oldest.value);
      this.#chars -= oldest.value.length;
    }
  }

  clear(): void {
    this.#map.clear();
    this.#chars = 0;
  }
}
