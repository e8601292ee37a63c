// Runs `agentgate sidecar` as a child process from the TypeScript source, the
// way a pod runs it: real flags, real files, real signals. Node strips types
// itself (with enum support); a resolve hook maps `./x.js` imports to `./x.ts`.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sourceBootstrap } from '../../sidecar/audit/worker-url.js';

const BOOT = sourceBootstrap(new URL('../../cli/main.ts', import.meta.url));

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface SidecarProcess {
  readonly child: ChildProcess;
  readonly adminPort: number;
  log(): string;
  /** Peak and current resident memory of the process, from /proc. */
  memory(): { rssKb: number; hwmKb: number };
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startSidecarProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<SidecarProcess> {
  const adminPort = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--experimental-transform-types',
      '--liftoff-only',
      '--no-warnings',
      '--input-type=module',
      '-e',
      BOOT,
      '--',
      'agentgate',
      'sidecar',
      '--admin',
      `127.0.0.1:${adminPort}`,
      ...args,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (out.includes('sidecar ready')) resolve();
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`sidecar exited (${code}) before ready:\n${out}`)));
  });
  const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status())?.[1] ?? 0);
  return {
    child,
    adminPort,
    log: () => out,
    memory: () => ({ rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') }),
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** The test's policy and secrets, explicit localPort listeners only: what every process test starts from. */
function fileSidecarArgs(files: Pick<PolicyFiles, 'policyFile' | 'secretsDir'>): string[] {
  return ['--policy', files.policyFile, '--secrets-dir', files.secretsDir, '--no-transparent'];
}

/**
 * The flags the process tests share: the test's files, one loopback OIDC
 * issuer with audience agentgate, namespace shop. Each test appends what it is about.
 */
export function oidcSidecarArgs(
  files: Pick<PolicyFiles, 'policyFile' | 'secretsDir'>,
  issuer: string,
): string[] {
  return [
    ...fileSidecarArgs(files),
    '--oidc-issuer',
    issuer,
    '--oidc-audience',
    'agentgate',
    '--oidc-insecure-http',
    '--namespace',
    'shop',
  ];
}

/** The flags of a sidecar that trusts no issuer and lets every connection in as anonymous. */
export function anonymousSidecarArgs(files: Pick<PolicyFiles, 'policyFile' | 'secretsDir'>): string[] {
  return [...fileSidecarArgs(files), '--allow-anonymous'];
}

export interface PolicyFiles {
  readonly dir: string;
  readonly policyFile: string;
  readonly secretsDir: string;
  writePolicy(yaml: string): void;
  writeCredentials(target: string, username: string, password: string): void;
}

export function policyFiles(): PolicyFiles {
  const dir = mkdtempSync(join(tmpdir(), 'agentgate-sidecar-'));
  const policyFile = join(dir, 'policy.yaml');
  const secretsDir = join(dir, 'secrets');
  return {
    dir,
    policyFile,
    secretsDir,
    writePolicy(yaml) {
      writeFileSync(policyFile, yaml);
    },
    writeCredentials(target, username, password) {
      const d = join(secretsDir, target);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'username'), username);
      writeFileSync(join(d, 'password'), password);
    },
  };
}
