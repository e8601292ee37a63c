// Lines as they come out of real tables and logs, each with what must be
// found. Several of these were misses once: they stay here as regressions.

import { found } from './test-helpers.js';

const CASES: [string, [string, string][]][] = [
  [
    '203.0.113.7 - - [26/Nov/2026:12:47:08 +0000] "GET /api/users?email=ana%40example.com HTTP/1.1" 200 512',
    [
      ['IP_ADDRESS', '203.0.113.7'],
      ['EMAIL_ADDRESS', 'ana%40example.com'],
    ],
  ],
  [
    'ana@example.com,+1 (415) 555-2671,4111-1111-1111-1111,1984-02-29',
    [
      ['EMAIL_ADDRESS', 'ana@example.com'],
      ['PHONE_NUMBER', '+1 (415) 555-2671'],
      ['CREDIT_CARD', '4111-1111-1111-1111'],
    ],
  ],
  [
    '{"ssn":"536904399","card":"4111111111111111","phone":"4155552671"}',
    [
      ['US_SSN', '536904399'],
      ['CREDIT_CARD', '4111111111111111'],
      ['PHONE_NUMBER', '4155552671'],
    ],
  ],
  ['EUR 1,234,567.89 paid, 4,111 items', []],
  [
    'Call me at 415 555 2671 or 415.555.2672',
    [
      ['PHONE_NUMBER', '415 555 2671'],
      ['PHONE_NUMBER', '415.555.2672'],
    ],
  ],
  ['IBAN:DE89370400440532013000;BIC:COBADEFFXXX', [['IBAN_CODE', 'DE89370400440532013000']]],
  ['Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l', [['PASSWORD', 'YWxhZGRpbjpvcGVuc2VzYW1l']]],
  [
    'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
    [['PASSWORD', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']],
  ],
  ['token: 8f14e45fceea167a5a36dedd4bea2543', [['PASSWORD', '8f14e45fceea167a5a36dedd4bea2543']]],
  ['redis://:s3cret@cache:6379/0', [['URL', 'redis://:s3cret@cache:6379/0']]],
  ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 user@host', []],
  ['Version: 3.6.7.2 installed, build=10.0.19045.3693', []],
];

test.each(CASES)('%s', (line, expected) => {
  expect(found(line)).toEqual(expected);
});

test.each([
  ["o'brien@example.com", [['EMAIL_ADDRESS', "o'brien@example.com"]]],
  ["'ana@example.com'", [['EMAIL_ADDRESS', 'ana@example.com']]],
  ['(+44) 20 7946 0958', [['PHONE_NUMBER', '(+44) 20 7946 0958']]],
  ['415-555-2671x123', [['PHONE_NUMBER', '415-555-2671']]],
] as [string, [string, string][]][])('format %s', (line, expected) => {
  expect(found(line)).toEqual(expected);
});
