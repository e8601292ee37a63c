import { Registry } from 'prom-client';
import { registerAuditMetrics } from './metrics.js';
import type { AuditStats } from './sink.js';

test('audit metrics show the sink counters at scrape time, drops included', async () => {
  const stats: AuditStats = {
    spansSpooled: 10,
    spansExported: 7,
    spansDropped: 2,
    spansRejected: 0,
    spoolBytes: 4096,
    exportFailures: 1,
    backlogSpans: 3,
    workerCpuUs: 2_500_000,
    overflow: 0,
    spoolFull: true,
    failed: false,
  };
  let current = stats;
  const registry = new Registry();
  registerAuditMetrics(registry, { stats: () => current });
  let text = await registry.metrics();
  expect(text).toContain('agentgate_audit_spans_dropped_total 2');
  expect(text).toContain('agentgate_audit_spool_full 1');
  expect(text).toContain('agentgate_audit_worker_cpu_seconds_total 2.5');
  current = { ...stats, spansDropped: 5, spoolFull: false };
  text = await registry.metrics();
  expect(text).toContain('agentgate_audit_spans_dropped_total 5');
  expect(text).toContain('agentgate_audit_spool_full 0');
  expect(text).toContain('agentgate_audit_backlog_spans 3');
});
