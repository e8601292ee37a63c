import { found } from './test-helpers.js';

describe('credit cards', () => {
  test('finds Luhn-valid cards in plain, spaced and dashed form', () => {
    expect(found('visa 4111111111111111 ok')).toEqual([['CREDIT_CARD', '4111111111111111']]);
    expect(found('4111 1111 1111 1111')).toEqual([['CREDIT_CARD', '4111 1111 1111 1111']]);
    expect(found('mc: 5500-0000-0000-0004.')).toEqual([['CREDIT_CARD', '5500-0000-0000-0004']]);
    expect(found('amex 3782 822463 10005')).toEqual([['CREDIT_CARD', '3782 822463 10005']]);
  });

  test('ignores a card number with a broken checksum', () => {
    expect(found('4111 1111 1111 1112')).toEqual([]);
  });

  test('ignores Luhn-valid numbers outside every issuer range', () => {
    expect(found('tracking 1234567812345670')).toEqual([]);
  });

  test('ignores mixed separators, digits glued to letters and decimal fractions', () => {
    expect(found('4111-1111 1111-1111')).toEqual([]);
    expect(found('x4111111111111111')).toEqual([]);
    expect(found('4111111111111111kg')).toEqual([]);
    expect(found('pi 0.4111111111111111')).toEqual([]);
  });

  test('finds the card after a leading unrelated group', () => {
    expect(found('12 4111 1111 1111 1111')).toEqual([['CREDIT_CARD', '4111 1111 1111 1111']]);
  });
});

describe('US SSN', () => {
  test('finds dashed, spaced and dotted SSNs with valid area, group and serial', () => {
    expect(found('ssn: 536-90-4399')).toEqual([['US_SSN', '536-90-4399']]);
    expect(found('536 90 4399')).toEqual([['US_SSN', '536 90 4399']]);
    expect(found('536.90.4399')).toEqual([['US_SSN', '536.90.4399']]);
  });

  test('rejects never-issued numbers and the specimens', () => {
    for (const s of [
      '000-12-3456',
      '666-12-3456',
      '912-34-5678',
      '536-00-4399',
      '536-90-0000',
      '078-05-1120',
    ]) {
      expect(found(s)).toEqual([]);
    }
  });

  test('a bare 9-digit number counts only with an SSN context', () => {
    expect(found('customer id 536904399')).toEqual([]);
    expect(found('SSN 536904399')).toEqual([['US_SSN', '536904399']]);
    expect(found('536904399', undefined, 'ssn')).toEqual([['US_SSN', '536904399']]);
  });

  test('mismatched delimiters are no SSN', () => {
    expect(found('536-90 4399')).toEqual([]);
  });
});

describe('UK NHS numbers', () => {
  test('finds space-grouped numbers with a valid mod 11 check digit', () => {
    expect(found('NHS no 943 476 5919')).toEqual([['UK_NHS', '943 476 5919']]);
    expect(found('patient 943 476 5919')).toEqual([['UK_NHS', '943 476 5919']]);
  });

  test('rejects a wrong check digit', () => {
    expect(found('943 476 5918', ['UK_NHS'])).toEqual([]);
    // the same digits still read as a North American phone number
    expect(found('943 476 5918')).toEqual([['PHONE_NUMBER', '943 476 5918']]);
  });

  test('a bare 10-digit run counts only with an NHS context', () => {
    expect(found('order 9434765919')).toEqual([]);
    expect(found('nhs: 9434765919')).toEqual([['UK_NHS', '9434765919']]);
    expect(found('9434765919', undefined, 'nhs_number')).toEqual([['UK_NHS', '9434765919']]);
  });
});

