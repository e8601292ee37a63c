import { parseTraceparent } from './spans.js';
import { traceparentFromSql } from './traceparent.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('traceparent from sqlcommenter comments', () => {
  test('reads the traceparent of a trailing sqlcommenter comment, URL-encoded or not', () => {
    expect(traceparentFromSql(`SELECT 1 /*controller='users',traceparent='${TP}'*/`)).toBe(TP);
    expect(
      traceparentFromSql(`SELECT 1 /*traceparent='${encodeURIComponent(TP)}',tracestate='a%3Db'*/`),
    ).toBe(TP);
    expect(traceparentFromSql(`SELECT 1; /* traceparent = '${TP.toUpperCase()}' */`)).toBe(TP);
  });

  test('ignores statements without one, malformed values and traceparents outside a comment', () => {
    expect(traceparentFromSql('SELECT 1')).toBeUndefined();
    expect(traceparentFromSql("SELECT 1 /*traceparent='00-zz-00f067aa0ba902b7-01'*/")).toBeUndefined();
    expect(traceparentFromSql(`SELECT 'traceparent=''${TP}''' /* other */`)).toBeUndefined();
    expect(traceparentFromSql("SELECT 1 /*traceparent='%E0%A4%A'*/")).toBeUndefined();
  });

  test('an all-zero trace id or the forbidden version ff makes no span link', () => {
    expect(parseTraceparent(TP)).toMatchObject({ traceId: TP.split('-')[1], spanId: TP.split('-')[2] });
    expect(parseTraceparent(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBeUndefined();
    expect(parseTraceparent(`ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01`)).toBeUndefined();
  });
});
