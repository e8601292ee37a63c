import { afterVersionWord, textContext } from './context.js';
import { Ctx } from './entities.js';

const at = (s: string): number => s.indexOf('1.2.3.4');

describe('version words before a dotted quad', () => {
  test('read version, ver, ver., build, release, rev and v in any case, with : or = between', () => {
    for (const before of [
      'version ',
      'VER ',
      'ver.',
      'Build: ',
      'release=',
      'rev ',
      'v',
      'V ',
      'build\t=\t',
    ]) {
      expect([before, afterVersionWord(`${before}1.2.3.4`, at(`${before}1.2.3.4`))]).toEqual([before, true]);
    }
  });

  test('count Unicode white space as the regular expression \\s does, zero-width space not', () => {
    expect(afterVersionWord('build\u00a01.2.3.4', 6)).toBe(true);
    expect(afterVersionWord('build\u30001.2.3.4', 6)).toBe(true);
    expect(afterVersionWord('build\u200b1.2.3.4', 6)).toBe(false);
  });

  test('ignore other words, a word outside the 10 characters before, and the start of the text', () => {
    expect(afterVersionWord('host 1.2.3.4', 5)).toBe(false);
    expect(afterVersionWord('buil 1.2.3.4', 5)).toBe(false);
    expect(afterVersionWord('version:        1.2.3.4', 16)).toBe(false);
    expect(afterVersionWord('1.2.3.4', 0)).toBe(false);
    expect(afterVersionWord('version :: 1.2.3.4', 11)).toBe(false);
  });
});

describe('context words before a number', () => {
  test('lend their hint in any case, back to the previous number only', () => {
    expect(textContext('Phone: 4155552671', 7)).toBe(Ctx.PHONE);
    expect(textContext('SSN 536904399', 4)).toBe(Ctx.SSN);
    expect(textContext('WhatsApp or TELEPHONE 4155552671', 22)).toBe(Ctx.PHONE);
    expect(textContext('nhs no. 9434765919', 8)).toBe(Ctx.NHS);
    expect(textContext('phone 12 then 4155552671', 14)).toBe(0);
    expect(textContext('phones 4155552671', 7)).toBe(0);
  });
});
