// The labelled corpus: realistic rows (support notes, logs, JSON blobs,
// config lines, single-value columns) in several languages, with personal
// data and near-misses mixed in, and the exact span of every entity.
// `corpus.jsonl` is generated from this file with a fixed seed; the corpus
// test regenerates it and fails on a difference (UPDATE_GOLDEN=1 rewrites it).

import type { Entity } from '../../../api/types.js';
import { nearMiss } from './near-misses.js';
import { Rng } from './rng.js';
import * as v from './values.js';

export interface Span {
  readonly entity: Entity;
  readonly start: number;
  readonly end: number;
}

export interface CorpusRow {
  /** The column the value came from: its name is context, as on the wire. */
  readonly column: string;
  readonly text: string;
  readonly spans: readonly Span[];
}

type Slot = Entity | 'NAME' | 'NEAR' | 'NUM' | 'DATE';
type Part = string | Slot;

const VALUE: Partial<Record<Slot, (r: Rng) => string>> = {
  EMAIL_ADDRESS: v.email,
  PHONE_NUMBER: v.phone,
  CREDIT_CARD: v.card,
  IBAN_CODE: v.iban,
  US_SSN: v.ssn,
  IP_ADDRESS: (r) => (r.chance(0.6) ? v.ipv4(r) : v.ipv6(r)),
  MAC_ADDRESS: v.mac,
  URL: v.urlWithCredentials,
  CRYPTO: v.crypto,
  UK_NHS: v.nhs,
  UK_NINO: v.nino,
  JWT: v.jwt,
  AWS_ACCESS_KEY: v.awsKey,
  GITHUB_TOKEN: v.githubToken,
  SLACK_TOKEN: v.slackToken,
  PRIVATE_KEY: v.privateKey,
  PASSWORD: v.password,
  NAME: v.name,
  NEAR: nearMiss,
  NUM: (r) => String(r.int(1, 500)),
  DATE: (r) => `${r.int(1, 28)}.${r.int(1, 12)}.${r.int(2019, 2025)}`,
};

const t = (column: string, ...parts: Part[]): [string, Part[]] => [column, parts];

