// The client half of SCRAM-SHA-256 (RFC 5802, RFC 7677) as PostgreSQL speaks
// it: no channel binding, the user name left empty (the server takes it from
// the startup packet). The salted password is cached per (password, salt,
// iterations): PBKDF2 costs milliseconds and a pool reconnects often.

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { agError } from '../../../common/errors.js';

const pbkdf2Async = promisify(pbkdf2);
const saltedCache = new Map<string, Buffer>();
const MAX_CACHE = 64;

export const SCRAM_SHA_256 = 'SCRAM-SHA-256';

export class ScramClient {
  private readonly nonce: string;
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | null = null;

  constructor(private readonly password: string) {
    this.nonce = randomBytes(18).toString('base64');
    this.clientFirstBare = `n=,r=${this.nonce}`;
  }

  /** SASLInitialResponse data. */
  clientFirst(): Buffer {
    return Buffer.from(`n,,${this.clientFirstBare}`);
  }

  /** Answers the server-first-message with the client-final-message. */
  async clientFinal(serverFirst: Buffer): Promise<Buffer> {
    const text = serverFirst.toString('utf8');
    const attrs = parseAttributes(text);
    const r = attrs.get('r');
    const s = attrs.get('s');
    const i = Number(attrs.get('i'));
    if (r === undefined || s === undefined || !Number.isInteger(i) || i < 1) {
      throw agError('AG_ERR_PROTOCOL_MALFORMED', 'SCRAM server-first-message');
    }
    if (!r.startsWith(this.nonce) || r.length === this.nonce.length) {
      throw agError('AG_ERR_PROTOCOL_MALFORMED', 'SCRAM server nonce does not extend ours');
    }
    const salt = Buffer.from(s, 'base64');
    const salted = await saltedPassword(this.password, salt, i);
    const clientFinalWithoutProof = `c=biws,r=${r}`;
    const authMessage = `${this.clientFirstBare},${text},${clientFinalWithoutProof}`;
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash('sha256').update(clientKey).digest();
    const clientSignature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let k = 0; k < proof.length; k++) proof[k] = clientKey[k]! ^ clientSignature[k]!;
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    return Buffer.from(`${clientFinalWithoutProof},p=${proof.toString('base64')}`);
  }

  /** Verifies the server-final-message: the server proves it knew the password too. */
  verifyServerFinal(serverFinal: Buffer): void {
    const v = parseAttributes(serverFinal.toString('utf8')).get('v');
    const expected = this.serverSignature;
    const got = v === undefined ? Buffer.alloc(0) : Buffer.from(v, 'base64');
    if (expected === null || got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw agError('AG_ERR_PROTOCOL_MALFORMED', 'SCRAM server signature does not match');
    }
  }
}

function hmac(key: Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function parseAttributes(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) m.set(part[0]!, part.slice(2));
  }
  return m;
}

async function saltedPassword(password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  const key = createHash('sha256')
    .update(password)
    .update('\0')
    .update(salt)
    .update(`\0${iterations}`)
    .digest('hex');
  const hit = saltedCache.get(key);
  if (hit !== undefined) return hit;
  // SASLprep is skipped: PostgreSQL itself falls back to the raw bytes for
  // passwords it cannot normalize, and ASCII passwords normalize to themselves.
  const salted = await pbkdf2Async(password.normalize('NFKC'), salt, iterations, 32, 'sha256');
  if (saltedCache.size >= MAX_CACHE) saltedCache.delete(saltedCache.keys().next().value!);
  saltedCache.set(key, salted);
  return salted;
}

/** PostgreSQL's md5 password response: "md5" + md5(md5(password + user) + salt). */
export function md5Password(user: string, password: string, salt: Buffer): string {
  const inner = createHash('md5').update(password).update(user).digest('hex');
  return `md5${createHash('md5').update(inner).update(salt).digest('hex')}`;
}
