import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '../../api/types.js';
import { CredentialStore } from './credentials.js';

const target: Target = {
  name: 'orders-db',
  protocol: 'postgres',
  address: 'x:5432',
  credentialsSecretRef: { name: 'orders-secret' },
};

function write(dir: string, folder: string, user: string, password: string): void {
  mkdirSync(join(dir, folder), { recursive: true });
  writeFileSync(join(dir, folder, 'username'), `${user}\n`);
  writeFileSync(join(dir, folder, 'password'), `${password}\n`);
}

describe('CredentialStore', () => {
  test('reads DIR/<target>/username and password, trailing newline dropped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-creds-'));
    write(dir, 'orders-db', 'agent_ro', 'p@ss word');
    expect(new CredentialStore(dir).get(target)).toEqual({ username: 'agent_ro', password: 'p@ss word' });
  });

  test("falls back to the folder named by the target's credentialsSecretRef", () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-creds-'));
    write(dir, 'orders-secret', 'from_ref', 'x');
    expect(new CredentialStore(dir).get(target)?.username).toBe('from_ref');
  });

  test('re-reads after the TTL even without a file-system notification', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ag-creds-'));
    write(dir, 'orders-db', 'first', 'x');
    let now = 0;
    const store = new CredentialStore(dir, () => now);
    store.close(); // no watch: only the clock can refresh
    expect(store.get(target)?.username).toBe('first');
    write(dir, 'orders-db', 'second', 'x');
    expect(store.get(target)?.username).toBe('first');
    now = 60_000;
    expect(store.get(target)?.username).toBe('second');
  });

  test('no folder, no credentials', () => {
    expect(new CredentialStore(undefined).get(target)).toBeUndefined();
    expect(new CredentialStore(mkdtempSync(join(tmpdir(), 'ag-creds-'))).get(target)).toBeUndefined();
  });
});
