// What a protocol session needs from the rest of the sidecar, and nothing more:
// who the agent is, how a command is classified and decided, how results are
// masked, which credentials open the upstream, where audit events go. The
// sidecar core (sidecar/server/) builds one from identity/, policy/, masking/
// and audit/; unit tests hand-write one.

import type { MaskingRule, Protocol, Target } from '../../api/types.js';
import type { AuditSink } from '../audit/events.js';
import type { Identity } from '../identity/identity.js';
import type { Classification, Command } from '../policy/command.js';
import type { Decision } from '../policy/decision.js';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** One result column as a protocol describes it. */
export interface ResultColumn {
  readonly name: string;
  /** The protocol's type id (PostgreSQL type OID). */
  readonly typeOid: number;
  /** PostgreSQL: the table OID and attribute number, 0 when not a table column. */
  readonly tableOid: number;
  readonly columnIndex: number;
  /** `schema.table` when known for certain; unknown tables are matched by column name alone. */
  readonly table?: string | undefined;
  /** True when the value reaches us as UTF-8 text (text format, or a text type in binary). */
  readonly textual: boolean;
}

/** Masks the values of one result set, column by column. */
export interface RowMasker {
  /** False when no column of this result can ever be masked: rows pass untouched. */
  readonly active: boolean;
  /** Whether column i may be masked (others are never decoded). */
  masks(i: number): boolean;
  /** Whether column i is masked whole (a column rule, a name check) rather than scanned for entities. */
  whole(i: number): boolean;
  /** The masked value (null: the SQL NULL). Throws AG_ERR_MASKING_FAILED to withhold the row. */
  mask(i: number, value: string): string | null;
  /** How many values were masked so far, by entity or `column:<name>`. */
  counts(): Readonly<Record<string, number>>;
}

export interface ResultMasker {
  forColumns(columns: readonly ResultColumn[]): RowMasker;
  /** Free text (a server's error or notice, a notification) through the content recognizers. Throws to withhold it. */
  maskText(text: string): string;
  /** Whether some columns are masked by name: their values, echoed in a server message, are not recognizable. */
  readonly hasColumnRules: boolean;
}

/** What a session knows that changes how its text reads. */
export interface ClassifyOptions {
  /** PostgreSQL's standard_conforming_strings, as the server last reported it. */
  readonly standardConformingStrings?: boolean;
}

export interface GatewayMetrics {
  sessionOpened(protocol: Protocol): void;
  sessionClosed(protocol: Protocol): void;
  command(protocol: Protocol, decision: string, seconds: number): void;
  bytes(direction: 'in' | 'out', n: number): void;
  masked(n: number): void;
}

export const NOOP_METRICS: GatewayMetrics = {
  sessionOpened() {},
  sessionClosed() {},
  command() {},
  bytes() {},
  masked() {},
};

export interface AuthRequest {
  /** What the agent presented as its password: a token, or '' for the pod's workload identity. */
  readonly token: string;
  readonly target: Target;
  /** Protocol-level user and database the agent asked for (informational). */
  readonly user?: string;
  readonly database?: string;
}

export interface GatewayContext {
  readonly namespace: string;
  readonly podName: string;
  /** Verifies the agent; throws AG_ERR_AUTH_* (the session sends it and closes). */
  authenticate(req: AuthRequest): Promise<Identity>;
  /** Classifies one command text (cached by the classifier for repeated text). */
  classify(protocol: Protocol, text: string, options?: ClassifyOptions): Classification;
  /** Decides with the policy current at call time: a reload applies from the next command. */
  decide(command: Command): Decision;
  /** The compiled masker for a decision's masking rules (cached per rules array), or null when none apply. */
  masker(target: Target, rules: readonly MaskingRule[]): ResultMasker | null;
  /** Upstream credentials for a target, read from the mounted secret (re-read when it changes). */
  credentials(target: Target): Credentials | undefined;
  /** PEM CA for verify-full, when the target names one. */
  caCertificate(target: Target): string | undefined;
  /** Query text as audit may see it (literals masked). */
  auditText(protocol: Protocol, text: string): string;
  readonly audit: AuditSink;
  /**
   * Null while audit can take more events; else a promise that resolves when it
   * can (the session stops reading the agent meanwhile) or rejects with
   * AG_ERR_AUDIT_UNAVAILABLE (the session ends: it could not be audited).
   */
  auditGate?(): Promise<void> | null;
  readonly metrics: GatewayMetrics;
  /**
   * What the protocol must learn of the upstream's names before the agent's
   * first command, for masking by name; null when nothing is masked by name.
   */
  catalogRequest?(target: Target): CatalogRequest | null;
}

/** Names a protocol reads from the upstream's catalog (PostgreSQL: postgres/catalog.ts). */
export interface CatalogRequest {
  /** Table names, for table-qualified column rules (`users.email`). */
  readonly tables: boolean;
  /** The real names of columns whose names match this (PostgreSQL ARE, case-insensitive), so renaming a column in a query does not unmask it. */
  readonly columnRegex: string | null;
}

/** For contexts whose audit never pushes back. */
export const OPEN_GATE = (): Promise<void> | null => null;
