import { readFileSync } from 'node:fs';
import { AgentgateError, agError, ERRORS } from './errors.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

describe('error table', () => {
  const codes = Object.keys(ERRORS);

  test('every code has the AG_ERR_<AREA>_<PROBLEM> shape', () => {
    for (const code of codes) expect(code).toMatch(/^AG_ERR_[A-Z]+_[A-Z_]+$/);
  });

  test('every code is documented in docs/errors.md, once', () => {
    for (const code of codes) {
      const rows = doc.split('\n').filter((l) => l.startsWith(`| \`${code}\``));
      expect({ code, rows: rows.length }).toEqual({ code, rows: 1 });
    }
  });

  test('docs/errors.md documents no code that does not exist', () => {
    const documented = [...doc.matchAll(/^\| `(AG_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.filter((c) => !codes.includes(c as string))).toEqual([]);
  });

  test('agent-facing refusals say who refused', () => {
    const e = agError('AG_ERR_POLICY_DENIED', 'orders', 'no-ddl', 'DROP');
    expect(e).toBeInstanceOf(AgentgateError);
    expect(e.message).toBe('agentgate: denied by policy orders rule no-ddl: DROP');
    expect(e.wire.sqlstate).toBe('42501');
    expect(e.wire.mysqlErrno).toBe(1227);
    expect(e.wire.resp).toBe('NOPERM');
    expect(e.wire.http).toBe(403);
  });
});
