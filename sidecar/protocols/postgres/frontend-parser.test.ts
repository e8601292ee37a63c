import { AgentgateError } from '../../../common/errors.js';
import { FrontendParser } from './frontend-parser.js';
import type { FrontendMessage } from './messages.js';
import {
  cancelRequest,
  describe as describeMsg,
  execute,
  query,
  SSL_REQUEST,
  startupMessage,
} from './serializer.js';

function typed(code: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(5);
  h[0] = code.charCodeAt(0);
  h.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
}
const cstr = (s: string) => Buffer.from(`${s}\0`);
const i16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};
const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

const parse = typed('P', cstr('s1'), cstr('SELECT $1::int'), i16(1), i32(23));
const bind = typed(
  'B',
  cstr('p1'),
  cstr('s1'),
  i16(1),
  i16(0),
  i16(2),
  i32(1),
  Buffer.from('7'),
  i32(-1),
  i16(1),
  i16(1),
);
const stream = Buffer.concat([
  SSL_REQUEST,
  startupMessage(
    new Map([
      ['user', 'agent'],
      ['database', 'orders'],
    ]),
  ),
  typed('p', cstr('token')),
  query('SELECT 1; SELECT ünïcode'),
  parse,
  bind,
  describeMsg('P', 'p1'),
  execute('p1', 0),
  typed('S'),
  typed('d', Buffer.from('1\t2\n')),
  typed('c'),
  typed('X'),
]);

function collect(chunks: Buffer[]): { msgs: FrontendMessage[]; sizes: number[] } {
  const p = new FrontendParser();
  const msgs: FrontendMessage[] = [];
  const sizes: number[] = [];
  for (const c of chunks) {
    p.parse(c, (m, f) => {
      msgs.push(m);
      sizes.push(f.end - f.start);
    });
  }
  return { msgs, sizes };
}

describe('FrontendParser', () => {
  const whole = collect([stream]);

  test('decodes the startup phase, then typed messages', () => {
    expect(whole.msgs.map((m) => m.name)).toEqual([
      'sslRequest',
      'startup',
      'password',
      'query',
      'parse',
      'bind',
      'describe',
      'execute',
      'opaque',
      'opaque',
      'opaque',
      'opaque',
    ]);
    const startup = whole.msgs[1];
    expect(startup?.name === 'startup' && [...startup.params]).toEqual([
      ['user', 'agent'],
      ['database', 'orders'],
    ]);
    expect(whole.msgs[3]).toMatchObject({ text: 'SELECT 1; SELECT ünïcode' });
    expect(whole.msgs[4]).toMatchObject({ statement: 's1', text: 'SELECT $1::int' });
    expect(whole.msgs[5]).toMatchObject({ portal: 'p1', statement: 's1', resultFormats: [1] });
    expect(whole.msgs[6]).toMatchObject({ kind: 'P', target: 'p1' });
    expect(whole.msgs[7]).toMatchObject({ portal: 'p1', maxRows: 0 });
    expect(whole.sizes.reduce((a, b) => a + b, 0)).toBe(stream.length);
  });

  test('gives the same messages when the stream is split at every byte', () => {
    for (let i = 1; i < stream.length; i++) {
      const split = collect([stream.subarray(0, i), stream.subarray(i)]);
      expect(split).toEqual(whole);
    }
  });

  test('gives the same messages when fed one byte at a time', () => {
    const chunks = [...stream].map((b) => Buffer.from([b]));
    expect(collect(chunks)).toEqual(whole);
  });

  test('gives the same messages when split in three at random points', () => {
    for (let n = 0; n < 500; n++) {
      const a = 1 + Math.floor(Math.random() * (stream.length - 2));
      const b = a + 1 + Math.floor(Math.random() * (stream.length - a - 1));
      expect(collect([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)])).toEqual(whole);
    }
  });

  test('decodes a CancelRequest', () => {
    expect(collect([cancelRequest(42, -7)]).msgs).toEqual([
      { name: 'cancelRequest', processId: 42, secretKey: -7 },
    ]);
  });

  test('refuses an oversized message from its header, before buffering it', () => {
    const p = new FrontendParser({
      maxStartupLength: 10_000,
      maxFrontendMessage: 1000,
      maxBackendMessage: 1000,
      maxStatements: 10,
      maxPortals: 10,
    });
    p.parse(startupMessage(new Map([['user', 'a']])), () => {});
    const header = Buffer.from([0x51, 0, 0, 0x10, 0]);
    expect(() => p.parse(header, () => {})).toThrow(
      expect.objectContaining({ code: 'AG_ERR_PROTOCOL_TOO_LARGE' }) as unknown as Error,
    );
  });

  test('refuses an oversized startup packet', () => {
    const b = Buffer.alloc(8);
    b.writeInt32BE(1_000_000, 0);
    expect(() => new FrontendParser().parse(b, () => {})).toThrow(AgentgateError);
  });

  test('refuses a string that runs past the end of its message', () => {
    const p = new FrontendParser();
    p.parse(startupMessage(new Map([['user', 'a']])), () => {});
    const bad = typed('Q', Buffer.from('SELECT 1'));
    expect(() => p.parse(Buffer.concat([bad, query('x')]), () => {})).toThrow(
      expect.objectContaining({ code: 'AG_ERR_PROTOCOL_MALFORMED' }) as unknown as Error,
    );
  });

  test('refuses a negative length, an unknown type and a wrong protocol version', () => {
    const p = new FrontendParser();
    p.parse(startupMessage(new Map([['user', 'a']])), () => {});
    expect(() => p.parse(Buffer.from([0x51, 0, 0, 0, 2]), () => {})).toThrow(AgentgateError);
    const q = new FrontendParser();
    q.parse(startupMessage(new Map([['user', 'a']])), () => {});
    expect(() => q.parse(typed('~'), () => {})).toThrow(AgentgateError);
    const v2 = Buffer.alloc(9);
    v2.writeInt32BE(9, 0);
    v2.writeInt32BE(2 << 16, 4);
    expect(() => new FrontendParser().parse(v2, () => {})).toThrow(
      expect.objectContaining({ code: 'AG_ERR_PROTOCOL_UNSUPPORTED' }) as unknown as Error,
    );
  });

  test('survives random bytes with either messages or a typed error, never another exception', () => {
    for (let n = 0; n < 2000; n++) {
      const p = new FrontendParser();
      p.parse(startupMessage(new Map([['user', 'a']])), () => {});
      const junk = Buffer.from(
        Array.from({ length: 1 + Math.floor(Math.random() * 40) }, () => Math.floor(Math.random() * 256)),
      );
      try {
        p.parse(junk, () => {});
      } catch (e) {
        expect(e).toBeInstanceOf(AgentgateError);
      }
    }
  });
});
