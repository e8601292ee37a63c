// Bounds for the classifiers. A statement over the size limit is refused with
// AG_ERR_CLASSIFY_TOO_LARGE rather than classified UNKNOWN: an UNKNOWN has no
// tables, so padding a query past the limit must not turn a table-scoped deny
// into a match of some broader allow rule.

/** Longest statement text a SQL classifier accepts, in characters (UTF-16 code units). */
export const MAX_STATEMENT_CHARS = 1024 * 1024;

/**
 * MySQL texts are held to a quarter of that: node-sql-parser (a PEG parser)
 * takes about 10 µs per character, so 256 Ki characters already hold the
 * sidecar's event loop for some two seconds (a 1,000-row INSERT of 20 KB: ~0.2 s).
 */
export const MAX_MYSQL_STATEMENT_CHARS = 256 * 1024;

/** Distinct statement texts remembered per classifier. */
export const CACHE_ENTRIES = 10_000;

/** Total characters of cached statement text per classifier (about 16 MiB of strings). */
export const CACHE_CHARS = 8 * 1024 * 1024;

/** Most arguments of one Redis command that the classifier looks at for keys. */
export const MAX_REDIS_KEYS = 10_000;
