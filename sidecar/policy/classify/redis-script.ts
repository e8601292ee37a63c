// Commands an EVAL script names literally: redis.call('FLUSHALL') and
// redis.pcall("config", ...). A small Lua scanner: it skips comments and
// strings so a name inside a string or comment is not mistaken for a call,
// and reads the command name only when it is a plain string literal; when
// every argument is a literal too (redis.call('DEL', 'secret:1')) it reports
// them, so the called command's keys are known. It is a hint for policy, not
// a guarantee: scripts can compute command names.

const CALLERS = ['redis.call', 'redis.pcall', 'server.call', 'server.pcall'];
const MAX_SCRIPT_CHARS = 256 * 1024;

export interface ScriptCall {
  /** Upper-case command name. */
  readonly name: string;
  /** The arguments after the name, when all of them are literals. */
  readonly args?: readonly string[];
}

export function scriptCalls(script: string): ScriptCall[] {
  const found: ScriptCall[] = [];
  const seen = new Set<string>();
  const s = script.length > MAX_SCRIPT_CHARS ? script.slice(0, MAX_SCRIPT_CHARS) : script;
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '-' && s[i + 1] === '-') {
      i = skipComment(s, i + 2);
      continue;
    }
    if (c === '"' || c === "'") {
      i = readQuoted(s, i)[1];
      continue;
    }
    if (c === '[' && longBracketLevel(s, i) >= 0) {
      i = skipLongBracket(s, i);
      continue;
    }
    const caller = CALLERS.find((k) => s.startsWith(k, i) && !isIdent(s[i - 1]) && !isIdent(s[i + k.length]));
    if (caller !== undefined) {
      let j = skipSpace(s, i + caller.length);
      if (s[j] === '(') {
        j = skipSpace(s, j + 1);
        if (s[j] === '"' || s[j] === "'") {
          const [text, end] = readQuoted(s, j);
          if (text !== undefined) {
            const args = literalArgs(s, end);
            const call: ScriptCall =
              args === undefined ? { name: text.toUpperCase() } : { name: text.toUpperCase(), args };
            const key = JSON.stringify(call);
            if (!seen.has(key)) {
              seen.add(key);
              found.push(call);
            }
          }
          i = end;
          continue;
        }
      }
      i += caller.length;
      continue;
    }
    i++;
  }
  return found;
}

/** The rest of an argument list from i (after the name) when it is `, 'lit', 123 )`; else undefined. */
function literalArgs(s: string, i: number): string[] | undefined {
  const args: string[] = [];
  let j = skipSpace(s, i);
  while (s[j] === ',') {
    j = skipSpace(s, j + 1);
    const c = s[j];
    if (c === '"' || c === "'") {
      const [text, end] = readQuoted(s, j);
      if (text === undefined) return undefined;
      args.push(text);
      j = skipSpace(s, end);
    } else {
      let k = j;
      while (k < s.length && /[0-9]/.test(s[k]!)) k++;
      if (k === j) return undefined;
      args.push(s.slice(j, k));
      j = skipSpace(s, k);
    }
  }
  return s[j] === ')' ? args : undefined;
}

function isIdent(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9_.]/.test(c);
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && /\s/.test(s[i]!)) i++;
  return i;
}

function skipComment(s: string, i: number): number {
  if (s[i] === '[' && longBracketLevel(s, i) >= 0) return skipLongBracket(s, i);
  const nl = s.indexOf('\n', i);
  return nl < 0 ? s.length : nl + 1;
}

/** Level of a long bracket `[==[` at i, or -1. */
function longBracketLevel(s: string, i: number): number {
  let j = i + 1;
  while (s[j] === '=') j++;
  return s[j] === '[' ? j - i - 1 : -1;
}

function skipLongBracket(s: string, i: number): number {
  const level = longBracketLevel(s, i);
  const close = `]${'='.repeat(level)}]`;
  const end = s.indexOf(close, i + level + 2);
  return end < 0 ? s.length : end + close.length;
}

/** A quoted string's text (undefined when it has escapes we do not read) and the index after it. */
function readQuoted(s: string, i: number): [string | undefined, number] {
  const q = s[i];
  let j = i + 1;
  let escaped = false;
  while (j < s.length && s[j] !== q) {
    if (s[j] === '\\') {
      escaped = true;
      j++;
    }
    if (s[j] === '\n') break;
    j++;
  }
  return [escaped ? undefined : s.slice(i + 1, j), j + 1];
}
