// CancelRequest routing. The agent is handed a synthetic (process id, secret)
// per session; a cancel that quotes it is forwarded, on a connection of its
// own, to the upstream backend that session really talks to. Keys the agent
// could guess are useless: 62 random bits, checked exactly.

import { randomInt } from 'node:crypto';
import type { Socket } from 'node:net';
import type { Target } from '../../../api/types.js';
import { cancelRequest } from './serializer.js';

export interface CancelRoute {
  readonly target: Target;
  readonly processId: number;
  readonly secretKey: number;
}

export type UpstreamConnector = (target: Target) => Promise<Socket>;

export class CancelRegistry {
  private readonly routes = new Map<string, CancelRoute>();

  /** Registers a session's upstream key; returns the key the agent sees. */
  register(route: CancelRoute): { processId: number; secretKey: number } {
    for (;;) {
      const processId = randomInt(1, 0x7fffffff);
      const secretKey = randomInt(-0x80000000, 0x7fffffff);
      const k = key(processId, secretKey);
      if (this.routes.has(k)) continue;
      this.routes.set(k, route);
      return { processId, secretKey };
    }
  }

  unregister(processId: number, secretKey: number): void {
    this.routes.delete(key(processId, secretKey));
  }

  get size(): number {
    return this.routes.size;
  }

  /** Forwards a cancel; true when the key was ours. Failures reaching upstream are swallowed like PostgreSQL's. */
  async cancel(processId: number, secretKey: number, connect: UpstreamConnector): Promise<boolean> {
    const route = this.routes.get(key(processId, secretKey));
    if (route === undefined) return false;
    try {
      const s = await connect(route.target);
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.once('error', () => resolve());
        s.end(cancelRequest(route.processId, route.secretKey));
      });
    } catch {
      // The agent gets no answer to a cancel either way.
    }
    return true;
  }
}

function key(processId: number, secretKey: number): string {
  return `${processId}:${secretKey}`;
}