describe('phone numbers', () => {
  test('finds international numbers from the plus sign', () => {
    expect(found('+44 20 7946 0958')).toEqual([['PHONE_NUMBER', '+44 20 7946 0958']]);
    expect(found('tel:+14155552671')).toEqual([['PHONE_NUMBER', '+14155552671']]);
    expect(found('+49 (0)30 1234 5678')).toEqual([['PHONE_NUMBER', '+49 (0)30 1234 5678']]);
    expect(found('+33 1 23 45 67 89')).toEqual([['PHONE_NUMBER', '+33 1 23 45 67 89']]);
    expect(found('+81-3-1234-5678')).toEqual([['PHONE_NUMBER', '+81-3-1234-5678']]);
  });

  test('finds North American numbers with valid area and exchange codes', () => {
    expect(found('415-555-2671')).toEqual([['PHONE_NUMBER', '415-555-2671']]);
    expect(found('(415) 555-2671')).toEqual([['PHONE_NUMBER', '(415) 555-2671']]);
    expect(found('415.555.2671')).toEqual([['PHONE_NUMBER', '415.555.2671']]);
    expect(found('1-415-555-2671')).toEqual([['PHONE_NUMBER', '1-415-555-2671']]);
    expect(found('123-456-7890')).toEqual([]); // area codes never start with 1
  });

  test('finds national numbers with a trunk zero', () => {
    expect(found('020 7946 0958')).toEqual([['PHONE_NUMBER', '020 7946 0958']]);
    expect(found('01 23 45 67 89')).toEqual([['PHONE_NUMBER', '01 23 45 67 89']]);
    expect(found('03-1234-5678')).toEqual([['PHONE_NUMBER', '03-1234-5678']]);
    expect(found('0044 20 7946 0958')).toEqual([['PHONE_NUMBER', '0044 20 7946 0958']]);
  });

  test('ignores timestamps, dates, versions, amounts and bare order numbers', () => {
    for (const s of [
      '2023-11-26 12:47:08',
      '26.11.2023',
      '12/05/2023',
      'v2.14.3',
      'EUR 1,234,567.89',
      'order 4155552671',
      'hotel 4155552671',
      '+1.5',
      '0.1234567890',
    ]) {
      expect([s, found(s)]).toEqual([s, []]);
    }
  });

  test('a bare digit run counts with a phone context word or column', () => {
    expect(found('mobile: 4155552671')).toEqual([['PHONE_NUMBER', '4155552671']]);
    expect(found('4155552671', undefined, 'phone')).toEqual([['PHONE_NUMBER', '4155552671']]);
  });
});

describe('IPv4', () => {
  test('finds dotted quads up to 255', () => {
    expect(found('from 10.0.0.1:5432')).toEqual([['IP_ADDRESS', '10.0.0.1']]);
    expect(found('192.168.001.020')).toEqual([['IP_ADDRESS', '192.168.001.020']]);
  });

  test('ignores parts over 255, five-part OIDs and versions glued to a letter', () => {
    expect(found('256.1.1.1')).toEqual([]);
    expect(found('1.3.6.1.4.1.311')).toEqual([]);
    expect(found('v1.2.3.4')).toEqual([]);
    expect(found('1.2.3')).toEqual([]);
  });
});

describe('formats added after the corpus evaluation', () => {
  test('German slash numbers and Indian mobiles are phone numbers', () => {
    expect(found('Tel 030/12345678')).toEqual([['PHONE_NUMBER', '030/12345678']]);
    expect(found('98765 43210')).toEqual([['PHONE_NUMBER', '98765 43210']]);
    expect(found('12/05/2023')).toEqual([]);
  });

  test('a dotted quad after a version word is a version', () => {
    expect(found('version 4.2.1.0')).toEqual([]);
    expect(found('build 10.0.1.3')).toEqual([]);
    expect(found('host 10.0.1.3')).toEqual([['IP_ADDRESS', '10.0.1.3']]);
  });
});

describe('found by real-world checks after the first corpus runs', () => {
  test('an IPv4 address followed by a prefix length, a range, a port or another number', () => {
    expect(found('net 10.0.0.0/8 ok')).toEqual([['IP_ADDRESS', '10.0.0.0']]);
    expect(found('10.1.2.3-10.1.2.9')).toEqual([
      ['IP_ADDRESS', '10.1.2.3'],
      ['IP_ADDRESS', '10.1.2.9'],
    ]);
    expect(found('GET / 10.0.0.1 200 5123')).toEqual([['IP_ADDRESS', '10.0.0.1']]);
  });

  test('a context word counts for the next number only', () => {
    expect(found('tel. 555-2671')).toEqual([['PHONE_NUMBER', '555-2671']]);
    expect(found('"phone":"+44 20 7946 0958","order":"4155552671"')).toEqual([
      ['PHONE_NUMBER', '+44 20 7946 0958'],
    ]);
    expect(found('SSN 536-90-4399, employee 536904399')).toEqual([['US_SSN', '536-90-4399']]);
  });
});
