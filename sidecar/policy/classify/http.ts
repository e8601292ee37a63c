// HTTP classification: the operation is the method, the "table" the request
// path normalized the way servers resolve it, so that `/v1/../admin`,
// `/%61dmin`, `//admin`, `/admin/.`, `\admin` and `/public/..;/admin` all
// compare as `/admin` against a rule's `paths`. Normalization errs towards
// decoding more than a server would (repeated percent-decoding, `%2F` as `/`,
// `;params` dropped): that can make a path look like a protected one, never
// make a protected path look like another.

import { type Classification, classification, type StatementClass, unknownStatement } from '../command.js';

export { compilePathTemplate, type PathMatcher } from './path-template.js';

export interface HttpRequestHead {
  readonly method: string;
  /** The request target: origin-form `/a/b?q`, absolute-form `http://h/a`, or `*`. */
  readonly path: string;
  readonly host?: string;
  /**
   * Request headers with lower-case names, when the caller has them: method
   * override headers are read from here.
   */
  readonly headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
}

/** RFC 9110 token characters, the only ones a method may have. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_DECODE_ROUNDS = 4;
const MAX_PATH_CHARS = 64 * 1024;

/** Headers frameworks read to run a POST as another method (Express method-override, Rails, Spring, ...). */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];

/**
 * One statement for the method sent and, when the request asks the server to
 * run it as another method (an override header or a `_method` query
 * parameter), one more per method asked for: the engine decides by the
 * strictest, so `POST /orders/1` overridden to DELETE is decided as DELETE too.
 */
export function classifyHttp(req: HttpRequestHead): Classification {
  if (!TOKEN.test(req.method)) return classification([unknownStatement('malformed HTTP method')]);
  const path = normalizePath(req.path);
  if (path === undefined) return classification([unknownStatement('malformed or ambiguous request path')]);
  const method = req.method.toUpperCase();
  const statements: StatementClass[] = [{ operations: [method], tables: [path] }];
  for (const m of overrides(req)) {
    if (!TOKEN.test(m)) return classification([unknownStatement('malformed method override')]);
    const upper = m.toUpperCase();
    if (!statements.some((s) => s.operations[0] === upper))
      statements.push({ operations: [upper], tables: [path] });
  }
  return classification(statements);
}

function overrides(req: HttpRequestHead): string[] {
  const out: string[] = [];
  for (const name of OVERRIDE_HEADERS) {
    const v = req.headers?.[name];
    if (v === undefined) continue;
    for (const item of typeof v === 'string' ? [v] : v) out.push(...item.split(',').map((x) => x.trim()));
  }
  const q = req.path.indexOf('?');
  if (q >= 0) {
    const hash = req.path.indexOf('#', q);
    const query = new URLSearchParams(req.path.slice(q + 1, hash < 0 ? undefined : hash));
    for (const v of query.getAll('_method')) out.push(v.trim());
  }
  return out.filter((m) => m !== '');
}

/** Lower-case host without port or trailing dot, for host matching. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

/**
 * The path a server resolves, or undefined when it cannot be read safely
 * (bad percent-encoding, control characters, still encoded after several
 * rounds of decoding, or too long).
 */
export function normalizePath(target: string): string | undefined {
  if (target.length > MAX_PATH_CHARS) return undefined;
  if (target === '*') return '*';
  let raw = target;
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.exec(raw);
  if (scheme !== null) {
    const slash = raw.indexOf('/', scheme[0].length);
    raw = slash < 0 ? '/' : raw.slice(slash);
  }
  const end = firstOf(raw, '?', '#');
  if (end >= 0) raw = raw.slice(0, end);
  let decoded = raw;
  for (let round = 0; decoded.includes('%'); round++) {
    const next = decodeOnce(decoded);
    if (next === decoded) break;
    if (round === MAX_DECODE_ROUNDS) return undefined;
    decoded = next;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
  if (/[\u0000-\u001f\u007f]/.test(decoded)) return undefined;
  const out: string[] = [];
  for (let seg of decoded.replaceAll('\\', '/').split('/')) {
    const semi = seg.indexOf(';');
    if (semi >= 0) seg = seg.slice(0, semi);
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return `/${out.join('/')}`;
}

/**
 * One round of percent-decoding. A `%` without two hex digits stays, as
 * servers leave it; escapes that are not valid UTF-8 stay too, except ASCII
 * ones, which always decode (so `%FF%2e%2e` still shows its dots).
 */
function decodeOnce(s: string): string {
  return s.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run.replace(/%[0-7][0-9a-fA-F]/g, (e) => String.fromCharCode(Number.parseInt(e.slice(1), 16)));
    }
  });
}

function firstOf(s: string, a: string, b: string): number {
  const i = s.indexOf(a);
  const j = s.indexOf(b);
  if (i < 0) return j;
  if (j < 0) return i;
  return Math.min(i, j);
}
