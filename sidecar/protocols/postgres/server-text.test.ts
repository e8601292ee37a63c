import type { ResultMasker } from '../gateway-context.js';
import { BackendCode } from './codes.js';
import type { ErrorOrNotice } from './messages.js';
import { maskErrorOrNotice, WITHHELD } from './server-text.js';

function error(fields: [string, string][]): ErrorOrNotice {
  return {
    name: 'error',
    code: BackendCode.ErrorResponse,
    fields: new Map(fields.map(([k, v]) => [k.charCodeAt(0), v])),
  };
}

function masker(
  hasColumnRules: boolean,
  maskText = (t: string) => t.replace(/\S+@\S+\.\w+/g, '<EMAIL_ADDRESS>'),
) {
  return { forColumns: () => ({}) as never, maskText, hasColumnRules } satisfies ResultMasker;
}

test('content recognizers mask the free-text fields; SQLSTATE and identifiers stay', () => {
  const m = maskErrorOrNotice(
    error([
      ['S', 'ERROR'],
      ['C', 'P0001'],
      ['M', 'contact ana@example.com'],
      ['D', 'from bob@example.org'],
      ['t', 'users'],
    ]),
    masker(false),
  );
  expect(m.message).toBe('contact <EMAIL_ADDRESS>');
  expect(m.replacement!.toString('latin1')).toContain('from <EMAIL_ADDRESS>');
  expect(m.replacement!.toString('latin1')).toContain('tusers\0');
  expect(m.replacement!.toString('latin1')).toContain('CP0001\0');
});

test("with column rules, a data exception's quoted input and an integrity violation's key values are blanked", () => {
  const cast = maskErrorOrNotice(
    error([
      ['C', '22P02'],
      ['M', 'invalid input syntax for type integer: "hunter""2"'],
    ]),
    masker(true),
  );
  expect(cast.message).toBe('invalid input syntax for type integer: "<MASKED>"');
  const dup = maskErrorOrNotice(
    error([
      ['C', '23505'],
      ['M', 'duplicate key value violates unique constraint "u_pw"'],
      ['D', 'Key (password, lower(code))=(hunter2, (x)) already exists.'],
    ]),
    masker(true),
  );
  expect(dup.message).toBe('duplicate key value violates unique constraint "u_pw"');
  expect(dup.replacement!.toString('latin1')).toContain(
    'Key (password, lower(code))=(<MASKED>) already exists.',
  );
  // without column rules the words are left to the recognizers
  expect(
    maskErrorOrNotice(
      error([
        ['C', '22P02'],
        ['M', 'x: "hunter2"'],
      ]),
      masker(false),
    ).replacement,
  ).toBeNull();
});

test('a masker that throws withholds the words, keeping severity and SQLSTATE', () => {
  const m = maskErrorOrNotice(
    error([
      ['S', 'ERROR'],
      ['C', '22P02'],
      ['M', 'boom'],
    ]),
    masker(false, () => {
      throw new Error('recognizer crashed');
    }),
  );
  expect(m.message).toBe(WITHHELD);
  const text = m.replacement!.toString('latin1');
  expect(text).toContain('SERROR\0');
  expect(text).toContain('C22P02\0');
  expect(text).not.toContain('boom');
});
