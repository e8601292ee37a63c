// docs/identity.md's flag table is what an operator copies into a pod spec; a
// flag it names that `agentgate sidecar` refuses stops the sidecar at start.
// This keeps the table and the real CLI's flags in step, both ways.

import { readFileSync } from 'node:fs';
import { envName } from '../../cli/args.js';
import { SIDECAR_FLAGS } from '../../cli/sidecar.js';

const NOT_YET = 'Not accepted by `agentgate sidecar` yet';

interface Row {
  flag: string;
  env: string;
  notYet: boolean;
}

function flagTable(): Row[] {
  const text = readFileSync(new URL('../../docs/identity.md', import.meta.url), 'utf8');
  const section = text.slice(
    text.indexOf('\n## Flags'),
    text.indexOf('\n## ', text.indexOf('\n## Flags') + 1),
  );
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    const m = /^\| `--([a-z0-9-]+)[^`]*` \| `([A-Z0-9_]+)` \|(.*)\|$/.exec(line);
    if (m !== null) rows.push({ flag: m[1]!, env: m[2]!, notYet: m[3]!.includes(NOT_YET) });
  }
  return rows;
}

const accepted = new Set(SIDECAR_FLAGS.map((f) => f.name));
const identityFlag = /^(oidc-|workload-|groups-claim$|subject-claim$|token-grace-seconds$)/;

test('the identity flag table is found and names its environment variables as the CLI reads them', () => {
  const rows = flagTable();
  expect(rows.length).toBeGreaterThan(10);
  for (const r of rows) expect(r.env).toBe(envName(r.flag));
});

test('every flag the identity docs offer is accepted by agentgate sidecar, unless marked as not yet', () => {
  const rows = flagTable();
  expect(rows.filter((r) => !r.notYet && !accepted.has(r.flag)).map((r) => r.flag)).toEqual([]);
  // Once the sidecar accepts a flag, its "not yet" note must go.
  expect(rows.filter((r) => r.notYet && accepted.has(r.flag)).map((r) => r.flag)).toEqual([]);
});

test("every identity flag of agentgate sidecar is in the identity docs' table", () => {
  const documented = new Set(flagTable().map((r) => r.flag));
  const missing = SIDECAR_FLAGS.map((f) => f.name).filter((n) => identityFlag.test(n) && !documented.has(n));
  expect(missing).toEqual([]);
});