const TEMPLATES: [string, Part[]][] = [
  t(
    'note',
    'Customer ',
    'NAME',
    ' (',
    'EMAIL_ADDRESS',
    ') called from ',
    'PHONE_NUMBER',
    ' about order ',
    'NEAR',
    '.',
  ),
  t('note', 'Refund of ', 'NUM', ' EUR to card ', 'CREDIT_CARD', ' approved, ref ', 'NEAR', '.'),
  t(
    'note',
    'Kunde ',
    'NAME',
    ', Rückruf unter ',
    'PHONE_NUMBER',
    '. IBAN ',
    'IBAN_CODE',
    ', Bestellung ',
    'NEAR',
    ' vom ',
    'DATE',
    '.',
  ),
  t(
    'commentaire',
    'Client ',
    'NAME',
    ' — courriel ',
    'EMAIL_ADDRESS',
    ', carte ',
    'CREDIT_CARD',
    ', facture ',
    'NEAR',
    '.',
  ),
  t(
    'nota',
    'El cliente ',
    'NAME',
    ' pagó con la tarjeta ',
    'CREDIT_CARD',
    ' el ',
    'DATE',
    '; pedido ',
    'NEAR',
    '.',
  ),
  t(
    'memo',
    'お客様 ',
    'NAME',
    ' 様、連絡先 ',
    'PHONE_NUMBER',
    '、メール ',
    'EMAIL_ADDRESS',
    '。注文番号 ',
    'NEAR',
    '。',
  ),
  t('备注', '客户 ', 'NAME', ' 的邮箱是 ', 'EMAIL_ADDRESS', '，订单号 ', 'NEAR', '，金额 ', 'NUM', ' 元。'),
  t(
    'заметка',
    'Клиент ',
    'NAME',
    ', номер ',
    'PHONE_NUMBER',
    ', e-mail ',
    'EMAIL_ADDRESS',
    ', заказ ',
    'NEAR',
    '.',
  ),
  t('ملاحظة', 'العميل ', 'NAME', ' البريد ', 'EMAIL_ADDRESS', ' رقم الطلب ', 'NEAR'),
  t('note', 'Patient ', 'NAME', ', NHS number ', 'UK_NHS', ', seen on ', 'DATE', ', ward ', 'NUM', '.'),
  t('note', 'Employee ', 'NAME', ' SSN ', 'US_SSN', ' start date ', 'NEAR', '.'),
  t('note', 'Payroll: ', 'NAME', ' NI ', 'UK_NINO', ', employee id ', 'NEAR', '.'),
  t('wire_memo', 'Überweisung an ', 'NAME', ' IBAN ', 'IBAN_CODE', ' Verwendungszweck ', 'NEAR'),
  t('wallet', 'Withdrawal of 0.', 'NUM', ' BTC to ', 'CRYPTO', ' (tx ', 'NEAR', ')'),
  t('log_line', 'NEAR', ' INFO login ok user=', 'EMAIL_ADDRESS', ' ip=', 'IP_ADDRESS', ' ua="Mozilla/5.0"'),
  t(
    'log_line',
    'NEAR',
    ' WARN dhcp lease ',
    'IP_ADDRESS',
    ' for ',
    'MAC_ADDRESS',
    ' renewed, build ',
    'NEAR',
  ),
  t('log_line', 'NEAR', ' ERROR cannot connect to ', 'URL', ' (timeout ', 'NUM', 's)'),
  t('log_line', 'NEAR', ' DEBUG request Authorization: Bearer ', 'JWT', ' path=/v1/orders/', 'NEAR'),
  t('config', 'AWS_ACCESS_KEY_ID=', 'AWS_ACCESS_KEY', '\nAWS_REGION=eu-west-1\nBUILD=', 'NEAR'),
  t('config', 'GITHUB_TOKEN=', 'GITHUB_TOKEN', '\nSLACK_BOT_TOKEN=', 'SLACK_TOKEN', '\nVERSION=', 'NEAR'),
  t('config', 'db.user=app\ndb.password=', 'PASSWORD', '\ndb.pool=', 'NUM'),
  t(
    'payload',
    '{"user":{"email":"',
    'EMAIL_ADDRESS',
    '","phone":"',
    'PHONE_NUMBER',
    '"},"order":"',
    'NEAR',
    '"}',
  ),
  t('payload', '{"card":"', 'CREDIT_CARD', '","amount":', 'NUM', ',"ref":"', 'NEAR', '"}'),
  t('payload', '{"login":"', 'EMAIL_ADDRESS', '","password":"', 'PASSWORD', '","remember":true}'),
  t('attachment', 'key file:\n', 'PRIVATE_KEY', '\n(uploaded ', 'NEAR', ')'),
  t('email', 'EMAIL_ADDRESS'),
  t('card_number', 'CREDIT_CARD'),
  t('iban', 'IBAN_CODE'),
  t('ssn', 'US_SSN'),
  t('nhs_number', 'UK_NHS'),
  t('ni_number', 'UK_NINO'),
  t('btc_address', 'CRYPTO'),
  t('client_ip', 'IP_ADDRESS'),
  t('phone', 'PHONE_NUMBER'),
  t('order_ref', 'NEAR'),
  t('description', 'Item ', 'NEAR', ' shipped with ', 'NEAR', ', qty ', 'NUM', '.'),
  t('description', 'Release ', 'NEAR', ' fixes ', 'NUM', ' bugs; see ', 'NEAR', '.'),
  t('comment', 'Tracking ', 'NEAR', ', invoice ', 'NEAR', ', total ', 'NEAR', '.'),
];

export const SEED = 20261126;

export function generateCorpus(rows: number, seed = SEED): CorpusRow[] {
  const r = new Rng(seed);
  const out: CorpusRow[] = [];
  for (let n = 0; n < rows; n++) {
    const [column, parts] = r.pick(TEMPLATES);
    let text = '';
    const spans: Span[] = [];
    for (const p of parts) {
      const gen = VALUE[p as Slot];
      if (gen === undefined) {
        text += p;
        continue;
      }
      const value = gen(r);
      if (p !== 'NAME' && p !== 'NEAR' && p !== 'NUM' && p !== 'DATE') {
        spans.push({ entity: p as Entity, start: text.length, end: text.length + value.length });
      }
      text += value;
    }
    out.push({ column, text, spans });
  }
  return out;
}

export const CORPUS_ROWS = 3000;
export const HEADER =
  '{"generated":"by test/masking/corpus/generate.ts; do not edit, run the corpus test with UPDATE_GOLDEN=1"}';

export function corpusJsonl(): string {
  return `${[HEADER, ...generateCorpus(CORPUS_ROWS).map((row) => JSON.stringify(row))].join('\n')}\n`;
}
