import { ENTITIES } from '../../api/types.js';
import { E, entityIndex, entityName } from './entities.js';

test('entity numbers follow the order of ENTITIES in api/types.ts', () => {
  const numbered: Record<string, number> = {
    EMAIL_ADDRESS: E.EMAIL_ADDRESS,
    PHONE_NUMBER: E.PHONE_NUMBER,
    CREDIT_CARD: E.CREDIT_CARD,
    IBAN_CODE: E.IBAN_CODE,
    US_SSN: E.US_SSN,
    IP_ADDRESS: E.IP_ADDRESS,
    MAC_ADDRESS: E.MAC_ADDRESS,
    URL: E.URL,
    CRYPTO: E.CRYPTO,
    DATE_OF_BIRTH: E.DATE_OF_BIRTH,
    UK_NHS: E.UK_NHS,
    UK_NINO: E.UK_NINO,
    JWT: E.JWT,
    AWS_ACCESS_KEY: E.AWS_ACCESS_KEY,
    GITHUB_TOKEN: E.GITHUB_TOKEN,
    SLACK_TOKEN: E.SLACK_TOKEN,
    PRIVATE_KEY: E.PRIVATE_KEY,
    PASSWORD: E.PASSWORD,
  };
  expect(Object.keys(numbered)).toEqual([...ENTITIES]);
  for (const name of ENTITIES) {
    expect(entityIndex(name)).toBe(numbered[name]);
    expect(entityName(numbered[name]!)).toBe(name);
  }
});
