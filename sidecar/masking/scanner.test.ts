// Properties of the scan over arbitrary input: it always terminates, findings
// are in order, inside the value and never overlap, and what was found is gone
// from the masked text. (Masking twice may find more: a replacement's '>' is a
// boundary where the original had a word character.)

import { ENTITIES } from '../../api/types.js';
import { findEntities } from './find.js';
import { compileMasking } from './masker.js';

const FRAGMENTS = [
  '4111',
  '1111',
  ' ',
  '-',
  '.',
  ':',
  '@',
  '+',
  '(',
  ')',
  '/',
  '_',
  '=',
  '"',
  "'",
  '\n',
  'a',
  'Z',
  'e',
  'x',
  'eyJ',
  'ghp_',
  'xoxb-',
  'bc1q',
  'AKIA',
  'DE89',
  'AB',
  '12',
  '123',
  '00',
  'ff',
  '::',
  '-----BEGIN ',
  'PRIVATE KEY-----',
  '-----END ',
  'password',
  'https://',
  'u:p@',
  'example.com',
  'é',
  '東京',
  '\u3000',
  '0',
  '9',
  '536',
  '90',
  '4399',
];

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

function randomValue(r: () => number): string {
  const n = Math.floor(r() * 40);
  let v = '';
  for (let k = 0; k < n; k++) v += FRAGMENTS[Math.floor(r() * FRAGMENTS.length)];
  return v;
}

describe('scan over arbitrary input', () => {
  test('findings are ordered, in bounds and disjoint', () => {
    const r = rng(7);
    for (let k = 0; k < 20000; k++) {
      const v = randomValue(r);
      let last = 0;
      for (const f of findEntities(v, ENTITIES)) {
        if (!(f.start >= last && f.end > f.start && f.end <= v.length)) {
          throw new Error(`bad finding ${JSON.stringify(f)} in ${JSON.stringify(v)}`);
        }
        last = f.end;
      }
    }
  });

  test('no found value survives masking', () => {
    const masker = compileMasking([{}], { hashKey: new Uint8Array(32) })!;
    const r = rng(11);
    for (let k = 0; k < 20000; k++) {
      const v = randomValue(r);
      const masked = masker.maskText(v);
      for (const f of findEntities(v, ENTITIES)) {
        const text = v.slice(f.start, f.end);
        // a value that also occurs outside its finding may rightly stay there
        if (text.length < 6 || v.indexOf(text) !== f.start || v.indexOf(text, f.start + 1) >= 0) continue;
        if (masked.includes(text))
          throw new Error(`${f.entity} ${JSON.stringify(text)} survived in ${JSON.stringify(masked)}`);
      }
    }
  });

  test('values of megabytes are scanned in one pass', () => {
    const big = `${'lorem ipsum 2023-11-26 dolor, '.repeat(40000)}ana@example.com`;
    const found = findEntities(big, ENTITIES);
    expect(found).toEqual([{ entity: 'EMAIL_ADDRESS', start: big.length - 15, end: big.length }]);
  });
});
