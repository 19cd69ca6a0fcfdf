/**
 * `extensions.file_storage` (and `file_storage/<name>`), with otelcol-contrib's filestorage
 * names and defaults: directory, timeout, fsync, create_directory, directory_permissions,
 * recreate, compaction {on_start, on_rebound, directory, max_transaction_size,
 * rebound_needed_threshold_mib, rebound_trigger_threshold_mib, check_interval, cleanup_on_start}.
 * Pure: problems go to ConfigIssues with their full path; the file system is checked at start.
 */
import path from 'node:path';
import type { ConfigIssues } from '../../config/issues.js';
import { join, readBool, readDuration, readInt, readObject, readString } from '../../config/validate.js';

export interface CompactionConfig {
  onStart: boolean;
  onRebound: boolean;
  /** Where the compacted copy is written before it replaces the file (default: `directory`). */
  directory: string;
  /** Accepted for otelcol compatibility: LMDB copies in one read snapshot, not in transactions. */
  maxTransactionSize: number;
  reboundNeededThresholdMiB: number;
  reboundTriggerThresholdMiB: number;
  checkIntervalMs: number;
  cleanupOnStart: boolean;
}

export interface FileStorageConfig {
  directory: string;
  /** How long start waits for another live collector to release a file (otelcol: the file lock). */
  timeoutMs: number;
  /** Writes resolve only once flushed to disk (survives power loss, not only process crashes). */
  fsync: boolean;
  createDirectory: boolean;
  directoryPermissions: number;
  /** A file that cannot be opened (corrupt) is renamed to `<file>.backup` and a new one begun. */
  recreate: boolean;
  compaction: CompactionConfig;
}

/** otelcol-contrib's default on Linux. */
export const DEFAULT_DIRECTORY = '/var/lib/otelcol/file_storage';

const KEYS = ['directory', 'timeout', 'fsync', 'create_directory', 'directory_permissions', 'recreate', 'compaction'] as const;
const COMPACTION_KEYS = [
  'on_start', 'on_rebound', 'directory', 'max_transaction_size', 'rebound_needed_threshold_mib',
  'rebound_trigger_threshold_mib', 'check_interval', 'cleanup_on_start',
] as const;

export function parseFileStorageConfig(raw: unknown, p: string, issues: ConfigIssues): FileStorageConfig {
  const o = readObject(raw, p, issues, KEYS);
  const directory = readDirectory(o.directory, join(p, 'directory'), issues, DEFAULT_DIRECTORY);
  const permsPath = join(p, 'directory_permissions');
  const permsText = readString(o.directory_permissions, permsPath, issues, '0750');
  let directoryPermissions = 0o750;
  if (/^0?[0-7]{3}$/.test(permsText)) directoryPermissions = parseInt(permsText, 8);
  else issues.error(permsPath, `expected octal permissions like "0750", got ${JSON.stringify(permsText)}`);

  const cp = join(p, 'compaction');
  const c = readObject(o.compaction, cp, issues, COMPACTION_KEYS);
  const compaction: CompactionConfig = {
    onStart: readBool(c.on_start, join(cp, 'on_start'), issues, false),
    onRebound: readBool(c.on_rebound, join(cp, 'on_rebound'), issues, false),
    directory: readDirectory(c.directory, join(cp, 'directory'), issues, directory),
    maxTransactionSize: readInt(c.max_transaction_size, join(cp, 'max_transaction_size'), issues, 65_536, { min: 0 }),
    reboundNeededThresholdMiB: readInt(c.rebound_needed_threshold_mib, join(cp, 'rebound_needed_threshold_mib'), issues, 100, { min: 1 }),
    reboundTriggerThresholdMiB: readInt(c.rebound_trigger_threshold_mib, join(cp, 'rebound_trigger_threshold_mib'), issues, 10, { min: 0 }),
    checkIntervalMs: readDuration(c.check_interval, join(cp, 'check_interval'), issues, 5_000, { min: 100, allowZero: false }),
    cleanupOnStart: readBool(c.cleanup_on_start, join(cp, 'cleanup_on_start'), issues, false),
  };
  if (compaction.reboundTriggerThresholdMiB >= compaction.reboundNeededThresholdMiB) {
    issues.error(join(cp, 'rebound_trigger_threshold_mib'), `must be below rebound_needed_threshold_mib (${compaction.reboundNeededThresholdMiB})`);
  }
  return {
    directory,
    timeoutMs: readDuration(o.timeout, join(p, 'timeout'), issues, 1_000),
    fsync: readBool(o.fsync, join(p, 'fsync'), issues, false),
    createDirectory: readBool(o.create_directory, join(p, 'create_directory'), issues, false),
    directoryPermissions,
    recreate: readBool(o.recreate, join(p, 'recreate'), issues, false),
    compaction,
  };
}

function readDirectory(v: unknown, p: string, issues: ConfigIssues, def: string): string {
  const d = readString(v, p, issues, def, { nonEmpty: true });
  if (d.includes('\0')) {
    issues.error(p, 'must not contain NUL characters');
    return def;
  }
  return path.resolve(d);
}
