// HTTP classification: the operation is the method, the "table" the request
// path normalized the way servers resolve it, so that `/v1/../admin`,
// `/%61dmin`, `//admin`, `/admin/.`, `\admin` and `/public/..;/admin` all
// compare as `/admin` against a rule's `paths`. Normalization errs towards
// decoding more than a server would (repeated percent-decoding, `%2F` as `/`,
// `;params` dropped): that can make a path look like a protected one, never
// make a protected path look like another.

import { type Classification, classification, unknownStatement } from '../command.js';

export { compilePathTemplate, type PathMatcher } from './path-template.js';

export interface HttpRequestHead {
  readonly method: string;
  /** The request target: origin-form `/a/b?q`, absolute-form `http://h/a`, or `*`. */
  readonly path: string;
  readonly host?: string;
}

/** RFC 9110 token characters, the only ones a method may have. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const MAX_DECODE_ROUNDS = 4;
const MAX_PATH_CHARS = 64 * 1024;

export function classifyHttp(req: HttpRequestHead): Classification {
  if (!TOKEN.test(req.method)) return classification([unknownStatement('malformed HTTP method')]);
  const path = normalizePath(req.path);
  if (path === undefined) return classification([unknownStatement('malformed or ambiguous request path')]);
  return classification([{ operations: [req.method.toUpperCase()], tables: [path] }]);
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
