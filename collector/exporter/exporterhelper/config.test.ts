import { describe, expect, it } from 'vitest';
import { ConfigIssues } from '../../config/issues.js';
import { DEFAULT_QUEUE, DEFAULT_RETRY, queueExtensionRefs, readQueueConfig, readRetryConfig, readTimeout } from './config.js';
import { Backoff } from './backoff.js';

describe('readQueueConfig', () => {
  it('gives the Collector defaults when unset', () => {
    const issues = new ConfigIssues();
    expect(readQueueConfig(undefined, 'exporters.otlp.sending_queue', issues)).toEqual({
      enabled: true, numConsumers: 10, maxBatches: 1000, maxSpans: 100_000, maxBytes: 64 * 1024 * 1024,
    });
    expect(issues.errors).toEqual([]);
  });

  it.each([
    [{ queue_size: 50 }, { maxBatches: 50 }],
    [{ queue_size: 5000, sizer: 'items' }, { maxSpans: 5000, maxBatches: 1000 }],
    [{ queue_size: 4096, sizer: 'bytes' }, { maxBytes: 4096 }],
    [{ queue_size_spans: 7, queue_size_bytes: '1MiB' }, { maxSpans: 7, maxBytes: 1024 * 1024 }],
    [{ enabled: false, num_consumers: 2 }, { enabled: false, numConsumers: 2 }],
  ])('reads %j', (raw, want) => {
    const issues = new ConfigIssues();
    expect(readQueueConfig(raw, 'q', issues)).toEqual({ ...DEFAULT_QUEUE, ...want });
    expect(issues.errors).toEqual([]);
  });

  it.each([
    [{ num_consumers: 0 }, 'q.num_consumers'],
    [{ num_consumers: 'ten' }, 'q.num_consumers'],
    [{ queue_size: -1 }, 'q.queue_size'],
    [{ sizer: 'spans' }, 'q.sizer'],
    [{ queue_size_bytes: 'lots' }, 'q.queue_size_bytes'],
    [{ queue_sise: 10 }, 'q'],
    ['yes', 'q'],
  ])('refuses %j at its path', (raw, path) => {
    const issues = new ConfigIssues();
    readQueueConfig(raw, 'q', issues);
    expect(issues.errors.map((e) => e.path)).toEqual([path]);
  });

  it('takes an exporter\'s own defaults, which the user\'s keys still override', () => {
    const issues = new ConfigIssues();
    expect(readQueueConfig(undefined, 'q', issues, { maxSpans: 20_000 }).maxSpans).toBe(20_000);
    expect(readQueueConfig({ queue_size_spans: 5 }, 'q', issues, { maxSpans: 20_000 }).maxSpans).toBe(5);
  });

  it('reads storage (a persistent queue) and declares it as an extension reference', () => {
    const issues = new ConfigIssues();
    const q = readQueueConfig({ storage: 'file_storage/queue' }, 'exporters.otlp.sending_queue', issues);
    expect(issues.errors).toEqual([]);
    expect(q.storage).toBe('file_storage/queue');
    expect(queueExtensionRefs(q, 'exporters.otlp')).toEqual([{ path: 'exporters.otlp.sending_queue.storage', id: 'file_storage/queue', capability: 'storage' }]);
    expect(queueExtensionRefs(readQueueConfig({}, 'q', issues), 'exporters.otlp')).toEqual([]);
  });
  it.each([
    [{ storage: '' }, 'q.storage'],
    [{ storage: ['file_storage'] }, 'q.storage'],
    [{ storage: 'file_storage', enabled: false }, 'q.storage'],
  ])('refuses storage %j at its path', (raw, path) => {
    const issues = new ConfigIssues();
    expect(readQueueConfig(raw, 'q', issues).storage).toBeUndefined();
    expect(issues.errors.map((e) => e.path)).toEqual([path]);
  });
});

describe('readRetryConfig / readTimeout', () => {
  it('defaults to 5s, 0.5, 1.5, 30s, 300s', () => {
    const issues = new ConfigIssues();
    expect(readRetryConfig(null, 'r', issues)).toEqual(DEFAULT_RETRY);
    expect(DEFAULT_RETRY).toMatchObject({ initialIntervalMs: 5000, randomizationFactor: 0.5, multiplier: 1.5, maxIntervalMs: 30000, maxElapsedTimeMs: 300000 });
    expect(readTimeout(undefined, 't', issues)).toBe(5000);
  });

  it('reads Go durations', () => {
    const issues = new ConfigIssues();
    expect(readRetryConfig({ initial_interval: '100ms', max_interval: '1m30s', max_elapsed_time: 0, multiplier: 2, randomization_factor: 0 }, 'r', issues))
      .toEqual({ enabled: true, initialIntervalMs: 100, maxIntervalMs: 90_000, maxElapsedTimeMs: 0, multiplier: 2, randomizationFactor: 0 });
    expect(readTimeout('250ms', 't', issues)).toBe(250);
    expect(issues.errors).toEqual([]);
  });

  it.each([
    [{ initial_interval: 5 }, 'r.initial_interval'],
    [{ initial_interval: '0s' }, 'r.initial_interval'],
    [{ randomization_factor: 1.5 }, 'r.randomization_factor'],
    [{ multiplier: 0.5 }, 'r.multiplier'],
    [{ max_interval: '1s', initial_interval: '2s' }, 'r.max_interval'],
    [{ max_elapsed_time: 'forever' }, 'r.max_elapsed_time'],
    [{ enabled: 'yes' }, 'r.enabled'],
  ])('refuses %j at its path', (raw, path) => {
    const issues = new ConfigIssues();
    readRetryConfig(raw, 'r', issues);
    expect(issues.errors.map((e) => e.path)).toEqual([path]);
  });
});

describe('Backoff', () => {
  const cfg = { ...DEFAULT_RETRY };

  it('grows by the multiplier up to max_interval, jitter within ±randomization_factor', () => {
    const mid = new Backoff(cfg, () => 0.5);
    expect([1, 2, 3, 4, 5, 6, 7].map(() => mid.next(0))).toEqual([5000, 7500, 11250, 16875, 25313, 30000, 30000]);
    const low = new Backoff(cfg, () => 0);
    expect(low.next(0)).toBe(2500);
    const high = new Backoff(cfg, () => 0.999999);
    expect(high.next(0)).toBe(7500);
  });

  it('waits at least the destination-requested delay', () => {
    const b = new Backoff(cfg, () => 0.5);
    expect(b.next(0, 12_000)).toBe(12_000);
    expect(b.next(0, 10)).toBe(7500);
  });

  it('stops when the next wait would pass max_elapsed_time; 0 means never', () => {
    expect(new Backoff(cfg, () => 0.5).next(296_000)).toBeUndefined();
    expect(new Backoff(cfg, () => 0.5).next(294_000)).toBe(5000);
    expect(new Backoff(cfg, () => 0.5).next(0, 301_000)).toBeUndefined();
    expect(new Backoff({ ...cfg, maxElapsedTimeMs: 0 }, () => 0.5).next(10 ** 9)).toBe(5000);
  });
});
