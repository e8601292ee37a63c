// OpenAPI v3 schemas for AgentPolicy and AccessRequest: the one source for the
// CRDs (generate-crds.ts), the file loader's validation (loader.ts) and the
// docs. Structural, as Kubernetes requires: every field typed, maps explicit.
// Cross-field rules are CEL (`x-kubernetes-validations`); the file loader
// enforces the same rules in TypeScript (policy/validate.ts), and a test checks
// both say the same about the same objects.

import { ACCESS_REQUEST_PHASES, ACTIONS, ENTITIES, MASKING_STRATEGIES, PROTOCOLS } from './types.js';

export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  additionalProperties?: JsonSchema | boolean;
  enum?: readonly (string | number)[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  'x-kubernetes-validations'?: { rule: string; message: string; fieldPath?: string }[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

const NAME_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
// host:port with the port in 1..65535; IPv6 literals in brackets.
export const ADDRESS_PATTERN =
  '^(\\[[0-9A-Fa-f:.]+\\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])$';
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h))+$';

const str = (description: string, extra: Partial<JsonSchema> = {}): JsonSchema => ({
  type: 'string',
  description,
  maxLength: 253,
  ...extra,
});
const strList = (description: string, maxItems: number, itemMax = 253): JsonSchema => ({
  type: 'array',
  description,
  maxItems,
  items: { type: 'string', maxLength: itemMax },
});
const oneOf = (fields: string[]) => fields.map((f) => `(has(self.${f}) ? 1 : 0)`).join(' + ');

