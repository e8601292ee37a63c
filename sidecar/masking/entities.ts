// Entity numbers for the hot path: findings are stored as small integers in
// typed arrays, and policies as bit masks over them. The order is that of
// ENTITIES in api/types.ts (a test keeps the two in step).

import { ENTITIES, type Entity } from '../../api/types.js';

// Plain enums, not const: under isolatedModules a const enum from another module is emitted as an
// object all the same, and the hot modules keep a local constant of it (see scanner.ts).
export enum E {
  EMAIL_ADDRESS = 0,
  PHONE_NUMBER = 1,
  CREDIT_CARD = 2,
  IBAN_CODE = 3,
  US_SSN = 4,
  IP_ADDRESS = 5,
  MAC_ADDRESS = 6,
  URL = 7,
  CRYPTO = 8,
  DATE_OF_BIRTH = 9,
  UK_NHS = 10,
  UK_NINO = 11,
  JWT = 12,
  AWS_ACCESS_KEY = 13,
  GITHUB_TOKEN = 14,
  SLACK_TOKEN = 15,
  PRIVATE_KEY = 16,
  PASSWORD = 17,
}

export const ENTITY_COUNT = ENTITIES.length;
export const ALL_ENTITIES_MASK = (1 << ENTITY_COUNT) - 1;

export function entityIndex(name: Entity): number {
  return ENTITIES.indexOf(name);
}

export function entityName(index: number): Entity {
  const name = ENTITIES[index];
  if (name === undefined) throw new RangeError(`no entity ${index}`);
  return name;
}

/** Entities found by reading values. DATE_OF_BIRTH is found by column name only. */
export const CONTENT_ENTITIES_MASK = ALL_ENTITIES_MASK & ~(1 << E.DATE_OF_BIRTH);

/** Context hints that let a weak pattern (a bare 9- or 10-digit number) count. */
export enum Ctx {
  SSN = 1,
  NHS = 2,
  PHONE = 4,
}
