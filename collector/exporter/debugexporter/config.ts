/**
 * debug exporter config (the Collector's `debug`, formerly `logging`): `verbosity`
 * basic|normal|detailed (default basic), `sampling_initial` (2), `sampling_thereafter` (1),
 * `use_internal_logger` (true). The logging exporter's `loglevel` is accepted with a warning and
 * mapped as the Collector did (debug → detailed, info → normal, warn/error → basic).
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readBool, readEnum, readInt, readObject } from '../../config/validate.js';

export type Verbosity = 'basic' | 'normal' | 'detailed';

export interface DebugConfig {
  verbosity: Verbosity;
  samplingInitial: number;
  samplingThereafter: number;
  useInternalLogger: boolean;
}

const LOGLEVEL_TO_VERBOSITY: Record<string, Verbosity> = { debug: 'detailed', info: 'normal', warn: 'basic', error: 'basic' };

export function parseDebugConfig(raw: unknown, path: string, issues: ConfigIssues): DebugConfig {
  const o = readObject(raw, path, issues, ['verbosity', 'sampling_initial', 'sampling_thereafter', 'use_internal_logger'], {
    loglevel: "use 'verbosity' (debug → detailed, info → normal, warn/error → basic)",
  });
  let verbosity = readEnum(o.verbosity, join(path, 'verbosity'), issues, ['basic', 'normal', 'detailed'] as const, 'basic');
  if (o.loglevel !== undefined && o.loglevel !== null) {
    const level = readEnum(o.loglevel, join(path, 'loglevel'), issues, ['debug', 'info', 'warn', 'error'] as const, undefined);
    if (o.verbosity !== undefined && o.verbosity !== null) {
      issues.error(path, "loglevel and verbosity are mutually exclusive; remove 'loglevel'");
    } else if (level) {
      verbosity = LOGLEVEL_TO_VERBOSITY[level];
    }
  }
  return {
    verbosity,
    samplingInitial: readInt(o.sampling_initial, join(path, 'sampling_initial'), issues, 2, { min: 0 }),
    samplingThereafter: readInt(o.sampling_thereafter, join(path, 'sampling_thereafter'), issues, 1, { min: 0 }),
    useInternalLogger: readBool(o.use_internal_logger, join(path, 'use_internal_logger'), issues, true),
  };
}
