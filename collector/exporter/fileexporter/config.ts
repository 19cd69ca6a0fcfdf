/**
 * file exporter config, with the Collector's names and defaults: `path` (required), `format`
 * json (proto refused as unsupported), `append` (false: the file is truncated at start),
 * `rotation` {max_megabytes 100, max_days 0 = keep, max_backups 100, localtime false},
 * `flush_interval` (1s, accepted: every export is written through at once here).
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readBool, readDuration, readEnum, readInt, readObject, readString } from '../../config/validate.js';

export interface RotationConfig {
  maxMegabytes: number;
  maxDays: number;
  maxBackups: number;
  localtime: boolean;
}

export interface FileConfig {
  path: string;
  append: boolean;
  rotation: RotationConfig | null;
  flushIntervalMs: number;
}

export function parseFileConfig(raw: unknown, path: string, issues: ConfigIssues): FileConfig {
  const o = readObject(raw, path, issues, ['path', 'format', 'append', 'rotation', 'compression', 'flush_interval', 'group_by', 'encoding', 'create_directory']);
  const filePath = readString(o.path, join(path, 'path'), issues, '', { nonEmpty: true });
  if (o.path === undefined || o.path === null) issues.error(join(path, 'path'), 'path must be non-empty');
  const format = readEnum(o.format, join(path, 'format'), issues, ['json', 'proto'] as const, 'json');
  if (format === 'proto') issues.error(join(path, 'format'), 'format "proto" is not supported by this collector; use json (OTLP/JSON lines)');
  const compression = readString(o.compression, join(path, 'compression'), issues, '');
  if (compression !== '' && compression !== 'none') issues.error(join(path, 'compression'), `compression "${compression}" is not supported; leave it empty`);
  if (o.encoding !== undefined) issues.error(join(path, 'encoding'), 'encoding extensions are not supported');
  if (o.group_by !== undefined) issues.warn(join(path, 'group_by'), 'not supported; ignored (everything goes to path)');
  readBool(o.create_directory, join(path, 'create_directory'), issues, false);
  const append = readBool(o.append, join(path, 'append'), issues, false);
  let rotation: RotationConfig | null = null;
  if (o.rotation !== undefined && o.rotation !== null) {
    const rPath = join(path, 'rotation');
    const r = readObject(o.rotation, rPath, issues, ['max_megabytes', 'max_days', 'max_backups', 'localtime']);
    rotation = {
      maxMegabytes: readInt(r.max_megabytes, join(rPath, 'max_megabytes'), issues, 100, { min: 1 }),
      maxDays: readInt(r.max_days, join(rPath, 'max_days'), issues, 0, { min: 0 }),
      maxBackups: readInt(r.max_backups, join(rPath, 'max_backups'), issues, 100, { min: 0 }),
      localtime: readBool(r.localtime, join(rPath, 'localtime'), issues, false),
    };
    // The Collector's rule: rotation renames the file away, which contradicts appending to it.
    if (append) issues.error(path, 'append and rotation enabled at the same time is not supported');
  }
  return {
    path: filePath,
    append,
    rotation,
    flushIntervalMs: readDuration(o.flush_interval, join(path, 'flush_interval'), issues, 1000, { allowZero: false }),
  };
}
