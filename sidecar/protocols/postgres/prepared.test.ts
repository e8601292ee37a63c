import { classification } from '../../policy/command.js';
import { PreparedState } from './prepared.js';

const SELECT = classification([{ operations: ['SELECT'], tables: ['t'] }]);
const DROP = classification([{ operations: ['DROP'], tables: ['t'] }]);

describe('PreparedState', () => {
  test('a named statement redefined before the upstream confirms is decided by both texts', () => {
    const st = new PreparedState(10, 10);
    const drop = st.parse('s', 'DROP TABLE t', DROP, '');
    st.parseDone(drop, true);
    const sel = st.parse('s', 'SELECT * FROM t', SELECT, '');
    expect(sel.effective.operations).toEqual(['DROP', 'SELECT']);
    const portal = st.bind('', 's', []);
    expect(portal.classification().operations).toEqual(['DROP', 'SELECT']);
  });

  test('a redefinition the upstream rejects leaves the old statement in force', () => {
    const st = new PreparedState(10, 10);
    const drop = st.parse('s', 'DROP TABLE t', DROP, '');
    st.parseDone(drop, true);
    const sel = st.parse('s', 'SELECT * FROM t', SELECT, '');
    st.parseDone(sel, false);
    expect(st.statements.get('s')?.text).toBe('DROP TABLE t');
    expect(st.bind('', 's', []).classification().operations).toEqual(['DROP']);
  });

  test('a confirmed redefinition is decided by its own text only', () => {
    const st = new PreparedState(10, 10);
    st.parseDone(st.parse('s', 'DROP TABLE t', DROP, ''), true);
    const sel = st.parse('s', 'SELECT * FROM t', SELECT, '');
    st.parseDone(sel, true);
    expect(st.bind('', 's', []).classification().operations).toEqual(['SELECT']);
  });

  test('the unnamed statement is replaced at once, as PostgreSQL drops it before parsing', () => {
    const st = new PreparedState(10, 10);
    st.parseDone(st.parse('', 'DROP TABLE t', DROP, ''), true);
    expect(st.parse('', 'SELECT 1', SELECT, '').effective.operations).toEqual(['SELECT']);
  });

  test('a portal on a statement we never saw prepared is UNKNOWN', () => {
    const st = new PreparedState(10, 10);
    expect(st.bind('', 'made_by_sql_prepare', []).classification().operations).toEqual(['UNKNOWN']);
  });

  test('Close forgets only the object that existed when it was sent', () => {
    const st = new PreparedState(10, 10);
    const a = st.parse('s', 'SELECT 1', SELECT, '');
    st.parseDone(a, true);
    const b = st.parse('s', 'DROP TABLE t', DROP, '');
    st.closeDone('S', 's', a);
    expect(st.statements.get('s')).toBe(b);
  });

  test('refuses more named statements than the limit', () => {
    const st = new PreparedState(2, 2);
    st.parse('a', 'SELECT 1', SELECT, '');
    st.parse('b', 'SELECT 1', SELECT, '');
    expect(() => st.parse('c', 'SELECT 1', SELECT, '')).toThrow(
      expect.objectContaining({ code: 'AG_ERR_PROTOCOL_TOO_LARGE' }) as unknown as Error,
    );
  });
});
