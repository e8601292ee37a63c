import type { MaskingRule } from '../../api/types.js';
import { isAgentgateError } from '../../common/errors.js';
import { MaskCounts } from './counts.js';
import { type ColumnInfo, ColumnPlan, compileMasking, type Masker } from './masker.js';

const key = new Uint8Array(32).fill(7);

function masker(rules: MaskingRule[], target?: string): Masker {
  const m = compileMasking(rules, { hashKey: key, target });
  if (m === null) throw new Error('expected a masker');
  return m;
}

const text = (name: string, table?: string): ColumnInfo => ({ name, table, textual: true });

describe('compileMasking', () => {
  test('returns null when no rule applies, so a protocol picks a no-op once', () => {
    expect(compileMasking([], { hashKey: key })).toBeNull();
    expect(
      compileMasking([{ target: 'other', entities: ['EMAIL_ADDRESS'] }], { hashKey: key, target: 'db' }),
    ).toBeNull();
  });

  test('a rule naming no entity and no column covers every entity', () => {
    const m = masker([{}]);
    expect(m.maskText('mail a.b@example.com, card 4111 1111 1111 1111')).toBe(
      'mail <EMAIL_ADDRESS>, card <CREDIT_CARD>',
    );
  });

  test('the first rule that names an entity sets its strategy', () => {
    const m = masker([
      { entities: ['EMAIL_ADDRESS'], strategy: 'partial' },
      { entities: ['EMAIL_ADDRESS', 'CREDIT_CARD'], strategy: 'redact' },
    ]);
    expect(m.maskText('a.b@example.com 4111111111111111')).toBe('***@example.com <CREDIT_CARD>');
  });
});

describe('strategies', () => {
  test('redact writes the entity name in angle brackets', () => {
    const rm = masker([{ entities: ['US_SSN'] }]).forColumns([text('note')]);
    expect(rm.mask(0, 'ssn 536-90-4399 on file')).toBe('ssn <US_SSN> on file');
  });

  test('partial keeps the last characters and the shape, never more than half', () => {
    const m = masker([{ entities: ['CREDIT_CARD', 'US_SSN'], strategy: 'partial' }]);
    expect(m.maskText('4111 1111 1111 1111')).toBe('**** **** **** 1111');
    expect(m.maskText('536-90-4399')).toBe('***-**-4399');
    const two = masker([{ entities: ['PASSWORD'], strategy: 'partial', keep: 10 }]);
    expect(two.maskText('password=abcd')).toBe('password=**cd');
  });

  test('partial keeps the domain of an e-mail unless keep is given', () => {
    expect(
      masker([{ entities: ['EMAIL_ADDRESS'], strategy: 'partial' }]).maskText('x jane@corp.example'),
    ).toBe('x ***@corp.example');
    expect(
      masker([{ entities: ['EMAIL_ADDRESS'], strategy: 'partial', keep: 3 }]).maskText('jane@corp.io'),
    ).toBe('****@***p.io');
  });

  test('hash is stable for one key, differs across keys, and never shows the value', () => {
    const rules: MaskingRule[] = [{ entities: ['EMAIL_ADDRESS'], strategy: 'hash' }];
    const a = masker(rules).maskText('jane@corp.example');
    const b = masker(rules).maskText('from jane@corp.example');
    expect(a).toMatch(/^<EMAIL_ADDRESS:[0-9a-f]{16}>$/);
    expect(b).toBe(`from ${a}`);
    const other = compileMasking(rules, { hashKey: new Uint8Array(32).fill(8) })!.maskText(
      'jane@corp.example',
    );
    expect(other).not.toBe(a);
    expect(a).not.toContain('jane');
  });

  test('null turns the whole value into SQL NULL in rows and redacts in free text', () => {
    const m = masker([{ entities: ['EMAIL_ADDRESS'], strategy: 'null' }]);
    expect(m.forColumns([text('c')]).mask(0, 'write to jane@corp.example')).toBeNull();
    expect(m.maskText('write to jane@corp.example')).toBe('write to <EMAIL_ADDRESS>');
  });
});

