// Bounds for the classifiers. A statement over the size limit is refused with
// AG_ERR_CLASSIFY_TOO_LARGE rather than classified UNKNOWN: an UNKNOWN has no
// tables, so padding a query past the limit must not turn a table-scoped deny
// into a match of some broader allow rule.

/** Longest statement text a SQL classifier accepts, in characters (UTF-16 code units). */
export const MAX_STATEMENT_CHARS = 1024 * 1024;

/** Distinct statement texts remembered per classifier. */
export const CACHE_ENTRIES = 10_000;

/** Total characters of cached statement text per classifier (about 16 MiB of strings). */
export const CACHE_CHARS = 8 * 1024 * 1024;

/** Most arguments of one Redis command that the classifier looks at for keys. */
export const MAX_REDIS_KEYS = 10_000;
