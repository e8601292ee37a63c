// One AdmissionReview in, one out. Checks the envelope (admission.k8s.io/v1,
// a request with a uid, a Pod CREATE), runs the pure injector, and answers in
// the same apiVersion with the request's uid: allowed with a base64 JSON Patch,
// allowed without one (skipped), or not allowed with a message kubectl prints.
// Synchronous: the lookups it makes are cache reads.

import { type AgentgateError, agError } from '../common/errors.js';
import type { InjectConfig } from './config.js';
import { injectPod } from './inject.js';
import { type SkipReason, wasInjected } from './opt-in.js';
import { podPatch } from './patch.js';
import { podShapeProblem } from './pod-shape.js';
import type { Pod } from './pod-types.js';
import { ephemeralProblems } from './security-checks.js';
import type { EventRecorder, NamespaceLookup, PolicySource } from './sources.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';
const MAX_UID = 128;

export interface AdmissionDeps {
  readonly config: InjectConfig;
  readonly policies: PolicySource;
  readonly namespaces: NamespaceLookup;
  readonly events: EventRecorder;
}

export interface AdmissionRoute {
  /** The request came through the webhook whose namespaceSelector requires `agentgate.io/injection: enabled`. */
  readonly namespaceEnabled: boolean;
}

export type AdmissionOutcome =
  | { readonly kind: 'injected' }
  | { readonly kind: 'skipped'; readonly reason: SkipReason | 'not-a-pod-create' }
  | { readonly kind: 'refused' }
  | { readonly kind: 'bad-request'; readonly error: AgentgateError };

export interface AdmissionAnswer {
  readonly statusCode: number;
  readonly body: unknown;
  readonly outcome: AdmissionOutcome;
}

interface Request {
  uid: string;
  namespace: string;
  operation: string;
  kindOk: boolean;
  /** kubectl debug: an UPDATE of pods/ephemeralcontainers. */
  ephemeral: boolean;
  object: Pod | undefined;
  oldObject: Pod | undefined;
  /** A dry run: the webhook is registered with sideEffects None, so it records no Events. */
  dryRun: boolean;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 64 ? `${v.slice(0, 64)}...` : v);
  return v === undefined ? 'nothing' : typeof v;
}

function readRequest(body: unknown): Request | AgentgateError {
  if (!isObject(body))
    return agError('AG_ERR_WEBHOOK_BAD_REVIEW', `expected an AdmissionReview object, got ${describe(body)}`);
  if (body['apiVersion'] !== ADMISSION_API_VERSION) {
    return agError(
      'AG_ERR_WEBHOOK_BAD_REVIEW',
      `unsupported apiVersion ${describe(body['apiVersion'])}; register the webhook with admissionReviewVersions: [v1]`,
    );
  }
  if (body['kind'] !== 'AdmissionReview') {
    return agError(
      'AG_ERR_WEBHOOK_BAD_REVIEW',
      `expected kind AdmissionReview, got ${describe(body['kind'])}`,
    );
  }
  const req = body['request'];
  if (!isObject(req)) return agError('AG_ERR_WEBHOOK_BAD_REVIEW', 'AdmissionReview has no request');
  const uid = req['uid'];
  if (typeof uid !== 'string' || uid === '' || uid.length > MAX_UID) {
    return agError(
      'AG_ERR_WEBHOOK_BAD_REVIEW',
      `request.uid must be a non-empty string, got ${describe(uid)}`,
    );
  }
  const kind = req['kind'];
  const resource = req['resource'];
  const pods =
    isObject(kind) &&
    kind['kind'] === 'Pod' &&
    (kind['group'] ?? '') === '' &&
    isObject(resource) &&
    resource['resource'] === 'pods';
  const sub = req['subResource'] ?? '';
  const object = req['object'];
  const oldObject = req['oldObject'];
  return {
    uid,
    namespace: typeof req['namespace'] === 'string' ? req['namespace'] : '',
    operation: typeof req['operation'] === 'string' ? req['operation'] : '',
    kindOk: pods && sub === '',
    ephemeral: pods && sub === 'ephemeralcontainers',
    object: isObject(object) ? (object as Pod) : undefined,
    oldObject: isObject(oldObject) ? (oldObject as Pod) : undefined,
    dryRun: req['dryRun'] === true,
  };
}

function review(uid: string, response: Record<string, unknown>): unknown {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response: { uid, ...response } };
}

/** The pod's controller (a refused pod never exists, so events go to what tried to create it). */
function involved(
  pod: Pod,
  namespace: string,
): { namespace: string; kind: string; name: string; uid?: string } | undefined {
  const owners = pod.metadata?.['ownerReferences'];
  if (Array.isArray(owners)) {
    const owner = owners.find((o) => isObject(o) && o['controller'] === true) as
      | Record<string, unknown>
      | undefined;
    if (owner && typeof owner['kind'] === 'string' && typeof owner['name'] === 'string') {
      return {
        namespace,
        kind: owner['kind'],
        name: owner['name'],
        ...(typeof owner['uid'] === 'string' ? { uid: owner['uid'] } : {}),
      };
    }
  }
  const name = pod.metadata?.name;
  return name ? { namespace, kind: 'Pod', name } : undefined;
}

