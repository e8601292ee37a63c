import {
  appendFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REC_CHECKPOINT, REC_SPANS, Spool, segName } from './spool.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ag-spool-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function rec(n: number, size = 100): { kind: number; spans: number; payload: Buffer } {
  return { kind: REC_SPANS, spans: n, payload: Buffer.alloc(size, n) };
}

function open(maxBytes = 1 << 20, checkpoints: Buffer[] = []): Spool {
  const s = new Spool({ dir, maxBytes, segmentBytes: 4096, fsync: 'never' });
  s.open((p) => checkpoints.push(Buffer.from(p)));
  return s;
}

describe('audit spool', () => {
  test('fsyncMs: appends in between are written at once and fsynced together when due; close fsyncs the rest', () => {
    const s = new Spool({ dir, maxBytes: 1 << 20, fsync: 'batch', fsyncMs: 60_000 });
    s.open(() => {});
    s.append([rec(1)]); // the first append is due at once (no fsync yet)
    expect(s.fsyncs).toBe(1);
    expect(s.syncDueInMs(Date.now())).toBe(Number.POSITIVE_INFINITY);
    s.append([rec(2)]);
    s.append([rec(3)]);
    expect(s.fsyncs).toBe(1);
    const due = s.syncDueInMs(Date.now());
    expect(due).toBeGreaterThan(50_000);
    // written, not yet fsynced: a reader (a restarted process) sees them already
    expect(open().backlogSpans()).toBe(6);
    s.syncIfDue(Date.now());
    expect(s.fsyncs).toBe(1);
    s.syncIfDue(Date.now() + due);
    expect(s.fsyncs).toBe(2);
    s.append([rec(4)]);
    s.close();
    expect(s.fsyncs).toBe(3);
  });

  test('fsyncMs 0 fsyncs every append; fsync never, none', () => {
    const every = new Spool({ dir, maxBytes: 1 << 20, fsync: 'batch', fsyncMs: 0 });
    every.open(() => {});
    for (let i = 1; i <= 3; i++) every.append([rec(i)]);
    expect(every.fsyncs).toBe(3);
    every.close();
    const never = new Spool({ dir, maxBytes: 1 << 20, fsync: 'never', fsyncMs: 0 });
    never.open(() => {});
    never.append([rec(4)]);
    never.close();
    expect(never.fsyncs).toBe(0);
  });

  test('unacknowledged records come back after a reopen; acknowledged ones do not', () => {
    const s = open();
    s.append([rec(1), rec(2)]);
    s.append([rec(3)]);
    const first = s.takeBatch(150)!;
    expect(first.spans).toBe(1);
    s.ack(first);
    s.close();
    const again = open();
    expect(again.backlogSpans()).toBe(5);
    const b = again.takeBatch(1 << 20)!;
    expect([...b.body]).toEqual([...Buffer.alloc(100, 2), ...Buffer.alloc(100, 3)]);
  });

  test('an acknowledged request of several records leaves two checksummed slots, and the position survives a reopen', () => {
    const s = open();
    s.append([rec(1), rec(2), rec(3)]);
    s.append([rec(4)]);
    const ackBefore = readFileSync(join(dir, 'ack'), 'latin1');
    s.ack(s.takeBatch(1 << 20)!);
    const slots = readFileSync(join(dir, 'ack'), 'latin1');
    expect(slots.length).toBe(128);
    // one slot rewritten for the four records, the other still holds the previous position
    expect(slots).not.toBe(ackBefore);
    expect(slots.match(/^v2 /gm)).toHaveLength(2);
    s.append([rec(5)]);
    s.close();
    expect(open().backlogSpans()).toBe(5);
  });

  test('a torn ack slot falls back to the older position: resent, never lost', () => {
    const s = open();
    s.append([rec(1)]);
    s.append([rec(2)]);
    s.ack(s.takeBatch(150)!); // past record 1
    s.ack(s.takeBatch(150)!); // past record 2
    s.close();
    const path = join(dir, 'ack');
    const slots = Buffer.from(readFileSync(path));
    // The newer slot holds the higher sequence number; a crash tore its offset.
    const seqs = [0, 64].map((at) => Number(slots.toString('latin1', at, at + 64).split(' ')[1]));
    const newer = seqs[0]! > seqs[1]! ? 0 : 64;
    const line = slots.toString('latin1', newer, newer + 64);
    slots.write(
      line.replace(
        / (\d+) ([0-9a-f]{8})/,
        (_m, off: string, crc: string) => ` ${off.replace(/.$/, '9')} ${crc}`,
      ),
      newer,
      'latin1',
    );
    writeFileSync(path, slots);
    expect(open().backlogSpans()).toBe(2); // record 2 comes back, record 1 does not
  });

  test('an ack file in the one-line format of earlier versions is still read', () => {
    const s = open();
    s.append([rec(1)]);
    s.append([rec(2)]);
    s.close();
    writeFileSync(join(dir, 'ack'), `1 ${13 + 100}\n`);
    const t = open();
    expect(t.backlogSpans()).toBe(2);
    t.close();
    // and it is rewritten in the slot format, keeping the position
    expect(readFileSync(join(dir, 'ack'), 'latin1')).toMatch(/v2 \d+ 1 113 [0-9a-f]{8}/);
    expect(open().backlogSpans()).toBe(2);
  });

  test('an ack file that is garbage means nothing was acknowledged: everything is resent', () => {
    const s = open();
    s.append([rec(1)]);
    s.ack(s.takeBatch(1 << 20)!);
    s.append([rec(2)]);
    s.close();
    writeFileSync(join(dir, 'ack'), 'v2 \u0000\u0000 torn');
    expect(open().backlogSpans()).toBe(3);
  });

  test('a record cut short by a crash is dropped and later appends stay readable', () => {
    const s = open();
    s.append([rec(1)]);
    s.close();
    appendFileSync(join(dir, segName(1)), Buffer.from([50, 0, 0, 0, 1, 2, 3]));
    const t = open();
    expect(t.backlogSpans()).toBe(1);
    t.append([rec(4)]);
    t.close();
    expect(open().backlogSpans()).toBe(5);
  });

  test('checkpoints are handed back on open and never exported', () => {
    const s = open();
    s.append([rec(1), { kind: REC_CHECKPOINT, spans: 0, payload: Buffer.from('{"open":[],"ended":[]}') }]);
    s.close();
    const cps: Buffer[] = [];
    const t = open(1 << 20, cps);
    expect(cps.map(String)).toEqual(['{"open":[],"ended":[]}']);
    expect(t.takeBatch(1 << 20)!.body.length).toBe(100);
  });

  test('stays under its size limit: full without acks, room again once the collector has taken the data', () => {
    const s = open(64 * 1024);
    let appended = 0;
    while (s.fits(1013)) {
      s.append([rec(1, 1000)]);
      appended++;
    }
    expect(s.usedBytes()).toBeLessThanOrEqual(64 * 1024);
    for (let b = s.takeBatch(8192); b !== undefined; b = s.takeBatch(8192)) s.ack(b);
    expect(s.fits(1013)).toBe(true);
    expect(appended).toBeGreaterThan(50);
    const files = readdirSync(dir).filter((f) => f.startsWith('seg-'));
    const total = files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(total).toBeLessThanOrEqual(64 * 1024);
  });

  test('drop-oldest removes the oldest segments and counts their unsent spans', () => {
    const s = open(64 * 1024);
    let dropped = 0;
    for (let i = 0; i < 200; i++) {
      if (!s.fits(1013)) dropped += s.dropOldest(1013);
      s.append([rec(1, 1000)]);
    }
    expect(s.usedBytes()).toBeLessThanOrEqual(64 * 1024);
    expect(dropped).toBeGreaterThan(0);
    expect(s.backlogSpans() + dropped).toBe(200);
  });

  test('segment files are readable by the sidecar user only', () => {
    const s = open();
    s.append([rec(1)]);
    s.close();
    expect(statSync(join(dir, segName(1))).mode & 0o777).toBe(0o600);
  });
});
