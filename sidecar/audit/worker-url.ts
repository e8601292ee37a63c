// Starts a worker thread from a sibling module, whether agentgate runs built
// (dist/*.js) or from the TypeScript source (tests, `node file.ts`). From source,
// Node 24 strips the types itself; a resolve hook maps our `./x.js` specifiers
// to the `./x.ts` files that exist. The hook is installed only inside that worker.

import { Worker, type WorkerOptions } from 'node:worker_threads';

const BOOT = (entry: string): string =>
  [
    "import { registerHooks } from 'node:module';",
    'registerHooks({ resolve(s, c, next) {',
    '  try { return next(s, c); } catch (e) {',
    "    if (s.startsWith('.') && s.endsWith('.js')) return next(s.slice(0, -3) + '.ts', c);",
    '    throw e;',
    '  }',
    '} });',
    `await import(${JSON.stringify(entry)});`,
  ].join('\n');

/** `from` is the caller's import.meta.url; `name` the sibling module without extension. */
export function startWorker(from: string, name: string, options: WorkerOptions): Worker {
  const source = from.endsWith('.ts');
  const entry = new URL(`./${name}.${source ? 'ts' : 'js'}`, from);
  if (!source) return new Worker(entry, options);
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(BOOT(entry.href))}`), options);
}

/** The same bootstrap as a `node --input-type=module -e` script: runs a .ts module from source in a child process. */
export function sourceBootstrap(entry: URL): string {
  return BOOT(entry.href);
}
