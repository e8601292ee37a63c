// Things that look like personal data and are not: the near-misses the
// corpus mixes in, so precision is measured against what databases hold.

import type { Rng } from './rng.js';
import { ASCII_FIRST, B58, UPPER } from './values.js';

export function nearMiss(r: Rng): string {
  switch (r.int(0, 31)) {
    case 25:
      return `version ${r.int(1, 9)}.${r.int(0, 9)}.${r.int(0, 9)}.${r.int(0, 9)}`; // reads as an IPv4 address
    case 26:
      return `35${r.digits(13)}`; // IMEI: Luhn-valid in real life, no card issuer range
    case 27:
      return `Ref. ${r.int(1, 9)}${r.digits(2)} ${r.digits(3)} ${r.digits(4)}`; // 3-3-4 grouped reference
    case 28:
      return `1${r.chars(B58, 33)}`; // base58-looking id with no valid checksum
    case 29:
      return `bc1q${r.chars('qpzry9x8gf2tvdw0s3jn54khce6mua7l', 38)}`; // bech32-looking, bad checksum
    case 30:
      return `${r.int(2019, 2025)}.${String(r.int(1, 12)).padStart(2, '0')}.${String(r.int(1, 28)).padStart(2, '0')}`;
    case 31:
      return `${r.digits(4)} ${r.digits(4)} ${r.digits(4)} ${r.digits(4)}`; // a grouped voucher code
    case 0:
      return `ORD-${r.int(2019, 2025)}-${r.digits(6)}`;
    case 1:
      return r.digits(16); // an order number: most fail Luhn, a few pass and are counted as false positives
    case 2:
      return r.digits(9); // a 9-digit id
    case 3:
      return `v${r.int(0, 12)}.${r.int(0, 40)}.${r.int(0, 99)}`;
    case 4:
      return `${r.int(2019, 2025)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}T${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}Z`;
    case 5:
      return `${r.int(2019, 2025)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')} ${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}.${r.digits(6)}`;
    case 6:
      return `${String(r.int(1, 28)).padStart(2, '0')}/${String(r.int(1, 12)).padStart(2, '0')}/${r.int(1950, 2025)}`;
    case 7:
      return `€${r.int(1, 999)}.${r.digits(3)},${r.digits(2)}`;
    case 8:
      return `$${r.int(1, 99)},${r.digits(3)},${r.digits(3)}.${r.digits(2)}`;
    case 9:
      return [8, 4, 4, 4, 12].map((n) => r.chars('0123456789abcdef', n)).join('-');
    case 10:
      return r.chars('0123456789abcdef', r.pick([40, 64]));
    case 11:
      return `1Z${r.chars('0123456789ABCDEFGHJKLMNPRSTUVWXYZ', 16)}`; // UPS tracking
    case 12:
      return `978-${r.int(0, 9)}-${r.digits(2)}-${r.digits(6)}-${r.int(0, 9)}`; // ISBN-13
    case 13:
      return `${r.int(-89, 89)}.${r.digits(4)}, ${r.int(-179, 179)}.${r.digits(4)}`;
    case 14:
      return `SKU-${r.chars(UPPER, 2)}${r.digits(2)}-${r.digits(4)}`;
    case 15:
      return `${String(r.int(0, 23)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}`;
    case 16:
      return `INV/${r.int(2019, 2025)}/${r.digits(6)}`;
    case 17:
      return r.digits(10); // a 10-digit order number
    case 18:
      return `${r.digits(5)}-${r.digits(4)}`; // ZIP+4
    case 19:
      return `${r.pick(['SW1A', 'EC1A', 'W1A', 'M1'])} ${r.int(1, 9)}${r.chars('ABDEFGHJLNPQRSTUWXYZ', 2)}`;
    case 20:
      return `@${r.pick(ASCII_FIRST)}`;
    case 21:
      return `${r.pick(['icon', 'logo', 'hero'])}@2x.png`;
    case 22:
      return `${r.pick(ASCII_FIRST)}@localhost`;
    case 23:
      return `build ${r.int(1, 30)}.${r.int(0, 9)}.${r.int(0, 9)}.${r.digits(4)}`;
    default:
      return `${r.digits(3)}-${r.digits(3)}-${r.digits(3)}`; // a 9-digit reference, grouped 3-3-3
  }
}
