// The AgentPolicy and AccessRequest objects as TypeScript sees them. The
// OpenAPI schemas in schema.ts describe the same shapes for the API server and
// the file loader; crds/ is generated from both.

export const API_GROUP = 'agentgate.io';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export const PROTOCOLS = ['postgres', 'mysql', 'redis', 'http'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const ACTIONS = ['allow', 'deny', 'review'] as const;
export type Action = (typeof ACTIONS)[number];

export const MASKING_STRATEGIES = ['redact', 'partial', 'hash', 'null'] as const;
export type MaskingStrategy = (typeof MASKING_STRATEGIES)[number];

/** Entity names follow Microsoft Presidio's, plus the secrets Presidio lacks. */
export const ENTITIES = [
  'EMAIL_ADDRESS',
  'PHONE_NUMBER',
  'CREDIT_CARD',
  'IBAN_CODE',
  'US_SSN',
  'IP_ADDRESS',
  'MAC_ADDRESS',
  'URL',
  'CRYPTO',
  'DATE_OF_BIRTH',
  'UK_NHS',
  'UK_NINO',
  'JWT',
  'AWS_ACCESS_KEY',
  'GITHUB_TOKEN',
  'SLACK_TOKEN',
  'PRIVATE_KEY',
  'PASSWORD',
] as const;
export type Entity = (typeof ENTITIES)[number];

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** Exactly one of the fields is set. */
export interface Subject {
  /** An OIDC group, read from the token's groups claim. */
  group?: string;
  /** An OIDC subject (`sub`), exactly. */
  user?: string;
  /** A pod's workload identity: `name` (in the policy's namespace) or `namespace/name`. */
  serviceAccount?: string;
}

export interface SecretRef {
  name: string;
}

export interface TargetTls {
  /** disable: plaintext; require: TLS without verifying; verify-full: TLS verified against caSecretRef or system CAs. */
  mode: 'disable' | 'require' | 'verify-full';
  caSecretRef?: SecretRef;
}

export interface Target {
  name: string;
  protocol: Protocol;
  /** host:port (a DNS name or an IP; IPv6 in brackets). */
  address: string;
  /** An explicit listener on the sidecar, for use without iptables. */
  localPort?: number;
  credentialsSecretRef?: SecretRef;
  tls?: TargetTls;
}

export interface RuleMatch {
  target?: string;
  /** Operations: SQL verbs, Redis commands or categories, HTTP methods; UNKNOWN matches what could not be classified. */
  operations?: string[];
  /** Tables (SQL, `schema.table` or `table`, `*` wildcards) or Redis key patterns. */
  tables?: string[];
  /** HTTP path templates: `/v1/orders/{id}`, `/v1/**`. */
  paths?: string[];
}

export interface Approver {
  group?: string;
  user?: string;
}

export interface Review {
  approvers: Approver[];
  /** How long a command waits for a decision (Go duration: 30s, 5m, 1h). */
  timeout?: string;
}

export interface Rule {
  name: string;
  match?: RuleMatch;
  action: Action;
  review?: Review;
  /** Shown to the agent with a denial. */
  message?: string;
}

export interface MaskingRule {
  target?: string;
  entities?: Entity[];
  /** Column names: `ssn`, `users.email`, `*.card_number`. */
  columns?: string[];
  strategy?: MaskingStrategy;
  /** For `partial`: how many trailing characters stay visible. */
  keep?: number;
}

export interface AgentPolicySpec {
  podSelector?: LabelSelector;
  subjects?: Subject[];
  targets: Target[];
  rules?: Rule[];
  masking?: MaskingRule[];
  defaultAction?: 'allow' | 'deny';
}

export interface AgentPolicy {
  apiVersion: typeof API_GROUP_VERSION;
  kind: 'AgentPolicy';
  metadata: ObjectMeta;
  spec: AgentPolicySpec;
}

export const ACCESS_REQUEST_PHASES = ['Pending', 'Approved', 'Denied', 'Expired'] as const;
export type AccessRequestPhase = (typeof ACCESS_REQUEST_PHASES)[number];

export interface AccessRequestSpec {
  policy: string;
  rule: string;
  target: string;
  /** Who asked: the agent's identity. */
  subject: string;
  groups?: string[];
  pod?: { namespace?: string; name?: string };
  command: { text: string; operations?: string[]; tables?: string[] };
  approvers: Approver[];
  expiresAt: string;
}

export interface AccessRequestStatus {
  phase?: AccessRequestPhase;
  approver?: string;
  decidedAt?: string;
  reason?: string;
  /** An approval may cover repeats of the same command until then. */
  validUntil?: string;
}

export interface AccessRequest {
  apiVersion: typeof API_GROUP_VERSION;
  kind: 'AccessRequest';
  metadata: ObjectMeta;
  spec: AccessRequestSpec;
  status?: AccessRequestStatus;
}
