import { found } from './test-helpers.js';

describe('e-mail addresses', () => {
  test('finds addresses with dots, plus tags and subdomains', () => {
    expect(found('mail john.doe+news@mail.example.co.uk.')).toEqual([
      ['EMAIL_ADDRESS', 'john.doe+news@mail.example.co.uk'],
    ]);
    expect(found('<a href="mailto:ana_maria@correo.es">')).toEqual([
      ['EMAIL_ADDRESS', 'ana_maria@correo.es'],
    ]);
    expect(found('連絡先:yamada@example.jp まで')).toEqual([['EMAIL_ADDRESS', 'yamada@example.jp']]);
  });

  test('ignores handles, hosts without a TLD and retina image names', () => {
    expect(found('ping @alice on slack')).toEqual([]);
    expect(found('root@localhost')).toEqual([]);
    expect(found('icon@2x.png')).toEqual([]);
    expect(found('a@b.c')).toEqual([]);
    expect(found('user@-bad.com')).toEqual([]);
  });
});

describe('URLs with credentials', () => {
  test('finds the whole URL when its authority carries user and password', () => {
    expect(found('dsn=postgres://app:s3cr3t@db.internal:5432/orders?sslmode=require end')).toEqual([
      ['URL', 'postgres://app:s3cr3t@db.internal:5432/orders?sslmode=require'],
    ]);
    expect(found('(see https://user:pw@example.com/x).')).toEqual([['URL', 'https://user:pw@example.com/x']]);
  });

  test('leaves URLs without credentials alone but still sees e-mail in them', () => {
    expect(found('https://example.com/a?b=c')).toEqual([]);
    expect(found('https://example.com/?to=bob@example.org')).toEqual([['EMAIL_ADDRESS', 'bob@example.org']]);
    expect(found('docs at https://x.io, write to ana@example.com')).toEqual([
      ['EMAIL_ADDRESS', 'ana@example.com'],
    ]);
  });

  test('reads at most 256 characters of userinfo, and not into an earlier finding', () => {
    const url = (user: string): string => `https://${user}:pw@db.example.com/x`;
    const long = url('u'.repeat(250)); // 253 characters from '://' to '@'
    expect(found(`see ${long}`)).toEqual([['URL', long]]);
    // one more and only the password before the '@' is masked, as an e-mail local part
    expect(found(`see ${url('u'.repeat(251))}`)).toEqual([['EMAIL_ADDRESS', 'pw@db.example.com']]);
    expect(found('ftp://a:b@h.io and z://:@q.io, http://@h.io')).toEqual([
      ['URL', 'ftp://a:b@h.io'],
      ['URL', 'z://:@q.io'],
    ]);
  });
});

describe('IPv6', () => {
  test('finds full, compressed and IPv4-embedded forms', () => {
    expect(found('2001:0db8:85a3:0000:0000:8a2e:0370:7334')).toEqual([
      ['IP_ADDRESS', '2001:0db8:85a3:0000:0000:8a2e:0370:7334'],
    ]);
    expect(found('via fe80::1ff:fe23:4567:890a on eth0')).toEqual([
      ['IP_ADDRESS', 'fe80::1ff:fe23:4567:890a'],
    ]);
    expect(found('lo ::1')).toEqual([['IP_ADDRESS', '::1']]);
    expect(found('::ffff:192.0.2.128')).toEqual([['IP_ADDRESS', '::ffff:192.0.2.128']]);
  });

  test('ignores clock times, scope operators and too many groups', () => {
    expect(found('12:30:45')).toEqual([]);
    expect(found('std::vector Foo::Bar')).toEqual([]);
    expect(found('1:2:3:4:5:6:7:8:9')).toEqual([]);
    expect(found('1::2::3')).toEqual([]);
  });
});

describe('MAC addresses', () => {
  test('finds colon, dash and Cisco dot forms', () => {
    expect(found('hw 00:1A:2B:3C:4D:5E')).toEqual([['MAC_ADDRESS', '00:1A:2B:3C:4D:5E']]);
    expect(found('00-1a-2b-3c-4d-5e')).toEqual([['MAC_ADDRESS', '00-1a-2b-3c-4d-5e']]);
    expect(found('001a.2b3c.4d5e')).toEqual([['MAC_ADDRESS', '001a.2b3c.4d5e']]);
  });

  test('ignores mixed separators, short forms and all-digit dotted quads', () => {
    expect(found('00:1A-2B:3C:4D:5E')).toEqual([]);
    expect(found('00:1A:2B:3C:4D')).toEqual([]);
    expect(found('1234.5678.9012')).toEqual([]);
  });
});
