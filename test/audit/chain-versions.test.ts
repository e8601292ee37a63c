// `agentgate sessions verify` on chains of both versions: v1 (canonical text,
// written by sidecars before chain v2) from fixtures a v1 sidecar wrote, as
// collector JSON and as a spool; v2 (canonical protobuf bytes) as sidecars
// write it now; and a v1 chain continued with v2 links, as after an upgrade in
// the middle of a session.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run as sessions } from '../../cli/sessions.js';
import { CHAIN_HASH, linkHash } from '../../sidecar/audit/chain.js';
import { toOtlpJson } from '../../sidecar/audit/otlp-json.js';
import { groupSessions, loadSpans } from '../../sidecar/audit/session-store.js';
import type { SpanRecord } from '../../sidecar/audit/span-record.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const V1_FILE = join(FIXTURES, 'chain-v1.jsonl');
const V1_SPOOL = join(FIXTURES, 'chain-v1-spool');
const V1_ID = '0195d3c2000000000000000000001001';
const V1_FINAL = 'ff5b868486101d18eeb6ed510367626f330e2649658c21a45ca41ee4bb07ac6a';

async function verify(from: string): Promise<{ code: number; text: string }> {
  let text = '';
  const code = await sessions(['verify', V1_ID.slice(0, 8), '--from', from], { out: (t) => (text += t) });
  return { code, text };
}

function withAttr(s: SpanRecord, key: string, value: string | number): SpanRecord {
  return { ...s, attributes: { ...s.attributes, [key]: value } };
}

describe('sessions verify across chain versions', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ag-chain-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('accepts a v1 chain from collector JSON and from a v1 spool', async () => {
    for (const from of [V1_FILE, V1_SPOOL]) {
      const r = await verify(from);
      expect(r.text).toBe(`session ${V1_ID}: chain intact (3 commands, final hash ${V1_FINAL})\n`);
      expect(r.code).toBe(0);
    }
  });

  test('fails a v1 chain whose command text was edited', async () => {
    const edited = readFileSync(V1_FILE, 'utf8').replace('DROP TABLE customers', 'DROP TABLE orderlogs');
    const path = join(dir, 'v1-edited.jsonl');
    writeFileSync(path, edited);
    const r = await verify(path);
    expect(r.code).toBe(1);
    expect(r.text).toMatch(/chain index 2\): hash does not match its content/);
  });

  test('accepts a v1 chain continued with v2 links, and still catches an edit in the v2 part', async () => {
    const [s] = groupSessions(loadSpans(V1_FILE));
    const [c1, c2, c3] = s!.commands;
    // The third command and the session span relinked as a v2 sidecar writes them.
    const c3v2 = withAttr(c3!, CHAIN_HASH, linkHash(c2!.attributes[CHAIN_HASH] as string, c3!));
    const rootV2 = withAttr(s!.root!, CHAIN_HASH, linkHash(c3v2.attributes[CHAIN_HASH] as string, s!.root!));
    expect(c3v2.attributes[CHAIN_HASH]).not.toBe(c3!.attributes[CHAIN_HASH]);
    const mixed = join(dir, 'mixed.jsonl');
    writeFileSync(mixed, `${JSON.stringify(toOtlpJson([c1!, c2!, c3v2, rootV2]))}\n`);
    const ok = await verify(mixed);
    expect(ok.text).toContain('chain intact (3 commands');
    expect(ok.code).toBe(0);

    const edited = join(dir, 'mixed-edited.jsonl');
    const c3edited = withAttr(c3v2, 'agentgate.rows', 2);
    writeFileSync(edited, `${JSON.stringify(toOtlpJson([c1!, c2!, c3edited, rootV2]))}\n`);
    const bad = await verify(edited);
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/chain index 3\): hash does not match its content/);
  });
});
