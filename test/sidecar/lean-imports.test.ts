// The sidecar's own HTTP code must not pull in Node's bundled undici (fetch,
// WebSocket): an ES import of node:http does, at about 14 MB resident per
// thread (common/node-http.ts). Nor may the sidecar load what only some
// configurations use (docs/sidecar.md, "Memory").

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs `lines` as an ES module from source, from the repository root; its stdout. */
async function fromSource(lines: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    [
      '--experimental-transform-types',
      '--no-warnings',
      '--import',
      './test/run-from-source.mjs',
      '--input-type=module',
      '-e',
      lines.join('\n'),
    ],
    { cwd: root },
  );
  return stdout.trim();
}

const importsOf = (modules: string[]): string[] =>
  modules.map((m) => `await import(${JSON.stringify(`./${m}`)});`);

async function undiciLoadedAfter(imports: string[]): Promise<boolean> {
  const out = await fromSource([
    ...importsOf(imports),
    "console.log(process.moduleLoadList.some((m) => m.includes('undici')));",
  ]);
  return out === 'true';
}

test('the admin server and the issuer client leave undici unloaded', async () => {
  expect(await undiciLoadedAfter(['sidecar/server/admin-server.js', 'sidecar/identity/http-get.js'])).toBe(
    false,
  );
});

test('the check can tell: an ES import of node:http loads it', async () => {
  const { stdout } = await run(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "await import('node:http'); console.log(process.moduleLoadList.some((m) => m.includes('undici')));",
    ],
    { cwd: root },
  );
  expect(stdout.trim()).toBe('true');
});

/** The npm packages (by path under node_modules) loaded after importing `imports`. */
async function packagesLoadedAfter(imports: string[]): Promise<string[]> {
  const out = await fromSource([
    "const { registerHooks } = await import('node:module');",
    'const seen = new Set();',
    'registerHooks({ load(url, c, next) {',
    '  const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\/(.*)$/.exec(url);',
    '  if (m) seen.add(m[1] + "/" + m[2]);',
    '  return next(url, c);',
    '} });',
    ...importsOf(imports),
    'console.log(JSON.stringify([...seen]));',
  ]);
  return JSON.parse(out) as string[];
}

test('the sidecar loads no token verifier (jose, openid-client) and no Ajv compiler until asked', async () => {
  const loaded = await packagesLoadedAfter(['sidecar/server/sidecar.js']);
  // The check can tell: the module graph reaches libpg-query and Ajv's runtime helper.
  expect(loaded.some((p) => p.startsWith('libpg-query/'))).toBe(true);
  expect(loaded.filter((p) => /^(jose|openid-client|oauth4webapi)\//.test(p))).toEqual([]);
  expect(loaded.filter((p) => p.startsWith('ajv/') && !p.startsWith('ajv/dist/runtime/'))).toEqual([]);
});
