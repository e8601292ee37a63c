import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { expectedFrom, loadCorpus, rewriteCorpus, updating } from './corpus.js';
import { classifyRedis, classifyRedisBlock, classifyRedisBuffers } from './redis.js';
import { scriptCalls } from './redis-script.js';

const CORPUS = fileURLToPath(new URL('./testdata/redis-corpus.yaml', import.meta.url));
const cases = loadCorpus<string[]>(CORPUS);
if (updating) rewriteCorpus(CORPUS, cases, classifyRedis);

describe('Redis golden corpus', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(expectedFrom(classifyRedis(c.input))).toEqual(c.expect);
  });
});

describe('classifyRedisBlock', () => {
  it('sees a FLUSHDB queued in a MULTI/EXEC block among reads', () => {
    const c = classifyRedisBlock([['MULTI'], ['GET', 'a'], ['FLUSHDB'], ['GET', 'b'], ['EXEC']]);
    expect(c.statements.map((s) => s.operations[0])).toEqual(['MULTI', 'GET', 'FLUSHDB', 'GET', 'EXEC']);
    expect(c.operations).toContain('DANGEROUS');
    expect(c.tables).toEqual(['a', 'b']);
  });

  it('keeps an unknown command of a block as an UNKNOWN statement', () => {
    const c = classifyRedisBlock([['GET', 'a'], ['NOPE']]);
    expect(c.statements[1]!.operations).toEqual(['UNKNOWN']);
  });
});

describe('classifyRedisBuffers', () => {
  it('reads arguments straight from wire buffers', () => {
    const wire = Buffer.from('xxDELk1k2');
    const argv = [wire.subarray(2, 5), wire.subarray(5, 7), wire.subarray(7, 9)];
    expect(classifyRedisBuffers(argv).statements[0]).toEqual({
      operations: ['DEL', 'WRITE'],
      tables: ['k1', 'k2'],
    });
  });
});

describe('scriptCalls', () => {
  it('finds literal calls and ignores strings, comments and long brackets', () => {
    const script = [
      "local a = redis.call('set', KEYS[1], 'x')",
      "--[[ redis.call('FLUSHALL') ]]",
      "local s = [==[ redis.call('SHUTDOWN') ]==]",
      'local t = "redis.call(\'DEBUG\')"',
      "return server.pcall('INFO')",
    ].join('\n');
    expect(scriptCalls(script)).toEqual([{ name: 'SET' }, { name: 'INFO', args: [] }]);
  });

  it('does not take a lookalike such as myredis.call for a call', () => {
    expect(scriptCalls("myredis.call('FLUSHALL')")).toEqual([]);
  });

  it('reports the arguments of a call when every one is a literal', () => {
    expect(scriptCalls("redis.call('del', 'secret:1', \"b\", 42) redis.call('get', KEYS[1])")).toEqual([
      { name: 'DEL', args: ['secret:1', 'b', '42'] },
      { name: 'GET' },
    ]);
  });
});
