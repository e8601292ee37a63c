import { AgentgateError } from '../../../common/errors.js';
import { BackendParser, ownRowDescription } from './backend-parser.js';
import { AuthCode } from './codes.js';
import type { BackendMessage } from './messages.js';
import {
  authenticationRequest,
  backendKeyData,
  dataRow,
  errorResponse,
  readyForQuery,
} from './serializer.js';

function typed(code: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(5);
  h[0] = code.charCodeAt(0);
  h.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([h, body]);
}
const cstr = (s: string) => Buffer.from(`${s}\0`);
function rowDescription(cols: [string, number, number][]): Buffer {
  const parts: Buffer[] = [];
  const n = Buffer.alloc(2);
  n.writeInt16BE(cols.length);
  parts.push(n);
  for (const [name, oid, format] of cols) {
    const b = Buffer.alloc(18);
    b.writeInt32BE(16384, 0);
    b.writeInt16BE(1, 4);
    b.writeInt32BE(oid, 6);
    b.writeInt16BE(-1, 10);
    b.writeInt32BE(-1, 12);
    b.writeInt16BE(format, 16);
    parts.push(cstr(name), b);
  }
  return typed('T', ...parts);
}

const stream = Buffer.concat([
  authenticationRequest(AuthCode.MD5Password, Buffer.from([1, 2, 3, 4])),
  authenticationRequest(AuthCode.Ok),
  typed('S', cstr('server_version'), cstr('15.20')),
  backendKeyData(1234, 5678),
  readyForQuery(0x49),
  rowDescription([
    ['id', 23, 0],
    ['email', 25, 0],
  ]),
  dataRow([Buffer.from('1'), Buffer.from('a@b.c')]),
  dataRow([Buffer.from('2'), null]),
  typed('C', cstr('SELECT 2')),
  errorResponse({ severity: 'ERROR', sqlstate: '42P01', message: 'relation "x" does not exist' }),
  typed('N', Buffer.from('SNOTICE\0Mhello\0\0')),
  typed('A', Buffer.alloc(4), cstr('chan'), cstr('payload')),
  readyForQuery(0x54),
]);

function collect(chunks: Buffer[]): { msgs: BackendMessage[]; bytes: string[] } {
  const p = new BackendParser();
  const msgs: BackendMessage[] = [];
  const bytes: string[] = [];
  for (const c of chunks) {
    p.parse(c, (m, f) => {
      msgs.push(m);
      bytes.push(f.buf.toString('hex', f.start, f.end));
    });
  }
  return { msgs, bytes };
}

describe('BackendParser', () => {
  const whole = collect([stream]);

  test('decodes what the session acts on and frames the rest', () => {
    expect(whole.msgs.map((m) => m.name)).toEqual([
      'authentication',
      'authentication',
      'parameterStatus',
      'backendKeyData',
      'readyForQuery',
      'rowDescription',
      'opaque',
      'opaque',
      'opaque',
      'error',
      'notice',
      'opaque',
      'readyForQuery',
    ]);
    expect(whole.msgs[0]).toMatchObject({ type: AuthCode.MD5Password, data: Buffer.from([1, 2, 3, 4]) });
    expect(whole.msgs[3]).toMatchObject({ processId: 1234, secretKey: 5678 });
    expect(whole.msgs[5]).toMatchObject({
      columns: [
        { name: 'id', typeOid: 23 },
        { name: 'email', typeOid: 25 },
      ],
    });
    const err = whole.msgs[9];
    expect(err?.name === 'error' && err.fields.get(0x43)).toBe('42P01');
    expect(whole.bytes.join('')).toBe(stream.toString('hex'));
  });

  test('gives the same messages and bytes when split at every byte', () => {
    for (let i = 1; i < stream.length; i++) {
      expect(collect([stream.subarray(0, i), stream.subarray(i)])).toEqual(whole);
    }
  });

  test('gives the same messages when fed one byte at a time', () => {
    expect(collect([...stream].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  test('completes a large message arriving in many chunks', () => {
    const big = dataRow([Buffer.alloc(300_000, 0x61)]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < big.length; i += 1000) chunks.push(big.subarray(i, i + 1000));
    const got = collect(chunks);
    expect(got.bytes).toEqual([big.toString('hex')]);
  });

  test('refuses a message over the limit from its header alone', () => {
    const p = new BackendParser({
      maxStartupLength: 10_000,
      maxFrontendMessage: 100,
      maxBackendMessage: 100,
      maxStatements: 1,
      maxPortals: 1,
    });
    expect(() => p.parse(Buffer.from([0x44, 0x7f, 0, 0, 0]), () => {})).toThrow(
      expect.objectContaining({ code: 'AG_ERR_PROTOCOL_TOO_LARGE' }) as unknown as Error,
    );
  });

  test('refuses an unknown message type and a truncated RowDescription', () => {
    expect(() => new BackendParser().parse(typed('~'), () => {})).toThrow(AgentgateError);
    expect(() => new BackendParser().parse(typed('T', Buffer.from([0, 2])), () => {})).toThrow(
      AgentgateError,
    );
  });
});

test('a RowDescription kept beyond its chunk holds a copy of its own bytes only', () => {
  const chunk = Buffer.concat([
    rowDescription([
      ['id', 23, 0],
      ['email', 25, 0],
    ]),
    Buffer.from([0x44, 0, 0, 0, 6, 0, 0]), // a DataRow after it in the same chunk
  ]);
  let kept: BackendMessage | undefined;
  new BackendParser().parse(chunk, (m) => {
    if (m.name === 'rowDescription') kept = ownRowDescription(m);
  });
  chunk.fill(0); // the chunk is gone; the kept description must not depend on it
  expect(kept?.name === 'rowDescription' && kept.columns.map((c) => [c.name, c.typeOid])).toEqual([
    ['id', 23],
    ['email', 25],
  ]);
});