export function admit(body: unknown, route: AdmissionRoute, deps: AdmissionDeps): AdmissionAnswer {
  const req = readRequest(body);
  if (req instanceof Error) {
    return {
      statusCode: 400,
      body: { error: req.code, message: req.message },
      outcome: { kind: 'bad-request', error: req },
    };
  }
  for (const [what, obj] of [
    ['request.object', req.object],
    ['request.oldObject', req.oldObject],
  ] as const) {
    const problem = (req.kindOk || req.ephemeral) && obj !== undefined ? podShapeProblem(obj) : undefined;
    if (problem !== undefined) {
      const error = agError('AG_ERR_WEBHOOK_BAD_REVIEW', `${what}: ${problem}`);
      return {
        statusCode: 400,
        body: { error: error.code, message: error.message },
        outcome: { kind: 'bad-request', error },
      };
    }
  }
  if (
    req.ephemeral &&
    req.operation === 'UPDATE' &&
    req.object !== undefined &&
    req.oldObject !== undefined
  ) {
    return admitEphemeral(req.uid, req.oldObject, req.object, req.dryRun ? undefined : req.namespace, deps);
  }
  if (!req.kindOk || req.operation !== 'CREATE' || req.object === undefined) {
    return {
      statusCode: 200,
      body: review(req.uid, { allowed: true }),
      outcome: { kind: 'skipped', reason: 'not-a-pod-create' },
    };
  }
  const pod = req.object;
  const namespace = req.namespace || pod.metadata?.namespace || 'default';
  const known = deps.namespaces.labels(namespace);
  const namespaceLabels = route.namespaceEnabled ? { ...known, 'agentgate.io/injection': 'enabled' } : known;
  const outcome = injectPod(
    pod,
    { namespace, namespaceLabels, policies: deps.policies.current() },
    deps.config,
  );
  const who = req.dryRun ? undefined : involved(pod, namespace);
  switch (outcome.kind) {
    case 'skipped':
      // A skip worth telling someone about (hostNetwork: the pod runs ungated).
      if (who && outcome.warnings.length > 0) {
        deps.events.record(who, 'Warning', 'AgentgateInjectionSkipped', outcome.warnings.join('; '));
      }
      return {
        statusCode: 200,
        body: review(req.uid, {
          allowed: true,
          ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
        }),
        outcome: { kind: 'skipped', reason: outcome.reason },
      };
    case 'refused':
      if (who) deps.events.record(who, 'Warning', 'AgentgateInjectionRefused', outcome.message);
      return {
        statusCode: 200,
        body: review(req.uid, {
          allowed: false,
          status: { code: 403, reason: 'Forbidden', message: outcome.message },
        }),
        outcome: { kind: 'refused' },
      };
    case 'injected': {
      const patch = podPatch(pod, outcome.pod);
      if (who && outcome.warnings.length > 0) {
        deps.events.record(who, 'Warning', 'AgentgateInjectionWarning', outcome.warnings.join('; '));
      } else if (who) {
        const creds = Object.keys(outcome.status.credentials);
        deps.events.record(
          who,
          'Normal',
          'AgentgateInjected',
          `agentgate sidecar injected into pod ${pod.metadata?.name ?? pod.metadata?.generateName ?? ''}${creds.length > 0 ? ` with credentials for ${creds.join(', ')}` : ''}`,
        );
      }
      return {
        statusCode: 200,
        body: review(req.uid, {
          allowed: true,
          patchType: 'JSONPatch',
          patch: Buffer.from(JSON.stringify(patch)).toString('base64'),
          ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
        }),
        outcome: { kind: 'injected' },
      };
    }
  }
}

/** kubectl debug on an injected pod: refuse (or warn about) debug containers that reach around the gate. */
/** `namespace` is undefined for a dry run: no Events then. */
function admitEphemeral(
  uid: string,
  before: Pod,
  after: Pod,
  namespace: string | undefined,
  deps: AdmissionDeps,
): AdmissionAnswer {
  if (!wasInjected(before)) {
    return {
      statusCode: 200,
      body: review(uid, { allowed: true }),
      outcome: { kind: 'skipped', reason: 'not-a-pod-create' },
    };
  }
  const problems = ephemeralProblems(before, after, deps.config);
  if (problems.length === 0) {
    return {
      statusCode: 200,
      body: review(uid, { allowed: true }),
      outcome: { kind: 'skipped', reason: 'not-a-pod-create' },
    };
  }
  const who = namespace === undefined ? undefined : involved(after, namespace);
  // Reserved-volume mounts leak credentials: refused whatever the mode.
  const leak = problems.some((p) => p.includes('reserved for the sidecar'));
  if (deps.config.securityMode === 'warn' && !leak) {
    const warnings = problems.map((p) => `agentgate: ${p}; the gate can be bypassed`);
    if (who) deps.events.record(who, 'Warning', 'AgentgateInjectionWarning', warnings.join('; '));
    return {
      statusCode: 200,
      body: review(uid, { allowed: true, warnings }),
      outcome: { kind: 'skipped', reason: 'not-a-pod-create' },
    };
  }
  const message = `agentgate: debug container refused: ${problems.join('; ')}`;
  if (who) deps.events.record(who, 'Warning', 'AgentgateInjectionRefused', message);
  return {
    statusCode: 200,
    body: review(uid, { allowed: false, status: { code: 403, reason: 'Forbidden', message } }),
    outcome: { kind: 'refused' },
  };
}
