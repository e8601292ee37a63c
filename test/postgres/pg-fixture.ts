// The machine's PostgreSQL trusts loopback, which would never exercise the
// sidecar's upstream authentication. Each test file that needs it creates its
// own roles with real passwords and pg_hba.conf lines that require
// scram-sha-256 (and md5) for exactly those roles, reloads, and removes both
// afterwards. Lines carry the tag `agentgate/<purpose>` so clean-up finds ours.

import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import pg from 'pg';

export const PG_HOST = '127.0.0.1';
export const PG_PORT = 5432;

export async function admin<T = unknown>(sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ host: PG_HOST, port: PG_PORT, user: 'postgres', database: 'postgres' });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

async function withHbaLock<T>(fn: () => Promise<T>): Promise<T> {
  const lock = '/tmp/agentgate-pg-hba.lock';
  for (let i = 0; ; i++) {
    try {
      await mkdir(lock);
      break;
    } catch {
      if (i > 400) throw new Error('pg_hba lock held too long');
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  try {
    return await fn();
  } finally {
    await rmdir(lock);
  }
}

export interface UpstreamRoles {
  readonly scram: { username: string; password: string };
  readonly md5: { username: string; password: string };
  readonly database: string;
  cleanup(): Promise<void>;
}

/** Roles `ag_<tag>_scram` and `ag_<tag>_md5` that must authenticate with a password. */
export async function upstreamRoles(tag: string): Promise<UpstreamRoles> {
  const scram = { username: `ag_${tag}_scram`, password: `s3cret-${tag}-scram` };
  const md5 = { username: `ag_${tag}_md5`, password: `s3cret-${tag}-md5` };
  const database = 'postgres';
  const marker = `# agentgate/test-upstream-auth ${tag}`;
  await dropRoles(scram.username, md5.username);
  await admin(
    `SET password_encryption = 'scram-sha-256'; CREATE ROLE ${scram.username} LOGIN PASSWORD '${scram.password}'`,
  );
  await admin(
    `SET password_encryption = 'md5'; CREATE ROLE ${md5.username} LOGIN PASSWORD '${md5.password}'`,
  );
  for (const r of [scram.username, md5.username]) {
    await admin(`GRANT ALL ON SCHEMA public TO ${r}`);
    await admin(`GRANT pg_read_all_data, pg_write_all_data TO ${r}`);
  }
  const [{ hba_file: hba } = { hba_file: '' }] = await admin<{ hba_file: string }>('SHOW hba_file');
  await withHbaLock(async () => {
    const text = await readFile(hba, 'utf8');
    const ours = [
      `host all ${scram.username} 127.0.0.1/32 scram-sha-256 ${marker}`,
      `host all ${scram.username} ::1/128 scram-sha-256 ${marker}`,
      `host all ${md5.username} 127.0.0.1/32 md5 ${marker}`,
      `host all ${md5.username} ::1/128 md5 ${marker}`,
    ];
    // First lines win in pg_hba.conf: ours go before the machine's trust lines.
    await writeFile(hba, `${ours.join('\n')}\n${withoutMarker(text, marker)}`);
  });
  await admin('SELECT pg_reload_conf()');
  return {
    scram,
    md5,
    database,
    async cleanup() {
      await withHbaLock(async () => {
        await writeFile(hba, withoutMarker(await readFile(hba, 'utf8'), marker));
      });
      await admin('SELECT pg_reload_conf()');
      await dropRoles(scram.username, md5.username);
    },
  };
}

function withoutMarker(text: string, marker: string): string {
  return text
    .split('\n')
    .filter((l) => !l.endsWith(marker))
    .join('\n');
}

async function dropRoles(...names: string[]): Promise<void> {
  for (const n of names) {
    await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, [n]);
    const exists = await admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [n]);
    if (exists.length > 0) {
      await admin(`REASSIGN OWNED BY ${n} TO postgres`);
      await admin(`DROP OWNED BY ${n}`);
      await admin(`DROP ROLE ${n}`);
    }
  }
}
