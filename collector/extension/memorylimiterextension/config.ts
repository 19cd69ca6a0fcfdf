/**
 * Config of the `memory_limiter` extension: the collector's memory budget and the receivers'
 * admission control (docs/collector.md, "Memory budget"). The keys of the Collector's
 * memorylimiter.Config (shared with the processor) size the total budget; the OTel-Arrow
 * receiver's `admission` keys size what receivers may hold at once and wait for:
 *
 *   extensions:
 *     memory_limiter:
 *       check_interval: 1s                 # background check (the receivers also check per request)
 *       limit_mib: 0                       # total budget; 0 = limit_percentage of the memory limit
 *       limit_percentage: 80               # of the container limit (cgroup memory.max) or RAM, capped by the V8 heap limit
 *       spike_limit_mib / spike_limit_percentage   # headroom: soft limit = limit - spike (default 20 %)
 *       min_gc_interval_when_soft_limited: 10s
 *       min_gc_interval_when_hard_limited: 1s
 *       request_limit_mib: 0               # admission pool; 0 = what the budget leaves after queues and batches
 *       waiting_limit_mib: 0               # bytes of requests waiting for admission; 0 = a quarter of the pool
 *       max_spans_per_request: 50000
 *
 * Every key is optional: without the extension the same defaults apply.
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readDuration, readInt, readNumber, readObject } from '../../config/validate.js';
import { MEMORY_LIMITER_DEPRECATED, MEMORY_LIMITER_KEYS, readMemoryLimits, type MemoryLimits } from '../../processor/memorylimiterprocessor/config.js';

export interface MemoryBudgetConfig extends MemoryLimits {
  checkIntervalMs: number;
  minGcIntervalSoftMs: number;
  minGcIntervalHardMs: number;
  /** 0 = derived from the budget. */
  requestLimitMiB: number;
  /** 0 = a quarter of the request limit. */
  waitingLimitMiB: number;
  maxSpansPerRequest: number;
}

export const DEFAULT_LIMIT_PERCENTAGE = 80;
export const DEFAULT_MAX_SPANS_PER_REQUEST = 50_000;

export function defaultMemoryBudgetConfig(): MemoryBudgetConfig {
  return {
    checkIntervalMs: 1000,
    limitMiB: 0,
    spikeLimitMiB: 0,
    limitPercentage: DEFAULT_LIMIT_PERCENTAGE,
    spikeLimitPercentage: DEFAULT_LIMIT_PERCENTAGE / 5,
    minGcIntervalSoftMs: 10_000,
    minGcIntervalHardMs: 1_000,
    requestLimitMiB: 0,
    waitingLimitMiB: 0,
    maxSpansPerRequest: DEFAULT_MAX_SPANS_PER_REQUEST,
  };
}

export function parseMemoryBudgetConfig(raw: unknown, path: string, issues: ConfigIssues): MemoryBudgetConfig {
  const d = defaultMemoryBudgetConfig();
  const o = readObject(raw, path, issues, [...MEMORY_LIMITER_KEYS, 'request_limit_mib', 'waiting_limit_mib', 'max_spans_per_request'], MEMORY_LIMITER_DEPRECATED);
  let limits = readMemoryLimits(o, path, issues, false);
  if (limits.limitMiB === 0 && limits.limitPercentage === 0) {
    limits = { ...limits, limitPercentage: d.limitPercentage, spikeLimitPercentage: limits.spikeLimitPercentage || d.spikeLimitPercentage };
  }
  return {
    ...limits,
    checkIntervalMs: readDuration(o.check_interval, join(path, 'check_interval'), issues, d.checkIntervalMs, { allowZero: false }),
    minGcIntervalSoftMs: readDuration(o.min_gc_interval_when_soft_limited, join(path, 'min_gc_interval_when_soft_limited'), issues, d.minGcIntervalSoftMs),
    minGcIntervalHardMs: readDuration(o.min_gc_interval_when_hard_limited, join(path, 'min_gc_interval_when_hard_limited'), issues, d.minGcIntervalHardMs),
    requestLimitMiB: readNumber(o.request_limit_mib, join(path, 'request_limit_mib'), issues, 0, { min: 0 }),
    waitingLimitMiB: readNumber(o.waiting_limit_mib, join(path, 'waiting_limit_mib'), issues, 0, { min: 0 }),
    maxSpansPerRequest: readInt(o.max_spans_per_request, join(path, 'max_spans_per_request'), issues, d.maxSpansPerRequest, { min: 1 }),
  };
}
