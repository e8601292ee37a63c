// Prometheus metrics for the webhook, on a registry of its own so a test can
// run several servers in one process.

import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { AdmissionOutcome } from './admission.js';

export class WebhookMetrics {
  readonly registry = new Registry();
  readonly injections = new Counter({
    name: 'agentgate_webhook_injections_total',
    help: 'Pods injected with the agentgate sidecar',
    registers: [this.registry],
  });
  readonly skips = new Counter({
    name: 'agentgate_webhook_skips_total',
    help: 'Admission requests answered without a patch, by reason',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly refusals = new Counter({
    name: 'agentgate_webhook_refusals_total',
    help: 'Pods refused because they could bypass the gate or had invalid annotations',
    registers: [this.registry],
  });
  readonly badRequests = new Counter({
    name: 'agentgate_webhook_bad_requests_total',
    help: 'Requests that were not an AdmissionReview the webhook can answer',
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'agentgate_webhook_admission_duration_seconds',
    help: 'Time from a parsed AdmissionReview to its answer',
    labelNames: ['outcome'] as const,
    buckets: [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });

  constructor(withProcessMetrics = true) {
    if (withProcessMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'agentgate_webhook_' });
  }

  observe(outcome: AdmissionOutcome, seconds: number): void {
    switch (outcome.kind) {
      case 'injected':
        this.injections.inc();
        break;
      case 'skipped':
        this.skips.inc({ reason: outcome.reason });
        break;
      case 'refused':
        this.refusals.inc();
        break;
      case 'bad-request':
        this.badRequests.inc();
        return;
    }
    this.latency.observe({ outcome: outcome.kind }, seconds);
  }
}
