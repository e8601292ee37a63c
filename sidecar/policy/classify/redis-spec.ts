// Shapes of the Redis command table (redis-command-table.ts, generated from a
// live server's COMMAND reply). Key specs are Redis's own: where the search for
// keys begins (an argument index, or the argument after a keyword) and how keys
// are found from there (a range, or a count given by a numkeys argument).

/** agentgate's category of a Redis command; policy authors use these in `operations:`. */
export type RedisCategory =
  | 'READ'
  | 'WRITE'
  | 'ADMIN'
  | 'DANGEROUS'
  | 'TRANSACTION'
  | 'PUBSUB'
  | 'CONNECTION';

export interface KeySpec {
  /** An argument index (negative: from the end), or [keyword, startfrom] (negative startfrom: search backwards). */
  readonly begin: number | readonly [string, number];
  /**
   * ['range', lastkey, keystep, limit]: keys from the begin index to lastkey (relative; -1 the last
   * argument; with limit L, a 1/L share of the remaining arguments), every keystep.
   * ['keynum', keynumidx, firstkey, keystep]: the argument at begin+keynumidx counts the keys, which
   * start at begin+firstkey, every keystep.
   */
  readonly find: readonly ['range', number, number, number] | readonly ['keynum', number, number, number];
}

export interface CommandSpec {
  /** Redis arity: N exactly N arguments (name included), -N at least N. */
  readonly arity: number;
  readonly category: RedisCategory;
  readonly keys: readonly KeySpec[];
  /** Redis marks some key positions as unknowable from the arguments (SORT ... STORE, MIGRATE ... KEYS). */
  readonly incomplete?: boolean;
  /** Container commands (CONFIG, CLIENT, ...): the subcommand decides. */
  readonly sub?: Readonly<Record<string, CommandSpec>>;
}
