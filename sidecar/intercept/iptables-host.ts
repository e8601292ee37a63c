// The side effects of `agentgate iptables`, behind one small interface: running
// iptables-save / iptables-restore and reading /proc. Production uses the real
// system; unit tests replace it with a recorder, the namespace tests use the real one.

import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';

export interface CommandResult {
  /** Exit status; -1 when the command could not start. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The executable does not exist on PATH. */
  readonly notFound: boolean;
}

export interface IptablesHost {
  run(command: string, args: readonly string[], input?: string): Promise<CommandResult>;
  /** A file's text, or null when it cannot be read. */
  readFile(path: string): Promise<string | null>;
}

/** Bounds what we keep of a command's output: iptables-save of a busy node table can be large, never unbounded. */
const MAX_OUTPUT = 16 * 1024 * 1024;

export const systemHost: IptablesHost = {
  run(command, args, input) {
    return new Promise((resolve) => {
      const child = spawn(command, [...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let size = 0;
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_OUTPUT) into.push(chunk);
        else child.kill('SIGKILL');
      };
      child.stdout.on('data', collect(out));
      child.stderr.on('data', collect(err));
      child.on('error', (e: NodeJS.ErrnoException) => {
        resolve({ code: -1, stdout: '', stderr: e.message, notFound: e.code === 'ENOENT' });
      });
      child.on('close', (code, signal) => {
        const stderr = Buffer.concat(err).toString('utf8');
        resolve({
          code: code ?? -1,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: signal
            ? `${stderr}killed by ${signal}${size > MAX_OUTPUT ? ' (output too large)' : ''}`
            : stderr,
          notFound: false,
        });
      });
      // EPIPE when the command exits without reading stdin is reported by its exit status.
      child.stdin.on('error', () => {});
      child.stdin.end(input ?? '');
    });
  },
  async readFile(path) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return null;
    }
  },
};
