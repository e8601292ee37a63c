// Classification from the text a person types (`policy check --query`): SQL for
// postgres and mysql, a command line for redis, `METHOD PATH [HOST]` for http.
// The sidecar does not use this: each protocol hands its classifier the
// structured command it read off the wire.

import type { Protocol } from '../../api/types.js';
import { agError } from '../../common/errors.js';
import {
  classifyHttp,
  classifyMysql,
  classifyPostgres,
  classifyRedis,
  initClassifiers,
} from './classify/index.js';
import type { Classification } from './command.js';

/** Splits a redis-cli style line: whitespace separates, '...' and "..." quote (with \ escapes in "..."). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length) break;
    let word = '';
    while (i < line.length && !/\s/.test(line[i]!)) {
      const c = line[i]!;
      if (c === '"' || c === "'") {
        const end = line.indexOf(c, i + 1);
        let j = i + 1;
        if (c === '"') {
          for (; j < line.length && line[j] !== '"'; j++) {
            if (line[j] === '\\' && j + 1 < line.length) j++;
            word += line[j];
          }
          if (j >= line.length) throw agError('AG_ERR_CLI_USAGE', 'unterminated " in the command line');
          i = j + 1;
        } else {
          if (end < 0) throw agError('AG_ERR_CLI_USAGE', "unterminated ' in the command line");
          word += line.slice(i + 1, end);
          i = end + 1;
        }
      } else {
        word += c;
        i++;
      }
    }
    out.push(word);
  }
  return out;
}

export async function classifyCommand(
  protocol: Protocol,
  text: string,
): Promise<{ classification: Classification; host?: string }> {
  switch (protocol) {
    case 'postgres':
      await initClassifiers();
      return { classification: classifyPostgres(text) };
    case 'mysql':
      return { classification: classifyMysql(text) };
    case 'redis': {
      const argv = splitCommandLine(text);
      if (argv.length === 0) throw agError('AG_ERR_CLI_USAGE', 'empty Redis command');
      return { classification: classifyRedis(argv) };
    }
    case 'http': {
      const [method, path, host] = text.trim().split(/\s+/);
      if (method === undefined || path === undefined) {
        throw agError('AG_ERR_CLI_USAGE', `an HTTP command is METHOD PATH [HOST], got '${text}'`);
      }
      return {
        classification: classifyHttp({ method, path, ...(host ? { host } : {}) }),
        ...(host ? { host } : {}),
      };
    }
  }
}
