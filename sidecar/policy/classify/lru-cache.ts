// A bounded, approximately least-recently-used cache for classifications.
// Each distinct statement text is classified once (STYLE rule 6); the bound
// keeps an agent that sends endless distinct texts from growing the sidecar.
//
// Two generations instead of one Map reordered on every hit: deleting and
// re-inserting into a full V8 Map leaves it rehashing on nearly every hit
// (measured: ~30 µs per hit at 10,000 entries). Here a hit in the young
// generation is one lookup; a hit in the old one copies the entry to the young
// one; when the young generation fills, it becomes the old one and the previous
// old one is dropped whole. Entries used within the last generation survive.

export class LruCache<V> {
  #young = new Map<string, V>();
  #old = new Map<string, V>();
  #youngChars = 0;
  readonly #maxEntries: number;
  readonly #maxChars: number;

  /**
   * @param maxEntries most entries kept (across both generations)
   * @param maxChars most key characters kept in all (keys dominate memory for SQL)
   */
  constructor(maxEntries: number, maxChars: number) {
    this.#maxEntries = Math.max(2, maxEntries);
    this.#maxChars = maxChars;
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  get(key: string): V | undefined {
    const v = this.#young.get(key);
    if (v !== undefined) return v;
    const o = this.#old.get(key);
    if (o !== undefined) this.#put(key, o);
    return o;
  }

  set(key: string, value: V): void {
    // A key larger than a tenth of the budget would push out many entries for
    // one text that is unlikely to repeat; such texts are classified every time.
    if (key.length > this.#maxChars / 10) return;
    if (this.#young.has(key)) {
      this.#young.set(key, value);
      return;
    }
    this.#put(key, value);
  }

  clear(): void {
    this.#young = new Map();
    this.#old = new Map();
    this.#youngChars = 0;
  }

  #put(key: string, value: V): void {
    if (this.#young.size >= this.#maxEntries / 2 || this.#youngChars + key.length > this.#maxChars / 2) {
      this.#old = this.#young;
      this.#young = new Map();
      this.#youngChars = 0;
    }
    this.#young.set(key, value);
    this.#youngChars += key.length;
  }
}
