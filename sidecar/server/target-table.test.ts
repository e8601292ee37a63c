import type { Target } from '../../api/types.js';
import { normalizeIp, TargetTable } from './target-table.js';

const t = (name: string, address: string): Target => ({ name, protocol: 'postgres', address });

describe('TargetTable', () => {
  test('finds targets by IP and port, names resolved, IPv4-mapped IPv6 folded', async () => {
    const table = new TargetTable(
      async (host) => (host === 'orders-db.data.svc' ? ['10.0.3.7', '10.0.3.8'] : []),
      0,
    );
    await table.setTargets([
      t('orders', 'orders-db.data.svc:5432'),
      t('cache', '[fd00::5]:6379'),
      t('raw', '10.1.1.1'),
    ]);
    expect(table.lookup('10.0.3.7', 5432)?.name).toBe('orders');
    expect(table.lookup('::ffff:10.0.3.8', 5432)?.name).toBe('orders');
    expect(table.lookup('10.0.3.7', 5433)).toBeUndefined();
    expect(table.lookup('fd00::5', 6379)?.name).toBe('cache');
    expect(table.lookup('10.1.1.1', 5432)?.name).toBe('raw');
  });

  test('keeps the last known addresses of a target whose name fails to resolve', async () => {
    let fail = false;
    const errors: string[] = [];
    const table = new TargetTable(
      async () => {
        if (fail) throw new Error('SERVFAIL');
        return ['10.0.0.9'];
      },
      0,
      (m) => errors.push(m),
    );
    const targets = [t('orders', 'db.example:5432')];
    await table.setTargets(targets);
    fail = true;
    await table.setTargets(targets);
    expect(table.lookup('10.0.0.9', 5432)?.name).toBe('orders');
    expect(errors[0]).toMatch(/SERVFAIL/);
  });

  test('normalizes addresses', () => {
    expect(normalizeIp('::FFFF:10.0.0.1')).toBe('::ffff:10.0.0.1');
    expect(normalizeIp('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(normalizeIp('FD00::1')).toBe('fd00::1');
  });
});
