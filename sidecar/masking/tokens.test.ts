import { found } from './test-helpers.js';

describe('IBAN', () => {
  test('finds electronic and paper forms with a valid mod 97 check', () => {
    expect(found('IBAN: DE89370400440532013000')).toEqual([['IBAN_CODE', 'DE89370400440532013000']]);
    expect(found('pay to DE89 3704 0044 0532 0130 00 today')).toEqual([
      ['IBAN_CODE', 'DE89 3704 0044 0532 0130 00'],
    ]);
    expect(found('GB82 WEST 1234 5698 7654 32 EUR')).toEqual([['IBAN_CODE', 'GB82 WEST 1234 5698 7654 32']]);
  });

  test('rejects a broken check, an unknown country and a wrong length', () => {
    expect(found('DE89370400440532013001')).toEqual([]);
    expect(found('QQ89370400440532013000')).toEqual([]);
    expect(found('DE8937040044053201300')).toEqual([]);
  });
});

describe('UK NINO', () => {
  test('finds compact and spaced forms', () => {
    expect(found('NI AB123456C')).toEqual([['UK_NINO', 'AB123456C']]);
    expect(found('AB 12 34 56 C')).toEqual([['UK_NINO', 'AB 12 34 56 C']]);
  });

  test('rejects prefixes never issued and suffixes beyond D', () => {
    for (const s of [
      'QQ123456C',
      'DA123456C',
      'AO123456C',
      'GB123456C',
      'AB123456E',
      'AB12345C',
      'AB123456',
    ]) {
      expect([s, found(s)]).toEqual([s, []]);
    }
  });
});

describe('secrets', () => {
  test('AWS access key ids by kind prefix and length', () => {
    expect(found('key=AKIAIOSFODNN7EXAMPLE;')).toEqual([['AWS_ACCESS_KEY', 'AKIAIOSFODNN7EXAMPLE']]);
    expect(found('ASIAY34FZKBOKMUTVV7A')).toEqual([['AWS_ACCESS_KEY', 'ASIAY34FZKBOKMUTVV7A']]);
    expect(found('AKIAIOSFODNN7EXAMPL')).toEqual([]);
    expect(found('ABCDIOSFODNN7EXAMPLE')).toEqual([]);
  });

  test('GitHub tokens', () => {
    const t = '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';
    expect(found(`export GH=${t}`)).toEqual([['GITHUB_TOKEN', t]]);
    const pat = `github_pat_11ABCDEFG0${'a'.repeat(20)}_${'b'.repeat(59)}`;
    expect(found(pat)).toEqual([['GITHUB_TOKEN', pat]]);
    expect(found('ghp_short')).toEqual([]);
    expect(found('ghx_wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx')).toEqual([]);
  });

  test('Slack tokens', () => {
    const t = 'xoxb-2048-4096-AbCdEfGhIjKlMnOpQrSt';
    expect(found(`token ${t}`)).toEqual([['SLACK_TOKEN', t]]);
    expect(found('xapp-1-A0123-456-abcdef0123')).toEqual([['SLACK_TOKEN', 'xapp-1-A0123-456-abcdef0123']]);
    expect(found('xoxz-1234567890-abc')).toEqual([]);
    expect(found('xoxb-')).toEqual([]);
  });

  test('JWTs whose header names an algorithm', () => {
    const t =
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
    expect(found(`Authorization: Bearer ${t}`)).toEqual([['JWT', t]]);
    const unsigned = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.';
    expect(found(unsigned)).toEqual([['JWT', unsigned]]);
    // base64 of {"foo":"bar"}: JSON, but no alg
    expect(found('eyJmb28iOiJiYXIifQ.eyJzdWIiOiJ4In0.abc')).toEqual([]);
  });

  test('the header is decoded in place as Buffer decodes base64url, whatever its length', () => {
    // cut anywhere, "alg" may straddle a 4-character group or fall in the unpadded tail
    for (const json of ['{"typ":"JWT","alg":"HS256"}', '{"x":"y","al":"g"}', '{"kid":"abc","alg"}']) {
      const full = Buffer.from(json).toString('base64url');
      for (let n = 10; n <= full.length; n++) {
        const header = full.slice(0, n);
        const token = `${header}.eyJzdWIiOiJ4In0.sig`;
        const named = Buffer.from(header, 'base64url').toString('latin1').includes('"alg"');
        expect([header, found(token)]).toEqual([header, named ? [['JWT', token]] : []]);
      }
    }
  });

  test('PEM private key blocks, whole, or to the end when cut short', () => {
    const key =
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';
    expect(found(`k=${key}\nrest`)).toEqual([['PRIVATE_KEY', key]]);
    expect(found('-----BEGIN PRIVATE KEY-----\nMIIEvQ')).toEqual([
      ['PRIVATE_KEY', '-----BEGIN PRIVATE KEY-----\nMIIEvQ'],
    ]);
    expect(found('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----')).toEqual([]);
  });

  test('values assigned to password-like keys', () => {
    expect(found('user=bob password=hunter2&x=1')).toEqual([['PASSWORD', 'hunter2']]);
    expect(found('{"Password": "c0rrect horse", "user": "x"}')).toEqual([['PASSWORD', 'c0rrect horse']]);
    expect(found('Server=db;Pwd=Sup3r;')).toEqual([['PASSWORD', 'Sup3r']]);
    expect(found('reset your password today')).toEqual([]);
    expect(found('password=')).toEqual([]);
    expect(found('if secret == expected')).toEqual([]);
    // keys compared in place, in any letter case; not a longer or shorter word
    expect(found('API_KEY: k3y-v4lue')).toEqual([['PASSWORD', 'k3y-v4lue']]);
    expect(found('Client_Secret="s3cr3t"')).toEqual([['PASSWORD', 's3cr3t']]);
    expect(found('passwords=plenty tokens=many')).toEqual([]);
    // a value a specific recognizer knows is left to it, quoted or not
    const gh = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
    expect(found(`token="${gh}"`)).toEqual([['GITHUB_TOKEN', gh]]);
    expect(found(`token=${gh}`)).toEqual([['GITHUB_TOKEN', gh]]);
    expect(found('token="AKIAIOSFODNN7EXAMPLE"')).toEqual([['AWS_ACCESS_KEY', 'AKIAIOSFODNN7EXAMPLE']]);
  });
});

describe('bitcoin addresses', () => {
  test('finds base58check and bech32 addresses', () => {
    expect(found('send to 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2')).toEqual([
      ['CRYPTO', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'],
    ]);
    expect(found('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy')).toEqual([
      ['CRYPTO', '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy'],
    ]);
    expect(found('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq')).toEqual([
      ['CRYPTO', 'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq'],
    ]);
  });

  test('rejects a changed character and look-alike hashes', () => {
    expect(found('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3')).toEqual([]);
    expect(found('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr')).toEqual([]);
    expect(found('3f786850e387550fdab836ed7e6dc881de23001b')).toEqual([]);
  });
});

test('a PEM label is upper-case words: text between BEGIN and the dashes is no key', () => {
  expect(found('-----BEGIN é https://x PRIVATE KEY-----\nabc')).toEqual([]);
  expect(found('-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc')).toEqual([
    ['PRIVATE_KEY', '-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc'],
  ]);
});
