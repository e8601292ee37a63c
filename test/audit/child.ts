// Spawns a TypeScript module of this repository as a child process, from source.

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { sourceBootstrap } from '../../sidecar/audit/worker-url.js';

export function spawnTs(entry: URL, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', sourceBootstrap(entry)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Resolves with everything written to stdout once `marker` shows up; rejects if the child exits first. */
export async function waitForOutput(child: ChildProcess, marker: string): Promise<string> {
  let out = '';
  let err = '';
  child.stderr!.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes(marker)) resolve(out);
    });
    child.on('exit', (code) => reject(new Error(`child exited (${code}) before '${marker}': ${err}`)));
  });
}

export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
