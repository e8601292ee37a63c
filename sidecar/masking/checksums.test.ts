import {
  base58CheckValid,
  base58CheckValidAt,
  bech32Valid,
  bech32ValidAt,
  cardBrandValid,
  creditCardValid,
  ibanValid,
  ibanValidAt,
  luhnValid,
  nhsValid,
  ssnValid,
} from './checksums.js';

describe('checksums', () => {
  test('Luhn accepts the classic test card and rejects a one-digit change', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true);
  });

  test('card brands are bounded by issuer prefix and length', () => {
    expect(cardBrandValid('378282246310005')).toBe(true); // Amex 15
    expect(cardBrandValid('3782822463100050')).toBe(false); // Amex is never 16
    expect(cardBrandValid('2221000000000009')).toBe(true); // Mastercard 2-series
    expect(cardBrandValid('1234567812345670')).toBe(false); // no issuer starts with 1
    expect(creditCardValid('0000000000000000')).toBe(false);
    expect(creditCardValid('4444444444444448')).toBe(true);
  });

  test('SSN rejects never-issued areas, groups, serials and published specimens', () => {
    expect(ssnValid('536904399')).toBe(true);
    for (const bad of [
      '000123456',
      '666123456',
      '900123456',
      '536004399',
      '536900000',
      '078051120',
      '123456789',
    ]) {
      expect(ssnValid(bad)).toBe(false);
    }
    expect(ssnValid('111111111')).toBe(false);
  });

  test('NHS mod 11 accepts a valid number and rejects a transposition and check digit 10', () => {
    expect(nhsValid('9434765919')).toBe(true);
    expect(nhsValid('9434765991')).toBe(false);
    expect(nhsValid('4444444444')).toBe(false);
    // 000000001x: the check digit would be 10, which is never issued
    expect(nhsValid('0000000010')).toBe(false);
  });

  test('IBAN mod 97 with country lengths', () => {
    expect(ibanValid('DE89370400440532013000')).toBe(true);
    expect(ibanValid('DE89370400440532013001')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('XX82WEST12345698765432')).toBe(false);
  });

  test('bitcoin base58check accepts P2PKH and P2SH and rejects a changed character', () => {
    expect(base58CheckValid('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2')).toBe(true);
    expect(base58CheckValid('3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy')).toBe(true);
    expect(base58CheckValid('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3')).toBe(false);
    expect(base58CheckValid('1111111111111111111114oLvT2')).toBe(true); // the all-zero hash160
  });

  test('bech32 (v0) and bech32m (v1) checksums', () => {
    expect(bech32Valid('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq')).toBe(true);
    expect(bech32Valid('BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4')).toBe(true);
    expect(bech32Valid('bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0')).toBe(true);
    expect(bech32Valid('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr')).toBe(false);
    expect(bech32Valid('bc1Qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq')).toBe(false); // mixed case
  });
});

test('the compiled IBAN check agrees with ibantools on valid, mutated and random input', async () => {
  const { isValidIBAN, countrySpecs } = await import('ibantools');
  let seed = 42;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const codes = Object.keys(countrySpecs).filter((c) => countrySpecs[c]!.chars);
  const alnum = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  let agreed = 0;
  let valid = 0;
  for (let k = 0; k < 3000; k++) {
    const code = codes[rnd(codes.length)]!;
    const len = countrySpecs[code]!.chars!;
    let bban = '';
    for (let j = 0; j < len - 4; j++) bban += k % 2 === 0 ? String(rnd(10)) : alnum[rnd(36)];
    // the check digits that make mod 97 = 1
    const rearranged = `${bban}${code}00`.replace(/[A-Z]/g, (ch) => String(ch.charCodeAt(0) - 55));
    let rem = 0;
    for (const ch of rearranged) rem = (rem * 10 + Number(ch)) % 97;
    const good = `${code}${String(98 - rem).padStart(2, '0')}${bban}`;
    for (const candidate of [good, `${good.slice(0, -1)}${(Number(good.at(-1)) + 1) % 10}`]) {
      const expected = isValidIBAN(candidate);
      expect([candidate, ibanValid(candidate)]).toEqual([candidate, expected]);
      // read in place: paper form (groups of four), lower case, inside a longer value
      const paper = `ref: ${candidate.replace(/(.{4})(?=.)/g, '$1 ').toLowerCase()}.`;
      expect([paper, ibanValidAt(paper, 5, paper.length - 1)]).toEqual([paper, expected]);
      if (expected) valid++;
      agreed++;
    }
  }
  expect(agreed).toBe(6000);
  expect(valid).toBeGreaterThan(500);
});

test('base58check and bech32 read in place agree with the string forms', () => {
  for (const addr of [
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
    '3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy',
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3',
    '1111111111111111111114oLvT2',
    '11BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2',
    '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN0', // 0 is not base58
  ]) {
    const text = `to 11${addr} ok`;
    expect([addr, base58CheckValidAt(text, 5, 5 + addr.length)]).toEqual([addr, base58CheckValid(addr)]);
  }
  for (const addr of [
    'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
    'BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4',
    'bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdr',
    'bc1Qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq',
  ]) {
    const text = `1 ${addr} 1`;
    expect([addr, bech32ValidAt(text, 2, 2 + addr.length)]).toEqual([addr, bech32Valid(addr)]);
  }
  expect(base58CheckValid('1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2')).toBe(true);
  expect(bech32Valid('bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq')).toBe(true);
});

test('base58check refuses an extra leading 1 (one more zero byte than 25 bytes hold)', () => {
  expect(base58CheckValid('11BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2')).toBe(false);
});
