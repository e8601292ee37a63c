// Compiled matchers for `paths:` in policy rules: `/v1/orders/{id}` where
// `{name}` matches exactly one path segment, `*` one segment too, and `**` any
// number of segments (zero or more) wherever it stands. Literal segments
// compare exactly (paths are case-sensitive). Templates are normalized like
// request paths (collapsed slashes, no trailing slash), and the matcher expects
// a path normalized by classifyHttp, so the two always compare like for like.

export type PathMatcher = (normalizedPath: string) => boolean;

const enum SegKind {
  Literal = 0,
  One = 1,
  Rest = 2,
}

interface Segment {
  readonly kind: SegKind;
  readonly text: string;
}

function compileSegment(s: string): Segment {
  if (s === '**') return { kind: SegKind.Rest, text: s };
  if (s === '*' || (s.length > 2 && s.startsWith('{') && s.endsWith('}') && !s.slice(1, -1).includes('}'))) {
    return { kind: SegKind.One, text: s };
  }
  return { kind: SegKind.Literal, text: s };
}

export function compilePathTemplate(template: string): PathMatcher {
  const segs = template
    .split('/')
    .filter((s) => s !== '')
    .map(compileSegment);
  if (!segs.some((s) => s.kind !== SegKind.Literal)) {
    const exact = `/${segs.map((s) => s.text).join('/')}`;
    return (path) => path === exact;
  }
  return (path) => {
    const parts = path.split('/');
    // A normalized path starts with '/', so parts[0] is '' and is skipped.
    return matchFrom(segs, 0, parts, path === '/' ? parts.length : 1);
  };
}

function matchFrom(segs: readonly Segment[], si: number, parts: readonly string[], pi: number): boolean {
  for (; si < segs.length; si++) {
    const seg = segs[si]!;
    if (seg.kind === SegKind.Rest) {
      if (si === segs.length - 1) return true;
      for (let k = pi; k <= parts.length; k++) if (matchFrom(segs, si + 1, parts, k)) return true;
      return false;
    }
    if (pi >= parts.length) return false;
    const part = parts[pi]!;
    if (part === '' || (seg.kind === SegKind.Literal && part !== seg.text)) return false;
    pi++;
  }
  return pi === parts.length;
}
