// Which declared target a redirected connection was going to, by original
// destination IP and port. Target addresses that are DNS names are resolved
// when policies change and refreshed periodically, since Service and database
// addresses move; lookups on the connection path only read a Map.

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Target } from '../../api/types.js';
import { parseAddress } from '../protocols/postgres/upstream.js';

export type Resolver = (host: string) => Promise<string[]>;

const defaultResolver: Resolver = async (host) => (await lookup(host, { all: true })).map((a) => a.address);

/** `::ffff:10.0.0.1` and `10.0.0.1` are the same IPv4 address. */
export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip.toLowerCase();
}

export class TargetTable {
  private byDestination = new Map<string, Target>();
  private targets: readonly Target[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly resolve: Resolver = defaultResolver,
    private readonly refreshMs = 30_000,
    private readonly onError: (msg: string) => void = () => {},
  ) {}

  /** Replaces the targets and resolves their addresses; resolves when the table is rebuilt. */
  async setTargets(targets: readonly Target[]): Promise<void> {
    this.targets = targets;
    await this.rebuild();
    if (this.timer === null && this.refreshMs > 0) {
      this.timer = setInterval(() => void this.rebuild(), this.refreshMs);
      this.timer.unref();
    }
  }

  lookup(ip: string, port: number): Target | undefined {
    return this.byDestination.get(`${normalizeIp(ip)}|${port}`);
  }

  private async rebuild(): Promise<void> {
    const targets = this.targets;
    const next = new Map<string, Target>();
    await Promise.all(
      targets.map(async (t) => {
        let host: string;
        let port: number;
        try {
          ({ host, port } = parseAddress(t.address, defaultPort(t)));
        } catch (e) {
          this.onError((e as Error).message);
          return;
        }
        let ips: string[];
        if (isIP(host) !== 0) ips = [host];
        else {
          try {
            ips = await this.resolve(host);
          } catch (e) {
            // Keep what we knew: a resolver hiccup must not unmap a live target.
            for (const [k, v] of this.byDestination) if (v.name === t.name) next.set(k, t);
            this.onError(`cannot resolve ${host} for target ${t.name}: ${(e as Error).message}`);
            return;
          }
        }
        for (const ip of ips) next.set(`${normalizeIp(ip)}|${port}`, t);
      }),
    );
    if (this.targets === targets) this.byDestination = next;
  }

  close(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}

export function defaultPort(t: Target): number {
  switch (t.protocol) {
    case 'postgres':
      return 5432;
    case 'mysql':
      return 3306;
    case 'redis':
      return 6379;
    case 'http':
      return 80;
  }
}
