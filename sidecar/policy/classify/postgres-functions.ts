// PostgreSQL functions whose effects the classifier cannot see from the call:
// they signal other sessions, touch the server's file system, run SQL given as
// text, open connections elsewhere or change server state. A statement calling
// one is classified UNKNOWN (besides its own operations), so policy denies it
// unless a rule names UNKNOWN. The list is deliberately explicit: extend it here.
// User-defined functions can do anything too; that is for database grants to
// limit (docs/classification.md says so), not something a parser can know.

const EXACT: ReadonlySet<string> = new Set([
  // other sessions and the server process
  'pg_terminate_backend',
  'pg_cancel_backend',
  'pg_reload_conf',
  'pg_rotate_logfile',
  'pg_log_backend_memory_contexts',
  'pg_promote',
  'pg_switch_wal',
  'pg_create_restore_point',
  'pg_backup_start',
  'pg_backup_stop',
  'pg_start_backup',
  'pg_stop_backup',
  'pg_import_system_collations',
  'pg_notify',
  'set_config',
  'setval',
  // replication slots and logical messages
  'pg_create_physical_replication_slot',
  'pg_create_logical_replication_slot',
  'pg_drop_replication_slot',
  'pg_copy_physical_replication_slot',
  'pg_copy_logical_replication_slot',
  'pg_replication_slot_advance',
  'pg_logical_emit_message',
  'pg_logical_slot_get_changes',
  'pg_logical_slot_peek_changes',
  // server files and large objects moved between files and tables
  'lo_import',
  'lo_export',
  'lo_unlink',
  'lo_create',
  'lo_creat',
  'lo_from_bytea',
  'lo_put',
  'lowrite',
  'lo_truncate',
  'lo_truncate64',
  'pg_logdir_ls',
  // SQL passed as text, or a table named in a string: the tables are invisible
  'query_to_xml',
  'query_to_xmlschema',
  'query_to_xml_and_xmlschema',
  'cursor_to_xml',
  'cursor_to_xmlschema',
  'table_to_xml',
  'table_to_xmlschema',
  'table_to_xml_and_xmlschema',
  'schema_to_xml',
  'schema_to_xmlschema',
  'schema_to_xml_and_xmlschema',
  'database_to_xml',
  'database_to_xmlschema',
  'database_to_xml_and_xmlschema',
  'ts_stat',
  'ts_rewrite',
]);

/** Families matched by prefix: every member shares the danger. */
const PREFIXES: readonly string[] = [
  'dblink', // dblink, dblink_exec, dblink_connect(_u), dblink_send_query, ...
  'pg_read_', // pg_read_file, pg_read_binary_file
  'pg_ls_', // pg_ls_dir, pg_ls_logdir, pg_ls_waldir, pg_ls_tmpdir, ...
  'pg_stat_file',
  'pg_file_', // adminpack: pg_file_write, pg_file_rename, pg_file_unlink, ...
  'pg_stat_reset', // statistics counters
  'pg_replication_origin_',
  'pg_wal_replay_',
];

/** Whether a call to `name` (lower-case, without schema) is one we refuse to guess about. */
export function isDangerousFunction(name: string): boolean {
  if (EXACT.has(name)) return true;
  for (const p of PREFIXES) if (name.startsWith(p)) return true;
  return false;
}
