// Prometheus metrics for the gateway (prom-client). Label children are made
// once and kept, so the per-command cost is a counter add and a histogram
// observe, not a label lookup.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Protocol } from '../../api/types.js';
import type { GatewayMetrics } from '../protocols/gateway-context.js';

export class SidecarMetrics implements GatewayMetrics {
  readonly registry = new Registry();
  private readonly sessions: Gauge<'protocol'>;
  private readonly sessionsTotal: Counter<'protocol'>;
  private readonly commands: Counter<'protocol' | 'decision'>;
  private readonly latency: Histogram<'protocol' | 'decision'>;
  private readonly bytesTotal: Counter<'direction'>;
  private readonly maskedTotal: Counter;
  readonly policyReloads: Counter<'result'>;
  readonly unknownDestinations: Counter<'action'>;
  private readonly children = new Map<
    string,
    { c: Counter.Internal; h: Histogram.Internal<'protocol' | 'decision'> }
  >();

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
    this.commands = new Counter({
      name: 'agentgate_commands_total',
      help: 'Commands by decision (allow, deny, review, error)',
      labelNames: ['protocol', 'decision'],
      registers,
    });
    this.latency = new Histogram({
      name: 'agentgate_command_duration_seconds',
      help: 'Time from a command reaching the sidecar to its last result byte leaving it',
      labelNames: ['protocol', 'decision'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers,
    });
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
    const key = `${protocol}|${decision}`;
    let ch = this.children.get(key);
    if (ch === undefined) {
      ch = { c: this.commands.labels(protocol, decision), h: this.latency.labels(protocol, decision) };
      this.children.set(key, ch);
    }
    ch.c.inc();
    ch.h.observe(seconds);
  }

  bytes(direction: 'in' | 'out', n: number): void {
    this.bytesTotal.inc({ direction }, n);
  }

  masked(n: number): void {
    this.maskedTotal.inc(n);
  }
}
