// Commands counted by protocol and decision, with a latency histogram, cheap
// enough to update on every command: plain numbers in preallocated arrays,
// turned into Prometheus samples only when /metrics is scraped. prom-client's
// own Histogram did a label hash and several object lookups per observation,
// which showed up at a few percent of the gateway's CPU under pgbench.

import type { Protocol } from '../../api/types.js';

const DECISIONS = ['allow', 'deny', 'review', 'error'] as const;
type Decision = (typeof DECISIONS)[number];

/** Seconds; the upper bounds of the histogram's buckets (+Inf is implied). */
export const LATENCY_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30] as const;

class Series {
  count = 0;
  sum = 0;
  /** Not cumulative here: one slot per bucket plus +Inf; summed at scrape. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);

  observe(seconds: number): void {
    this.count++;
    this.sum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.buckets[i]!++;
  }
}

interface Sample {
  readonly metricName?: string;
  readonly labels: Record<string, string | number>;
  readonly value: number;
}

/** What prom-client's Registry needs of a metric: a name, and its samples when scraped. */
interface RegistryMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'histogram';
  readonly aggregator: 'sum';
  get(): { name: string; help: string; type: string; aggregator: 'sum'; values: Sample[] };
  reset(): void;
}

export class CommandMetrics {
  private readonly byProtocol = new Map<string, Series[]>();

  observe(protocol: Protocol, decision: string, seconds: number): void {
    let series = this.byProtocol.get(protocol);
    if (series === undefined) {
      series = DECISIONS.map(() => new Series());
      this.byProtocol.set(protocol, series);
    }
    // Anything unexpected counts as an error rather than vanishing from the metrics.
    const i = decision === 'allow' ? 0 : decision === 'deny' ? 1 : decision === 'review' ? 2 : 3;
    series[i]!.observe(seconds);
  }

  /** agentgate_commands_total, for a prom-client Registry. */
  counter(name: string, help: string): RegistryMetric {
    const collect = (): Sample[] => {
      const values: Sample[] = [];
      this.each((protocol, decision, s) => {
        values.push({ labels: { protocol, decision }, value: s.count });
      });
      return values;
    };
    return metric(name, help, 'counter', collect, () => this.byProtocol.clear());
  }

  /** agentgate_command_duration_seconds, for a prom-client Registry. */
  histogram(name: string, help: string): RegistryMetric {
    const collect = (): Sample[] => {
      const values: Sample[] = [];
      this.each((protocol, decision, s) => {
        let cumulative = 0;
        for (let i = 0; i <= LATENCY_BUCKETS.length; i++) {
          cumulative += s.buckets[i]!;
          const le = i < LATENCY_BUCKETS.length ? LATENCY_BUCKETS[i]! : '+Inf';
          values.push({
            metricName: `${name}_bucket`,
            labels: { le, protocol, decision },
            value: cumulative,
          });
        }
        values.push({ metricName: `${name}_sum`, labels: { protocol, decision }, value: s.sum });
        values.push({ metricName: `${name}_count`, labels: { protocol, decision }, value: s.count });
      });
      return values;
    };
    return metric(name, help, 'histogram', collect, () => this.byProtocol.clear());
  }

  private each(fn: (protocol: string, decision: Decision, s: Series) => void): void {
    for (const [protocol, series] of this.byProtocol) {
      for (let i = 0; i < DECISIONS.length; i++) {
        if (series[i]!.count > 0) fn(protocol, DECISIONS[i]!, series[i]!);
      }
    }
  }
}

function metric(
  name: string,
  help: string,
  type: 'counter' | 'histogram',
  collect: () => Sample[],
  reset: () => void,
): RegistryMetric {
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    get: () => ({ name, help, type, aggregator: 'sum', values: collect() }),
    reset,
  };
}