describe('column rules', () => {
  test('mask matching columns whole without reading them; others are scanned', () => {
    const m = masker([
      { columns: ['ssn', '*.card_number'], strategy: 'redact' },
      { entities: ['EMAIL_ADDRESS'] },
    ]);
    const rm = m.forColumns([text('ssn'), text('card_number', 'payments'), text('note'), text('id')]);
    expect([...rm.plans]).toEqual([ColumnPlan.Whole, ColumnPlan.Whole, ColumnPlan.Scan, ColumnPlan.Scan]);
    expect(rm.mask(0, 'anything at all')).toBe('<MASKED>');
    expect(rm.mask(1, '4111')).toBe('<MASKED>');
    expect(rm.mask(2, 'a@example.com')).toBe('<EMAIL_ADDRESS>');
    expect(rm.counts.toRecord()).toEqual({ 'column:ssn': 1, 'column:card_number': 1, EMAIL_ADDRESS: 1 });
  });

  test('a qualified rule matches its table, and any table the protocol cannot name', () => {
    const m = masker([{ columns: ['users.email'], strategy: 'null' }]);
    const rm = m.forColumns([
      text('email', 'users'),
      text('email', 'public.users'),
      text('email', 'orders'),
      text('email'),
    ]);
    expect([...rm.plans]).toEqual([ColumnPlan.Whole, ColumnPlan.Whole, ColumnPlan.Pass, ColumnPlan.Whole]);
    expect(rm.mask(0, 'x')).toBeNull();
  });

  test('a schema-qualified rule: its schema.table yes, the same table name in another schema no, unknown yes', () => {
    const m = masker([{ columns: ['public.users.email'] }, { entities: ['EMAIL_ADDRESS'] }]);
    const rm = m.forColumns([
      text('email', 'public.users'),
      text('EMAIL', 'Public.Users'),
      text('email', 'audit.users'),
      text('email', 'public.orders'),
      text('email'),
      text('email', ''),
      text('phone', 'public.users'),
    ]);
    // not the rule's table: only the content rules apply (Scan); unknown or empty table: masked whole
    expect([...rm.plans]).toEqual([
      ColumnPlan.Whole,
      ColumnPlan.Whole,
      ColumnPlan.Scan,
      ColumnPlan.Scan,
      ColumnPlan.Whole,
      ColumnPlan.Whole,
      ColumnPlan.Scan,
    ]);
    expect(rm.mask(0, 'ana@example.com')).toBe('<MASKED>');
    expect(rm.mask(2, 'ana@example.com')).toBe('<EMAIL_ADDRESS>');
  });

  test('a column rule naming one entity counts under that entity', () => {
    const rm = masker([{ columns: ['tax_id'], entities: ['US_SSN'] }]).forColumns([text('TAX_ID')]);
    expect(rm.mask(0, '536-90-4399')).toBe('<US_SSN>');
    expect(rm.counts.toRecord()).toEqual({ US_SSN: 1 });
  });

  test('DATE_OF_BIRTH and PASSWORD are found by column name, typed columns included', () => {
    const rm = masker([{ entities: ['DATE_OF_BIRTH', 'PASSWORD'] }]).forColumns([
      { name: 'date_of_birth', textual: false },
      text('password_hash'),
      text('password_changed_at'),
      { name: 'geburtsdatum', textual: false },
    ]);
    expect([...rm.plans]).toEqual([ColumnPlan.Whole, ColumnPlan.Whole, ColumnPlan.Scan, ColumnPlan.Whole]);
    expect(rm.mask(0, '1984-02-29')).toBe('<DATE_OF_BIRTH>');
    expect(rm.mask(1, '$2b$12$abc')).toBe('<PASSWORD>');
  });

  test('content recognizers skip columns that are not text', () => {
    const rm = masker([{ entities: ['CREDIT_CARD'] }]).forColumns([{ name: 'n', textual: false }, text('t')]);
    expect(rm.active).toBe(true);
    expect(rm.mask(0, '4111111111111111')).toBe('4111111111111111');
    expect(rm.mask(1, '4111111111111111')).toBe('<CREDIT_CARD>');
    const idle = masker([{ entities: ['CREDIT_CARD'] }]).forColumns([{ name: 'n', textual: false }]);
    expect(idle.active).toBe(false);
  });

  test('the column name lends context to weak patterns', () => {
    const rm = masker([{ entities: ['US_SSN', 'PHONE_NUMBER'] }]).forColumns([
      text('ssn_plain'),
      text('mobile'),
      text('ref'),
    ]);
    expect(rm.mask(0, '536904399')).toBe('<US_SSN>');
    expect(rm.mask(1, '4155552671')).toBe('<PHONE_NUMBER>');
    expect(rm.mask(2, '536904399')).toBe('536904399');
  });
});

describe('RowMasker', () => {
  test('returns the very same string when nothing is found', () => {
    const rm = masker([{}]).forColumns([text('c')]);
    const v = 'plain text, order 12345, 2023-11-26';
    expect(rm.mask(0, v)).toBe(v);
    expect(rm.counts.total).toBe(0);
  });

  test('counts every finding per entity into a shared per-command counter', () => {
    const counts = new MaskCounts();
    const m = masker([{}]);
    const a = m.forColumns([text('c')], counts);
    const b = m.forColumns([text('d')], counts);
    a.mask(0, 'x@example.com y@example.com');
    b.mask(0, '4111111111111111');
    expect(counts.toRecord()).toEqual({ EMAIL_ADDRESS: 2, CREDIT_CARD: 1 });
    counts.reset();
    expect(counts.toRecord()).toEqual({});
  });

  test('fails closed with AG_ERR_MASKING_FAILED and no value in the message', () => {
    const rm = masker([{}]).forColumns([text('secret_col')]);
    let err: unknown;
    try {
      rm.mask(0, { toString: () => 'jane@corp.example' } as unknown as string);
    } catch (e) {
      err = e;
    }
    expect(isAgentgateError(err) && err.code).toBe('AG_ERR_MASKING_FAILED');
    expect(String((err as Error).message)).not.toContain('jane');
    expect(() => rm.mask(5, 'x')).toThrow(/masking failed/);
  });
});
