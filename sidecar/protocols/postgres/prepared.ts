// Named and unnamed prepared statements and portals, as the upstream will hold
// them. A change applies when the upstream confirms it (ParseComplete,
// BindComplete, CloseComplete): until then a name that is being redefined is
// decided by the union of its old and new text, so a Parse the upstream rejects
// (a duplicate name, say) can never make us decide on text that never ran.

import { agError } from '../../../common/errors.js';
import { type Classification, classification, unknownStatement } from '../../policy/command.js';
import type { Column, RowDescription } from './messages.js';

export class Statement {
  /** What policy decides on: the statement's own classification once confirmed. */
  effective: Classification;
  previous: Statement | null;
  /** From Describe(S): names and types; formats come from each Bind. */
  description: RowDescription | null = null;

  constructor(
    readonly name: string,
    readonly text: string,
    readonly classification: Classification,
    readonly auditText: string,
    previous: Statement | null,
  ) {
    this.previous = previous;
    this.effective =
      previous === null ? classification : mergeClassifications(previous.effective, classification);
  }
}

export class Portal {
  previous: Portal | null;
  /** From Describe(P): the columns with the formats this portal returns. */
  description: RowDescription | null = null;
  /** Whether the agent itself asked to describe this portal (then we need not). */
  described = false;

  constructor(
    readonly name: string,
    /** Null when the statement name is unknown to us (e.g. made with SQL PREPARE). */
    readonly statement: Statement | null,
    readonly resultFormats: readonly number[],
    previous: Portal | null,
  ) {
    this.previous = previous;
  }

  /** What a command on this portal is decided by. */
  classification(): Classification {
    let c = this.statement?.effective ?? UNKNOWN_STATEMENT;
    for (let p = this.previous; p !== null; p = p.previous) {
      c = mergeClassifications(c, p.statement?.effective ?? UNKNOWN_STATEMENT);
    }
    return c;
  }

  text(): string {
    return this.statement?.text ?? `-- portal "${this.name}" of a statement agentgate did not see prepared`;
  }

  /** The result columns of this portal: its own description, or its statement's with Bind's formats. */
  resultColumns(): readonly Column[] | null {
    if (this.description !== null) return this.description.columns;
    const d = this.statement?.description;
    if (d === null || d === undefined) return null;
    return withFormats(d.columns, this.resultFormats);
  }
}

const UNKNOWN_STATEMENT = classification([
  unknownStatement('a statement or portal agentgate did not see prepared'),
]);

export function mergeClassifications(a: Classification, b: Classification): Classification {
  return a === b ? a : classification([...a.statements, ...b.statements]);
}

export function withFormats(cols: readonly Column[], formats: readonly number[]): readonly Column[] {
  if (formats.length === 0) return cols;
  return cols.map((c, i) => ({ ...c, format: formats.length === 1 ? formats[0]! : (formats[i] ?? 0) }));
}

export class PreparedState {
  readonly statements = new Map<string, Statement>();
  /**
   * Named portals; the unnamed one, which most clients use for every command,
   * lives apart, because emptying a Map at each transaction's end allocates.
   */
  private readonly named = new Map<string, Portal>();
  private unnamed: Portal | null = null;

  constructor(
    private readonly maxStatements: number,
    private readonly maxPortals: number,
  ) {}

  portal(name: string): Portal | undefined {
    return name === '' ? (this.unnamed ?? undefined) : this.named.get(name);
  }

  parse(name: string, text: string, cls: Classification, auditText: string): Statement {
    // PostgreSQL drops the unnamed statement before parsing its replacement,
    // so only a named one can survive a failed Parse.
    const previous = name === '' ? null : (this.statements.get(name) ?? null);
    if (previous === null && this.statements.size >= this.maxStatements) {
      throw agError(
        'AG_ERR_PROTOCOL_TOO_LARGE',
        'prepared statements',
        this.statements.size + 1,
        this.maxStatements,
      );
    }
    const s = new Statement(name, text, cls, auditText, previous);
    this.statements.set(name, s);
    return s;
  }

  parseDone(s: Statement, ok: boolean): void {
    if (ok) {
      s.effective = s.classification;
      s.previous = null;
    } else if (s.name !== '' && s.previous !== null && this.statements.get(s.name) === s) {
      // The upstream kept the old definition.
      this.statements.set(s.name, s.previous);
    }
  }

  bind(name: string, statement: string, resultFormats: readonly number[]): Portal {
    // A failed Bind leaves an older unnamed portal in place, but the error
    // skips everything until Sync and Sync ends the transaction that holds it.
    const previous = name === '' ? null : (this.named.get(name) ?? null);
    if (previous === null && this.named.size >= this.maxPortals) {
      throw agError('AG_ERR_PROTOCOL_TOO_LARGE', 'portals', this.named.size + 1, this.maxPortals);
    }
    const p = new Portal(name, this.statements.get(statement) ?? null, resultFormats, previous);
    if (name === '') this.unnamed = p;
    else this.named.set(name, p);
    return p;
  }

  bindDone(p: Portal, ok: boolean): void {
    if (ok) p.previous = null;
    else if (p.name !== '' && p.previous !== null && this.named.get(p.name) === p)
      this.named.set(p.name, p.previous);
  }

  /** CloseComplete: forget the object that existed when Close was sent, unless it was replaced since. */
  closeDone(kind: 'S' | 'P', name: string, closed: Statement | Portal | undefined): void {
    if (closed === undefined) return;
    if (kind === 'S' && this.statements.get(name) === closed) this.statements.delete(name);
    if (kind === 'P' && this.portal(name) === closed) {
      if (name === '') this.unnamed = null;
      else this.named.delete(name);
    }
  }

  /** At the end of a transaction PostgreSQL drops every portal. */
  transactionEnded(): void {
    this.unnamed = null;
    if (this.named.size !== 0) this.named.clear();
  }
}