const labelSelector: JsonSchema = {
  type: 'object',
  description:
    'Which agent pods the policy governs, by label (a standard label selector). Empty or absent: every pod in the namespace.',
  properties: {
    matchLabels: { type: 'object', additionalProperties: { type: 'string', maxLength: 63 } },
    matchExpressions: {
      type: 'array',
      maxItems: 32,
      items: {
        type: 'object',
        required: ['key', 'operator'],
        properties: {
          key: str('Label key.'),
          operator: { type: 'string', enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'] },
          values: strList('Label values, for In and NotIn.', 64, 63),
        },
      },
    },
  },
};

const subject: JsonSchema = {
  type: 'object',
  description:
    'One identity the policy applies to: an OIDC group, an OIDC subject, or a workload (service account).',
  properties: {
    group: str('An OIDC group, read from the configured groups claim.'),
    user: str('An OIDC subject (the `sub` claim), exactly.'),
    serviceAccount: str(
      'A pod workload identity: `name` (in the policy namespace) or `namespace/name`. Lets connections without a token run as the pod service account.',
    ),
  },
  'x-kubernetes-validations': [
    {
      rule: `${oneOf(['group', 'user', 'serviceAccount'])} == 1`,
      message: 'exactly one of group, user, serviceAccount',
    },
  ],
};

const target: JsonSchema = {
  type: 'object',
  description: 'A destination the agent may reach through the sidecar.',
  required: ['name', 'protocol', 'address'],
  properties: {
    name: str('Target name, unique in the policy; rules and masking refer to it.', {
      pattern: NAME_PATTERN,
      maxLength: 63,
    }),
    protocol: {
      type: 'string',
      description: 'Wire protocol the sidecar speaks to this target.',
      enum: PROTOCOLS,
    },
    address: str('host:port of the real destination (DNS name or IP; IPv6 in brackets).', {
      pattern: ADDRESS_PATTERN,
    }),
    localPort: {
      type: 'integer',
      description: 'An explicit sidecar listener for this target, for use without iptables.',
      minimum: 1,
      maximum: 65535,
    },
    credentialsSecretRef: {
      type: 'object',
      description: 'Secret holding `username` and `password` for the target; mounted into the sidecar only.',
      required: ['name'],
      properties: { name: str('Secret name.', { pattern: NAME_PATTERN }) },
    },
    tls: {
      type: 'object',
      description: 'TLS from the sidecar to the target.',
      required: ['mode'],
      properties: {
        mode: {
          type: 'string',
          enum: ['disable', 'require', 'verify-full'],
          description: 'disable, require (unverified) or verify-full.',
        },
        caSecretRef: {
          type: 'object',
          description: 'Secret with `ca.crt` to verify the target against (verify-full); absent: system CAs.',
          required: ['name'],
          properties: { name: str('Secret name.', { pattern: NAME_PATTERN }) },
        },
      },
    },
  },
};

const approver: JsonSchema = {
  type: 'object',
  description: 'Who may approve: an OIDC group or subject.',
  properties: { group: str('An OIDC group.'), user: str('An OIDC subject.') },
  'x-kubernetes-validations': [
    { rule: `${oneOf(['group', 'user'])} == 1`, message: 'exactly one of group, user' },
  ],
};

const rule: JsonSchema = {
  type: 'object',
  description: 'A rule: when its match fits a command, its action decides. First match wins.',
  required: ['name', 'action'],
  properties: {
    name: str('Rule name, unique in the policy; reported to the agent and in audit.', {
      pattern: NAME_PATTERN,
      maxLength: 63,
    }),
    match: {
      type: 'object',
      description:
        'What the rule applies to. A field left out matches everything, UNKNOWN commands included.',
      properties: {
        target: str('A declared target name.', { maxLength: 63 }),
        operations: strList(
          'Operations: SQL statement kinds (SELECT, DROP, ...), Redis commands or categories (GET, READ, DANGEROUS), HTTP methods; UNKNOWN for what cannot be classified.',
          64,
          64,
        ),
        tables: strList('Tables (`table`, `schema.table`, `*` wildcards) or Redis key patterns.', 128),
        paths: strList('HTTP path templates: `/v1/orders/{id}`, `/v1/**`.', 128, 1024),
      },
    },
    action: {
      type: 'string',
      enum: ACTIONS,
      description: 'allow, deny, or review (pause until a human approves).',
    },
    review: {
      type: 'object',
      description: 'For action review: who approves and how long the command waits.',
      required: ['approvers'],
      properties: {
        approvers: {
          type: 'array',
          minItems: 1,
          maxItems: 32,
          items: approver,
          description: 'Who may approve.',
        },
        timeout: str('How long a command waits for a decision (e.g. 30s, 5m); default 5m.', {
          pattern: DURATION_PATTERN,
          maxLength: 32,
        }),
      },
    },
    message: str('Shown to the agent with a denial.', { maxLength: 1024 }),
  },
  'x-kubernetes-validations': [
    {
      rule: "self.action != 'review' || (has(self.review) && size(self.review.approvers) > 0)",
      message: 'action review needs review.approvers',
      fieldPath: '.review',
    },
  ],
};

const maskingRule: JsonSchema = {
  type: 'object',
  description: 'Masking applied to results: by entity (content recognizers) and/or by column name.',
  properties: {
    target: str('A declared target name; absent: every target of the policy.', { maxLength: 63 }),
    entities: {
      type: 'array',
      maxItems: 64,
      items: { type: 'string', enum: ENTITIES },
      description: 'Entity names (Presidio names).',
    },
    columns: strList('Column names: `ssn`, `users.email`, `*.card_number`.', 128),
    strategy: {
      type: 'string',
      enum: MASKING_STRATEGIES,
      description: 'redact (default), partial, hash, or null.',
    },
    keep: {
      type: 'integer',
      minimum: 0,
      maximum: 64,
      description: 'For partial: trailing characters kept visible.',
    },
  },
  'x-kubernetes-validations': [
    { rule: 'has(self.entities) || has(self.columns)', message: 'a masking rule needs entities or columns' },
  ],
};

const targetDeclared = (path: string) => `self.targets.exists(t, t.name == ${path})`;

export const agentPolicySpecSchema: JsonSchema = {
  type: 'object',
  description: 'Which agent pods and identities may do what on which targets, and what is masked.',
  required: ['targets'],
  properties: {
    podSelector: labelSelector,
    subjects: {
      type: 'array',
      description: 'Identities the policy applies to. Absent: every authenticated identity.',
      maxItems: 64,
      items: subject,
    },
    targets: {
      type: 'array',
      description: 'Destinations the policy governs.',
      minItems: 1,
      maxItems: 64,
      items: target,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    },
    rules: {
      type: 'array',
      description: 'Rules in order; the first that matches decides.',
      maxItems: 256,
      items: rule,
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    },
    masking: { type: 'array', description: 'Masking rules.', maxItems: 64, items: maskingRule },
    defaultAction: {
      type: 'string',
      enum: ['allow', 'deny'],
      default: 'deny',
      description: 'Decision when no rule matches: deny (default) or allow.',
    },
  },
  'x-kubernetes-validations': [
    {
      rule: `!has(self.rules) || self.rules.all(r, !has(r.match) || !has(r.match.target) || ${targetDeclared('r.match.target')})`,
      message: "a rule's match.target must be a declared target",
      fieldPath: '.rules',
    },
    {
      rule: `!has(self.masking) || self.masking.all(m, !has(m.target) || ${targetDeclared('m.target')})`,
      message: "a masking rule's target must be a declared target",
      fieldPath: '.masking',
    },
    {
      rule: 'self.targets.all(a, !has(a.localPort) || self.targets.exists_one(b, has(b.localPort) && b.localPort == a.localPort))',
      message: 'localPort values must be unique',
      fieldPath: '.targets',
    },
  ],
};

export const agentPolicyStatusSchema: JsonSchema = {
  type: 'object',
  description: 'Observed state.',
  properties: {
    observedGeneration: { type: 'integer' },
    conditions: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        required: ['type', 'status'],
        properties: {
          type: str('Condition type.'),
          status: { type: 'string', enum: ['True', 'False', 'Unknown'] },
          reason: str('Machine-readable reason.'),
          message: str('Human-readable message.', { maxLength: 4096 }),
          lastTransitionTime: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
};

export const accessRequestSpecSchema: JsonSchema = {
  type: 'object',
  description: 'A paused command waiting for a human decision. Created by the sidecar.',
  required: ['policy', 'rule', 'target', 'subject', 'command', 'approvers', 'expiresAt'],
  properties: {
    policy: str('The policy whose review rule paused the command (namespace/name).'),
    rule: str('The review rule.'),
    target: str('The target the command is for.'),
    subject: str('The agent identity (OIDC subject or service account).'),
    groups: strList('The agent groups.', 128),
    pod: {
      type: 'object',
      description: 'The agent pod.',
      properties: { namespace: str('Namespace.'), name: str('Pod name.') },
    },
    command: {
      type: 'object',
      description: 'The command, with personal data masked.',
      required: ['text'],
      properties: {
        text: { type: 'string', maxLength: 65536, description: 'Masked command text.' },
        operations: strList('Operations.', 64, 64),
        tables: strList('Tables or keys.', 128),
      },
    },
    approvers: { type: 'array', minItems: 1, maxItems: 32, items: approver, description: 'Who may approve.' },
    expiresAt: { type: 'string', format: 'date-time', description: 'When the paused command gives up.' },
  },
};

export const accessRequestStatusSchema: JsonSchema = {
  type: 'object',
  description: 'The decision.',
  properties: {
    phase: {
      type: 'string',
      enum: ACCESS_REQUEST_PHASES,
      description: 'Pending, Approved, Denied or Expired.',
    },
    approver: str('Who decided.'),
    decidedAt: { type: 'string', format: 'date-time' },
    reason: str('Why, in the approver words.', { maxLength: 4096 }),
    validUntil: {
      type: 'string',
      format: 'date-time',
      description: 'An approval covers repeats of the command until then.',
    },
  },
  'x-kubernetes-validations': [
    {
      rule: "!has(oldSelf.phase) || oldSelf.phase == 'Pending' || self.phase == oldSelf.phase",
      message: 'a decided AccessRequest cannot change phase',
    },
  ],
};

const metaFor = (kind: string, spec: JsonSchema, status: JsonSchema, requireSpec = true): JsonSchema => ({
  type: 'object',
  description: kind,
  required: requireSpec ? ['spec'] : [],
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec,
    status,
  },
});

export const agentPolicySchema = metaFor(
  'AgentPolicy: what AI agents may do through the agentgate sidecar.',
  agentPolicySpecSchema,
  agentPolicyStatusSchema,
);
export const accessRequestSchema = metaFor(
  'AccessRequest: a command paused by a review rule, waiting for a human.',
  accessRequestSpecSchema,
  accessRequestStatusSchema,
);
