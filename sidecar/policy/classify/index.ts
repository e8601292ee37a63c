export {
  classifyHttp,
  compilePathTemplate,
  type HttpRequestHead,
  normalizeHost,
  normalizePath,
  type PathMatcher,
} from './http.js';
export { MAX_MYSQL_STATEMENT_CHARS, MAX_STATEMENT_CHARS } from './limits.js';
export { classifyMysql, clearMysqlCache, type MysqlOptions } from './mysql.js';
export { classifyPostgres, clearPostgresCache, initClassifiers, type PostgresOptions } from './postgres.js';
export { classifyRedis, classifyRedisBlock, classifyRedisBuffers } from './redis.js';
export type { RedisCategory } from './redis-spec.js';
