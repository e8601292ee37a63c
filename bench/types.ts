export interface BenchResult {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
  readonly note?: string;
}
