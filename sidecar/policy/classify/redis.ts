// Redis classification by command table (redis-command-table.ts, generated
// from a live server's COMMAND reply). A command's operations are its upper-
// case name, `NAME|SUB` for container commands (CONFIG|SET, as Redis ACLs
// write it), and its category (READ, WRITE, ADMIN, DANGEROUS, TRANSACTION,
// PUBSUB, CONNECTION); the policy engine treats them as aliases of one unit.
// Keys, found by the command's own key specs, are the statement's tables.
//
// Scripts (EVAL, EVALSHA, FCALL, ...) are DANGEROUS: a script can run any
// command on any key. When an EVAL script literally calls
// redis.call('FLUSHALL') the called command is added as a statement of its own,
// so a rule denying FLUSHALL applies too; a script that builds command names
// at run time defeats this, so script content is never trusted to be harmless.

import { type Classification, classification, type StatementClass, unknownStatement } from '../command.js';
import { MAX_REDIS_KEYS } from './limits.js';
import { COMMANDS } from './redis-command-table.js';
import { scriptCalls } from './redis-script.js';
import type { CommandSpec, KeySpec } from './redis-spec.js';

const SCRIPT_BODY_COMMANDS = new Set(['eval', 'eval_ro']);

/** Classifies one command given as its arguments (name first). */
export function classifyRedis(argv: readonly string[]): Classification {
  return classification(redisStatements(argv));
}

/** The same for arguments straight off the wire; names and keys are read as UTF-8. */
export function classifyRedisBuffers(argv: readonly Uint8Array[]): Classification {
  return classifyRedis(argv.map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('utf8')));
}

/**
 * A MULTI ... EXEC block (or any pipeline) as one multi-statement command:
 * every queued command is a statement, so the block is decided by its
 * strictest command and a FLUSHDB queued after harmless GETs is still seen.
 */
export function classifyRedisBlock(commands: readonly (readonly string[])[]): Classification {
  const out: StatementClass[] = [];
  for (const argv of commands) out.push(...redisStatements(argv));
  return classification(out);
}

function redisStatements(argv: readonly string[]): StatementClass[] {
  const name = argv[0];
  if (name === undefined || name === '') return [unknownStatement('empty command')];
  const lower = name.toLowerCase();
  const root = Object.hasOwn(COMMANDS, lower) ? COMMANDS[lower] : undefined;
  if (root === undefined) return [unknownStatement(`unknown command ${name.slice(0, 64).toUpperCase()}`)];
  const ops = [lower.toUpperCase()];
  let spec: CommandSpec = root;
  // A container may also run bare when its arity allows one argument (COMMAND).
  if (root.sub !== undefined && !(argv.length === 1 && (root.arity === 1 || root.arity === -1))) {
    const subName = argv[1]?.toLowerCase();
    const sub = subName !== undefined && Object.hasOwn(root.sub, subName) ? root.sub[subName] : undefined;
    if (sub === undefined) {
      const why =
        subName === undefined
          ? `${ops[0]} without a subcommand`
          : `unknown subcommand ${ops[0]} ${subName.slice(0, 64).toUpperCase()}`;
      return [unknownStatement(why)];
    }
    ops.push(`${ops[0]}|${subName!.toUpperCase()}`);
    spec = sub;
  }
  if (spec.arity >= 0 ? argv.length !== spec.arity : argv.length < -spec.arity) {
    return [unknownStatement(`wrong number of arguments for ${ops[ops.length - 1]}`)];
  }
  const keys = findKeys(spec, argv);
  if (keys === undefined) return [unknownStatement(`cannot find the keys of ${ops[ops.length - 1]}`)];
  ops.push(spec.category);
  const st: StatementClass =
    lower === 'flushall' || lower === 'flushdb'
      ? { operations: ops, tables: keys, unbounded: true }
      : { operations: ops, tables: keys };
  const out = [st];
  if (SCRIPT_BODY_COMMANDS.has(lower)) {
    for (const call of scriptCalls(argv[1] ?? '')) {
      // A call with only literal arguments is classified like a command of its
      // own (its keys are known); otherwise by name, with the script's keys.
      const literal = call.args === undefined ? undefined : redisStatements([call.name, ...call.args])[0];
      out.push(
        literal !== undefined && literal.reason === undefined ? literal : calledByScript(call.name, keys),
      );
    }
  }
  return out;
}

