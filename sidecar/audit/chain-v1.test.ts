import { CHAIN_HASH } from './chain-attrs.js';
import { canonicalV1 as canonical, linkHashV1 as linkHash } from './chain-v1.js';
import { type Attrs, type SpanRecord, spanAttributes } from './span-record.js';

const shared: Attrs = {
  'agentgate.identity.groups': ['g1', 'g2'],
  'agentgate.protocol': 'postgres',
  'agentgate.session.id': 'a'.repeat(32),
  'client.port': 40000,
  'db.system.name': 'postgresql',
  'server.address': '127.0.0.1',
};

function span(attributes: Attrs, withShared: boolean): SpanRecord {
  return {
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    parentSpanId: 'c'.repeat(16),
    name: 'agentgate.command',
    kind: 3,
    startNs: 1_764_000_000_000_000_000n,
    endNs: 1_764_000_000_000_420_000n,
    attributes,
    ...(withShared ? { shared } : {}),
    status: { code: 0, message: '' },
    links: [],
    events: [],
  };
}

/** The same span as a reader sees it: shared attributes merged in, no `shared`. */
function merged(s: SpanRecord): SpanRecord {
  const { shared: _shared, ...rest } = s;
  return { ...rest, attributes: spanAttributes(s) };
}

describe('chain canonical text of spans with shared attributes', () => {
  test('equals the text of the merged span, however the own keys change from span to span', () => {
    const owns: Attrs[] = [
      { 'agentgate.bytes': 10, 'agentgate.decision': 'allow', 'db.query.text': 'SELECT 1' },
      { 'agentgate.bytes': 11, 'agentgate.decision': 'allow', 'db.query.text': 'SELECT 2' },
      { 'agentgate.decision': 'deny', 'agentgate.error': 'no', 'zz.last': true },
      { 'agentgate.bytes': 12, 'agentgate.decision': 'allow', 'db.query.text': 'SELECT 3' },
      { 'agentgate.protocol': 'mysql', 'client.port': 1 },
      {},
      { 'aa.first': 1.5, 'agentgate.decision': 'allow' },
    ];
    for (const own of owns) {
      const s = span(own, true);
      expect(canonical(s)).toBe(canonical(merged(s)));
      expect(linkHash('ab'.repeat(32), s)).toBe(linkHash('ab'.repeat(32), merged(s)));
    }
  });

  test('leaves out the chain hash attribute, own or not', () => {
    const own = { 'agentgate.decision': 'allow', 'db.query.text': 'SELECT 1' };
    const plain = canonical(span(own, true));
    expect(canonical(span({ ...own, [CHAIN_HASH]: 'f'.repeat(64) }, true))).toBe(plain);
    expect(canonical(span({ [CHAIN_HASH]: 'e'.repeat(64), ...own }, true))).toBe(plain);
    expect(canonical(span(own, true))).toBe(plain);
  });

  test('changes when any attribute value changes', () => {
    const a = canonical(span({ 'agentgate.decision': 'allow', 'db.query.text': 'SELECT 1' }, true));
    const b = canonical(span({ 'agentgate.decision': 'allow', 'db.query.text': 'SELECT 2' }, true));
    expect(a).not.toBe(b);
  });
});
