// Prometheus view of the audit pipeline: the sink's shared counters read at
// scrape time, so recording a command never touches a metric.

import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditStats } from './sink.js';

interface StatsSource {
  stats(): AuditStats;
}

const COUNTERS: readonly [keyof AuditStats, string, string][] = [
  ['spansSpooled', 'agentgate_audit_spans_spooled_total', 'Spans written to the audit spool'],
  ['spansExported', 'agentgate_audit_spans_exported_total', 'Spans the collector acknowledged'],
  [
    'spansDropped',
    'agentgate_audit_spans_dropped_total',
    'Spans deleted unsent to make room (onFull: drop-oldest)',
  ],
  [
    'spansRejected',
    'agentgate_audit_spans_rejected_total',
    'Spans the collector refused as malformed (HTTP 400)',
  ],
  [
    'exportFailures',
    'agentgate_audit_export_failures_total',
    'Export requests that failed and will be retried',
  ],
];

const GAUGES: readonly [keyof AuditStats, string, string][] = [
  ['spoolBytes', 'agentgate_audit_spool_bytes', 'Size of the audit spool files'],
  ['backlogSpans', 'agentgate_audit_backlog_spans', 'Spooled spans not yet acknowledged by the collector'],
  ['overflow', 'agentgate_audit_overflow_events', 'Events held on the event loop because the ring was full'],
  ['spoolFull', 'agentgate_audit_spool_full', '1 while the spool is full and sessions wait (onFull: block)'],
  ['failed', 'agentgate_audit_failed', '1 once the audit worker has stopped: commands are refused'],
];

/** Registers the audit metrics on `registry`, read from `sink` at each scrape. */
export function registerAuditMetrics(registry: Registry, sink: StatsSource): void {
  for (const [key, name, help] of COUNTERS) {
    let last = 0;
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        const v = Number(sink.stats()[key]);
        if (v > last) this.inc(v - last);
        last = v;
      },
    });
  }
  let cpuLast = 0;
  new Counter({
    name: 'agentgate_audit_worker_cpu_seconds_total',
    help: 'CPU the audit worker thread has used (building, chaining, spooling and exporting spans)',
    registers: [registry],
    collect() {
      const v = sink.stats().workerCpuUs / 1e6;
      if (v > cpuLast) this.inc(v - cpuLast);
      cpuLast = v;
    },
  });
  for (const [key, name, help] of GAUGES) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(Number(sink.stats()[key]));
      },
    });
  }
}