const RANK: Readonly<Record<string, number>> = { DANGEROUS: 3, ADMIN: 2, WRITE: 1 };

/**
 * A command a script calls, known by name only (its arguments are rarely
 * literal): its name and, for a container like CONFIG, the strictest category
 * of any of its subcommands. Its keys are taken to be the script's declared
 * KEYS (what a well-behaved script touches), so key-scoped rules still apply.
 */
function calledByScript(name: string, keys: readonly string[]): StatementClass {
  const lower = name.toLowerCase();
  const spec = Object.hasOwn(COMMANDS, lower) ? COMMANDS[lower] : undefined;
  if (spec === undefined) return unknownStatement(`script calls unknown command ${name.slice(0, 64)}`);
  let category: string = spec.category;
  for (const sub of Object.values(spec.sub ?? {})) {
    if ((RANK[sub.category] ?? 0) > (RANK[category] ?? 0)) category = sub.category;
  }
  const st: StatementClass = { operations: [lower.toUpperCase(), category], tables: keys };
  return lower === 'flushall' || lower === 'flushdb' ? { ...st, unbounded: true } : st;
}

/** Keys by Redis key specs; undefined when a numkeys argument is malformed or too large. */
function findKeys(spec: CommandSpec, argv: readonly string[]): string[] | undefined {
  if (spec.keys.length === 0) return [];
  const keys = new Set<string>();
  for (const ks of spec.keys) {
    const range = keyRange(ks, argv);
    if (range === undefined) return undefined;
    const [first, last, step] = range;
    for (let i = first; i <= last && i < argv.length; i += step) {
      if (keys.size >= MAX_REDIS_KEYS) return undefined;
      keys.add(argv[i]!);
    }
  }
  return [...keys];
}

/** [first, last, step] argument indexes of one key spec; an empty range is [1, 0, 1]. */
function keyRange(ks: KeySpec, argv: readonly string[]): [number, number, number] | undefined {
  const argc = argv.length;
  let begin: number;
  if (typeof ks.begin === 'number') {
    begin = ks.begin < 0 ? argc + ks.begin : ks.begin;
  } else {
    const [keyword, startfrom] = ks.begin;
    begin = -1;
    const from = startfrom < 0 ? argc + startfrom : startfrom;
    const dir = startfrom < 0 ? -1 : 1;
    for (let i = from; i > 0 && i < argc; i += dir) {
      if (argv[i]!.toUpperCase() === keyword) {
        begin = i + 1;
        break;
      }
    }
    if (begin < 0) return [1, 0, 1];
  }
  if (begin <= 0 || begin >= argc) return [1, 0, 1];
  const find = ks.find;
  if (find[0] === 'range') {
    const [, lastkey, step, limit] = find;
    let last: number;
    if (lastkey >= 0) last = begin + lastkey;
    else if (limit <= 1) last = argc + lastkey;
    else last = begin + Math.floor((argc - begin) / limit) + lastkey;
    return [begin, Math.min(last, argc - 1), Math.max(step, 1)];
  }
  const [, keynumidx, firstkey, step] = find;
  const raw = argv[begin + keynumidx];
  if (raw === undefined || !/^\d{1,9}$/.test(raw)) return undefined;
  const n = Number(raw);
  const first = begin + firstkey;
  const last = first + (n - 1) * step;
  if (n > MAX_REDIS_KEYS || (n > 0 && last >= argc)) return undefined;
  return [first, last, Math.max(step, 1)];
}
