// The scanner's output: parallel typed arrays reused for every value, so a
// value in which nothing is found costs no allocation at all.

export class Matches {
  count = 0;
  start: Int32Array;
  end: Int32Array;
  entity: Uint8Array;

  constructor(capacity = 32) {
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.entity = new Uint8Array(capacity);
  }

  /** End of the last finding, so a backward-looking recognizer never overlaps it. */
  get lastEnd(): number {
    return this.count === 0 ? 0 : this.end[this.count - 1]!;
  }

  push(entity: number, start: number, end: number): void {
    if (this.count === this.start.length) this.grow();
    const k = this.count++;
    this.start[k] = start;
    this.end[k] = end;
    this.entity[k] = entity;
  }

  private grow(): void {
    const cap = this.start.length * 2;
    const start = new Int32Array(cap);
    const end = new Int32Array(cap);
    const entity = new Uint8Array(cap);
    start.set(this.start);
    end.set(this.end);
    entity.set(this.entity);
    this.start = start;
    this.end = end;
    this.entity = entity;
  }
}
