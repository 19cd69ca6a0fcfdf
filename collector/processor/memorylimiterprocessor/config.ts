/**
 * memory_limiter config, with the OpenTelemetry Collector's names, defaults and validation rules.
 * Limits are either absolute (`limit_mib`, `spike_limit_mib`, default spike 20% of the limit) or
 * relative to the memory available to the process (`limit_percentage`, `spike_limit_percentage`).
 * The limit keys and their rules are shared with the memory_limiter extension (the memory budget,
 * collector/extension/memorylimiterextension), as in the Collector, where both take one Config.
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readDuration, readInt, readObject } from '../../config/validate.js';

export interface MemoryLimits {
  limitMiB: number;
  spikeLimitMiB: number;
  limitPercentage: number;
  spikeLimitPercentage: number;
}

export interface MemoryLimiterConfig extends MemoryLimits {
  checkIntervalMs: number;
}

/** Keys of the Collector's memorylimiter.Config. */
export const MEMORY_LIMITER_KEYS = [
  'check_interval',
  'limit_mib',
  'spike_limit_mib',
  'limit_percentage',
  'spike_limit_percentage',
  'min_gc_interval_when_soft_limited',
  'min_gc_interval_when_hard_limited',
] as const;

export const MEMORY_LIMITER_DEPRECATED = {
  ballast_size_mib: 'ignored (the ballast extension is gone from the Collector; nothing to configure here)',
};

/**
 * The four limit keys of an already key-checked mapping, with the Collector's rules
 * (memorylimiter Config.Validate). With `required`, one of limit_mib / limit_percentage must be
 * set (the processor); without, both may be 0, meaning "use the derived default" (the extension).
 */
export function readMemoryLimits(o: Record<string, unknown>, path: string, issues: ConfigIssues, required: boolean): MemoryLimits {
  const cfg: MemoryLimits = {
    limitMiB: readInt(o.limit_mib, join(path, 'limit_mib'), issues, 0, { min: 0 }),
    spikeLimitMiB: readInt(o.spike_limit_mib, join(path, 'spike_limit_mib'), issues, 0, { min: 0 }),
    limitPercentage: readInt(o.limit_percentage, join(path, 'limit_percentage'), issues, 0, { min: 0 }),
    spikeLimitPercentage: readInt(o.spike_limit_percentage, join(path, 'spike_limit_percentage'), issues, 0, { min: 0 }),
  };
  if (cfg.limitMiB === 0 && cfg.limitPercentage === 0) {
    if (required) issues.error(path, 'limit_mib or limit_percentage must be greater than zero');
  } else if (cfg.limitMiB > 0) {
    if (cfg.spikeLimitMiB === 0) cfg.spikeLimitMiB = Math.floor(cfg.limitMiB / 5);
    if (cfg.spikeLimitMiB >= cfg.limitMiB) issues.error(join(path, 'spike_limit_mib'), 'must be smaller than limit_mib');
  } else {
    if (cfg.limitPercentage > 100) issues.error(join(path, 'limit_percentage'), 'must be at most 100');
    if (cfg.spikeLimitPercentage > 100) issues.error(join(path, 'spike_limit_percentage'), 'must be at most 100');
    if (cfg.spikeLimitPercentage === 0) cfg.spikeLimitPercentage = Math.floor(cfg.limitPercentage / 5);
    if (cfg.spikeLimitPercentage >= cfg.limitPercentage) {
      issues.error(join(path, 'spike_limit_percentage'), 'must be smaller than limit_percentage');
    }
  }
  return cfg;
}

export function parseMemoryLimiterConfig(raw: unknown, path: string, issues: ConfigIssues): MemoryLimiterConfig {
  const o = readObject(raw, path, issues, MEMORY_LIMITER_KEYS, MEMORY_LIMITER_DEPRECATED);
  const checkIntervalMs = readDuration(o.check_interval, join(path, 'check_interval'), issues, 0);
  for (const k of ['min_gc_interval_when_soft_limited', 'min_gc_interval_when_hard_limited']) {
    readDuration(o[k], join(path, k), issues, 0);
    if (o[k] !== undefined) issues.warn(join(path, k), 'ignored by the processor; forced collections are done by the memory budget (extensions.memory_limiter)');
  }
  // The Collector's rules (memorylimiter Config.Validate), with its messages' meaning.
  if (checkIntervalMs <= 0) issues.error(join(path, 'check_interval'), 'must be greater than zero');
  return { checkIntervalMs, ...readMemoryLimits(o, path, issues, true) };
}
