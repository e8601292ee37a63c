// What replaces a finding: `<ENTITY>` (redact), the last characters or an
// e-mail's domain (partial), a keyed HMAC that stays the same for the same
// value under one policy (hash), or SQL NULL for the whole value (null).
// A treatment is built once per rule; applying it allocates only the output.

import { createHmac } from 'node:crypto';
import type { MaskingStrategy } from '../../api/types.js';

export const DEFAULT_KEEP = 4;
/** Hex digits of the HMAC shown: 64 bits, enough that distinct values in a result never collide in practice. */
const HASH_HEX = 16;

export class Treatment {
  readonly strategy: MaskingStrategy;
  /** Entity name, or MASKED for a column rule that names none. */
  readonly label: string;
  readonly token: string;
  /** `keep` as the rule gave it; undefined lets partial keep an e-mail's domain. */
  readonly keep: number | undefined;
  private readonly key: Uint8Array;

  constructor(strategy: MaskingStrategy, label: string, keep: number | undefined, key: Uint8Array) {
    this.strategy = strategy;
    this.label = label;
    this.token = `<${label}>`;
    this.keep = keep;
    this.key = key;
  }

  /** The replacement for `s[start, end)`. `null` strategy callers handle themselves. */
  apply(s: string, start: number, end: number): string {
    switch (this.strategy) {
      case 'partial':
        return this.partial(s, start, end);
      case 'hash':
        return `<${this.label}:${createHmac('sha256', this.key).update(s.slice(start, end)).digest('hex').slice(0, HASH_HEX)}>`;
      default:
        return this.token;
    }
  }

  private partial(s: string, start: number, end: number): string {
    if (this.keep === undefined && this.label === 'EMAIL_ADDRESS') {
      const at = s.lastIndexOf('@', end - 1);
      if (at > start) return `***${s.slice(at, end)}`;
    }
    // Every letter and digit becomes '*' but the last `keep`, and never more
    // than half of them stay visible; separators keep the shape (**** **** **** 1111).
    let alnum = 0;
    for (let i = start; i < end; i++) if (isAlnum(s.charCodeAt(i))) alnum++;
    let visible = Math.min(this.keep ?? DEFAULT_KEEP, Math.floor(alnum / 2));
    let out = '';
    let hidden = alnum - visible;
    for (let i = start; i < end; i++) {
      const c = s.charCodeAt(i);
      if (!isAlnum(c)) out += s[i];
      else if (hidden > 0) {
        out += '*';
        hidden--;
      } else {
        out += s[i];
        visible--;
      }
    }
    return out;
  }
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c >= 128;
}
