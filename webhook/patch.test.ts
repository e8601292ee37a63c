import { applyPodPatch, podPatch } from './patch.js';
import type { Pod } from './pod-types.js';

describe('pod patches', () => {
  it("escapes '/' and '~' in keys as RFC 6901 requires, and the patch applies back", () => {
    const before: Pod = {
      metadata: { annotations: { 'example.com/owner': 'a', 'odd~key': 'b', 'a/b~c/~1': 'c' } },
      spec: { containers: [{ name: 'agent' }] },
    };
    const after: Pod = {
      metadata: { annotations: { 'example.com/owner': 'z', 'a/b~c/~1': 'c', 'new/~': 'd' } },
      spec: { containers: [{ name: 'agent' }] },
    };
    const patch = podPatch(before, after);
    const paths = patch.map((op) => `${op.op} ${op.path}`).sort();
    expect(paths).toEqual([
      'add /metadata/annotations/new~1~0',
      'remove /metadata/annotations/odd~0key',
      'replace /metadata/annotations/example.com~1owner',
    ]);
    expect(applyPodPatch(before, patch)).toEqual(after);
  });

  it('is empty for equal pods whatever their key order', () => {
    const a: Pod = {
      metadata: { name: 'p', labels: { x: '1' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    };
    const b: Pod = {
      spec: { containers: [{ image: 'i', name: 'c' }] },
      metadata: { labels: { x: '1' }, name: 'p' },
    };
    expect(podPatch(a, b)).toEqual([]);
  });
});
