import { SidecarMetrics } from './metrics.js';

test('per-command counters and latency histogram render as Prometheus text, cumulative by bucket', async () => {
  const m = new SidecarMetrics();
  m.command('postgres', 'allow', 0.00005);
  m.command('postgres', 'allow', 0.002);
  m.command('postgres', 'allow', 60);
  m.command('postgres', 'deny', 0.0003);
  m.command('postgres', 'something-new', 0.0003);
  const text = await m.registry.metrics();
  expect(text).toContain('# TYPE agentgate_commands_total counter');
  expect(text).toContain('agentgate_commands_total{protocol="postgres",decision="allow"} 3');
  expect(text).toContain('agentgate_commands_total{protocol="postgres",decision="deny"} 1');
  // An unexpected decision is counted, as an error.
  expect(text).toContain('agentgate_commands_total{protocol="postgres",decision="error"} 1');
  expect(text).not.toContain('decision="review"');
  expect(text).toContain('# TYPE agentgate_command_duration_seconds histogram');
  const allow = (le: string) =>
    `agentgate_command_duration_seconds_bucket{le="${le}",protocol="postgres",decision="allow"}`;
  expect(text).toContain(`${allow('0.0001')} 1`);
  expect(text).toContain(`${allow('0.001')} 1`);
  expect(text).toContain(`${allow('0.005')} 2`);
  expect(text).toContain(`${allow('30')} 2`);
  expect(text).toContain(`${allow('+Inf')} 3`);
  expect(text).toContain('agentgate_command_duration_seconds_count{protocol="postgres",decision="allow"} 3');
  expect(text).toMatch(
    /agentgate_command_duration_seconds_sum\{protocol="postgres",decision="allow"\} 60\.002/,
  );
});

test('an idle sidecar exports the metric families with no samples', async () => {
  const text = await new SidecarMetrics().registry.metrics();
  expect(text).toContain('# HELP agentgate_commands_total');
  expect(text).not.toContain('agentgate_commands_total{');
});
