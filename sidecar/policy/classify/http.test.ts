import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { expectedFrom, loadCorpus, rewriteCorpus, updating } from './corpus.js';
import {
  classifyHttp,
  compilePathTemplate,
  type HttpRequestHead,
  normalizeHost,
  normalizePath,
} from './http.js';

const CORPUS = fileURLToPath(new URL('./testdata/http-corpus.yaml', import.meta.url));
const cases = loadCorpus<HttpRequestHead>(CORPUS);
if (updating) rewriteCorpus(CORPUS, cases, classifyHttp);

describe('HTTP golden corpus', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(expectedFrom(classifyHttp(c.input))).toEqual(c.expect);
  });
});

describe('normalizePath', () => {
  it.each([
    ['/v1/../admin', '/admin'],
    ['/v1/%2e%2e/admin', '/admin'],
    ['/v1/%2E%2E/admin', '/admin'],
    ['/v1/%252e%252e/admin', '/admin'],
    ['//admin//users/', '/admin/users'],
    ['/./admin/.', '/admin'],
    ['/%61dmin', '/admin'],
    ['/admin%2Fusers', '/admin/users'],
    ['\\admin\\users', '/admin/users'],
    ['/public/..;/admin', '/admin'],
    ['/admin;jsessionid=1', '/admin'],
    ['/../../..', '/'],
    ['/a/b?x=/../../c#f', '/a/b'],
    ['http://api.example/v1/../admin?q', '/admin'],
    ['/files/100%25', '/files/100%'],
    ['/files/100%', '/files/100%'],
    ['/caf%C3%A9', '/café'],
    ['/%FF/%2e%2e/admin', '/admin'],
    ['/%FF%2e%2e/admin', '/%FF../admin'],
  ])('reads %s as %s', (input, out) => {
    expect(normalizePath(input)).toBe(out);
  });

  it.each([['/a%00b'], ['/a%0d%0aSet-Cookie:x'], ['/a\u0001'], [`/${'%25'.repeat(1)}${'25'.repeat(6)}2e`]])(
    'refuses %s',
    (input) => {
      expect(normalizePath(input)).toBeUndefined();
    },
  );

  it('refuses a percent-encoding nested deeper than servers decode', () => {
    expect(normalizePath('/%2525252561dmin')).toBeUndefined();
  });
});

describe('normalizeHost', () => {
  it.each([
    ['API.Example.com:8443', 'api.example.com'],
    ['api.example.com.', 'api.example.com'],
    ['[::1]:80', '[::1]'],
  ])('reads %s as %s', (input, out) => {
    expect(normalizeHost(input)).toBe(out);
  });
});

describe('compilePathTemplate', () => {
  const orders = compilePathTemplate('/v1/orders/{id}');
  it('matches one segment for {name}', () => {
    expect(orders('/v1/orders/42')).toBe(true);
    expect(orders('/v1/orders/42/items')).toBe(false);
    expect(orders('/v1/orders')).toBe(false);
    expect(orders('/v1/Orders/42')).toBe(false);
  });

  it('matches any rest for **, including nothing', () => {
    const admin = compilePathTemplate('/admin/**');
    expect(admin('/admin')).toBe(true);
    expect(admin('/admin/users/1')).toBe(true);
    expect(admin('/administrator')).toBe(false);
  });

  it('matches ** in the middle', () => {
    const m = compilePathTemplate('/v1/**/export');
    expect(m('/v1/export')).toBe(true);
    expect(m('/v1/a/b/export')).toBe(true);
    expect(m('/v1/a/b/export/x')).toBe(false);
  });

  it('matches literal templates exactly, whatever their slashes', () => {
    const m = compilePathTemplate('//health/');
    expect(m('/health')).toBe(true);
    expect(m('/health/x')).toBe(false);
  });

  it('matches the root only for / and for **', () => {
    expect(compilePathTemplate('/')('/')).toBe(true);
    expect(compilePathTemplate('/**')('/')).toBe(true);
    expect(compilePathTemplate('/{x}')('/')).toBe(false);
  });

  it('denies traversal once the path is classified', () => {
    const admin = compilePathTemplate('/admin/**');
    const path = classifyHttp({ method: 'get', path: '/public/%2e%2e//admin/keys' }).tables[0]!;
    expect(admin(path)).toBe(true);
  });
});
