import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { parseMemoryLimiterConfig } from './config.js';

function parse(raw: unknown) {
  const issues = new ConfigIssues();
  const cfg = parseMemoryLimiterConfig(raw, 'processors.memory_limiter', issues);
  return { cfg, errors: issues.errors.map((e) => `${e.path}: ${e.message}`), warnings: issues.warnings.map((e) => `${e.path}: ${e.message}`) };
}

describe('memory_limiter config (the Collector rules)', () => {
  it.each([
    [{ check_interval: '1s', limit_mib: 500 }, { checkIntervalMs: 1000, limitMiB: 500, spikeLimitMiB: 100, limitPercentage: 0, spikeLimitPercentage: 0 }],
    [{ check_interval: '1s', limit_mib: 500, spike_limit_mib: 50 }, { checkIntervalMs: 1000, limitMiB: 500, spikeLimitMiB: 50, limitPercentage: 0, spikeLimitPercentage: 0 }],
    [{ check_interval: '5s', limit_percentage: 80, spike_limit_percentage: 25 }, { checkIntervalMs: 5000, limitMiB: 0, spikeLimitMiB: 0, limitPercentage: 80, spikeLimitPercentage: 25 }],
    [{ check_interval: '100ms', limit_percentage: 50 }, { checkIntervalMs: 100, limitMiB: 0, spikeLimitMiB: 0, limitPercentage: 50, spikeLimitPercentage: 10 }],
  ])('%j', (raw, want) => {
    const r = parse(raw);
    expect(r.errors).toEqual([]);
    expect(r.cfg).toEqual(want);
  });

  it.each([
    [{}, ['processors.memory_limiter.check_interval: must be greater than zero', 'processors.memory_limiter: limit_mib or limit_percentage must be greater than zero']],
    [{ check_interval: '1s', limit_mib: 100, spike_limit_mib: 100 }, ['processors.memory_limiter.spike_limit_mib: must be smaller than limit_mib']],
    [{ check_interval: '1s', limit_percentage: 120 }, ['processors.memory_limiter.limit_percentage: must be at most 100']],
    [{ check_interval: '1s', limit_percentage: 50, spike_limit_percentage: 60 }, ['processors.memory_limiter.spike_limit_percentage: must be smaller than limit_percentage']],
    [{ check_interval: '1s', limit_mib: -5 }, ['processors.memory_limiter.limit_mib: must be at least 0, got -5', 'processors.memory_limiter: limit_mib or limit_percentage must be greater than zero']],
  ])('%j → errors', (raw, errors) => {
    expect(parse(raw).errors).toEqual(errors);
  });

  it('accepts ballast_size_mib with a warning and ignores it', () => {
    const r = parse({ check_interval: '1s', limit_mib: 400, ballast_size_mib: 160 });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([
      'processors.memory_limiter.ballast_size_mib: deprecated option, ignored (the ballast extension is gone from the Collector; nothing to configure here)',
    ]);
  });
});
