// Prometheus metrics for the gateway (prom-client). Per-command counters and
// latencies live in CommandMetrics (plain arrays, rendered at scrape), the
// rest are prom-client's own.

import { Counter, Gauge, Registry } from 'prom-client';
import type { Protocol } from '../../api/types.js';
import type { GatewayMetrics } from '../protocols/gateway-context.js';
import { CommandMetrics } from './command-metrics.js';

export class SidecarMetrics implements GatewayMetrics {
  readonly registry = new Registry();
  private readonly sessions: Gauge<'protocol'>;
  private readonly sessionsTotal: Counter<'protocol'>;
  private readonly commands = new CommandMetrics();
  private readonly bytesTotal: Counter<'direction'>;
  private readonly maskedTotal: Counter;
  readonly policyReloads: Counter<'result'>;
  readonly unknownDestinations: Counter<'action'>;

  constructor() {
    const registers = [this.registry];
    this.sessions = new Gauge({
      name: 'agentgate_sessions',
      help: 'Open agent sessions',
      labelNames: ['protocol'],
      registers,
    });
    this.sessionsTotal = new Counter({
      name: 'agentgate_sessions_total',
      help: 'Agent sessions opened',
      labelNames: ['protocol'],
      registers,
    });
    this.registry.registerMetric(
      this.commands.counter(
        'agentgate_commands_total',
        'Commands by decision (allow, deny, review, error)',
      ) as never,
    );
    this.registry.registerMetric(
      this.commands.histogram(
        'agentgate_command_duration_seconds',
        'Time from a command reaching the sidecar to its last result byte leaving it',
      ) as never,
    );
    this.bytesTotal = new Counter({
      name: 'agentgate_bytes_total',
      help: 'Bytes between agents and the sidecar (in: from the agent; out: to the agent)',
      labelNames: ['direction'],
      registers,
    });
    this.maskedTotal = new Counter({
      name: 'agentgate_masked_values_total',
      help: 'Values masked in results',
      registers,
    });
    this.policyReloads = new Counter({
      name: 'agentgate_policy_reloads_total',
      help: 'Policy reloads by result',
      labelNames: ['result'],
      registers,
    });
    this.unknownDestinations = new Counter({
      name: 'agentgate_unknown_destination_total',
      help: 'Redirected connections to no declared target, by what was done',
      labelNames: ['action'],
      registers,
    });
  }

  sessionOpened(protocol: Protocol): void {
    this.sessions.inc({ protocol });
    this.sessionsTotal.inc({ protocol });
  }

  sessionClosed(protocol: Protocol): void {
    this.sessions.dec({ protocol });
  }

  command(protocol: Protocol, decision: string, seconds: number): void {
    this.commands.observe(protocol, decision, seconds);
  }

  bytes(direction: 'in' | 'out', n: number): void {
    this.bytesTotal.inc({ direction }, n);
  }

  masked(n: number): void {
    this.maskedTotal.inc(n);
  }
}
