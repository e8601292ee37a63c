import { binaries, chooseBackend, restoreArgs } from './iptables-backend.js';

describe('backend choice', () => {
  test('nft when neither backend has rules, as current distributions default', () => {
    expect(chooseBackend({ nft: 0, legacy: 0 })).toBe('nft');
  });

  test('legacy when only legacy holds rules: the node programs legacy tables', () => {
    expect(chooseBackend({ nft: 0, legacy: 12 })).toBe('legacy');
  });

  test('the backend with more rules wins, a tie goes to nft', () => {
    expect(chooseBackend({ nft: 3, legacy: 12 })).toBe('legacy');
    expect(chooseBackend({ nft: 12, legacy: 3 })).toBe('nft');
    expect(chooseBackend({ nft: 5, legacy: 5 })).toBe('nft');
  });

  test('a backend that is not installed only wins alone', () => {
    expect(chooseBackend({ nft: null, legacy: 0 })).toBe('legacy');
    expect(chooseBackend({ nft: 0, legacy: null })).toBe('nft');
    expect(chooseBackend({ nft: null, legacy: null })).toBeNull();
  });

  test('binary names per backend and family; legacy waits for the xtables lock', () => {
    expect(binaries('nft', 6)).toEqual({ save: 'ip6tables-nft-save', restore: 'ip6tables-nft-restore' });
    expect(binaries('legacy', 4)).toEqual({
      save: 'iptables-legacy-save',
      restore: 'iptables-legacy-restore',
    });
    expect(restoreArgs('legacy')).toEqual(['--noflush', '--wait=30']);
    expect(restoreArgs('nft')).toEqual(['--noflush']);
  });
});
