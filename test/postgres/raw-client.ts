// A bare-bytes PostgreSQL client for tests that need what real drivers won't
// do: send garbage, stop reading, vanish mid-result, quote a cancel key.

import { connect, type Socket } from 'node:net';
import { BackendParser } from '../../sidecar/protocols/postgres/backend-parser.js';
import type { BackendMessage } from '../../sidecar/protocols/postgres/messages.js';
import { passwordMessage, query, startupMessage } from '../../sidecar/protocols/postgres/serializer.js';

export class RawClient {
  readonly socket: Socket;
  readonly messages: BackendMessage[] = [];
  bytes = 0;
  /** Keep decoded messages (off for huge results). */
  keep = true;
  private readonly parser = new BackendParser();
  private waiters: (() => void)[] = [];
  closed = false;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.socket.on('data', (b: Buffer) => {
      this.bytes += b.length;
      try {
        this.parser.parse(b, (m) => {
          if (this.keep || m.name !== 'opaque') this.messages.push(m);
          if (m.name === 'readyForQuery' || m.name === 'error') this.wake();
        });
      } catch {
        this.socket.destroy();
      }
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.socket.on('error', () => {});
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when a message matching `pred` has arrived (or the socket closed). */
  async until(pred: (m: BackendMessage) => boolean): Promise<BackendMessage | undefined> {
    for (;;) {
      const m = this.messages.find(pred);
      if (m !== undefined || this.closed) return m;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  async login(token = 'agent-token', application = 'agentgate-raw'): Promise<void> {
    this.socket.write(
      startupMessage(
        new Map([
          ['user', 'agent'],
          ['database', 'postgres'],
          ['application_name', application],
        ]),
      ),
    );
    this.socket.write(passwordMessage(token));
    await this.until((m) => m.name === 'readyForQuery');
  }

  query(text: string): void {
    this.socket.write(query(text));
  }

  end(): void {
    this.socket.destroy();
  }
}
