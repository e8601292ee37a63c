import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { generate } from '../../sidecar/policy/classify/generate-redis-commands.js';

const TABLE = fileURLToPath(new URL('../../sidecar/policy/classify/redis-command-table.ts', import.meta.url));

describe('Redis command table', () => {
  it('matches what the test Redis server reports in COMMAND', async () => {
    const fresh = await generate(process.env['REDIS_ADDR'] ?? '127.0.0.1:6379');
    expect(fresh).toBe(readFileSync(TABLE, 'utf8'));
  });
});
