import v8 from 'node:v8';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConsumerError } from '../../component/consumer-error.js';
import { nullLogger } from '../../telemetry/logger.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';
import { ServiceHost } from '../../service/host.js';
import { makeTraces, RecordingExporter } from '../../service/testkit.js';
import { MemoryLimiterProcessor, availableMemoryBytes } from './processor.js';
import { liveMemoryBytes } from '../../telemetry/process-memory.js';

const MiB = 1024 * 1024;

function setup(measure: () => number, cfg = { checkIntervalMs: 1000, limitMiB: 100, spikeLimitMiB: 20, limitPercentage: 0, spikeLimitPercentage: 0 }, total?: number) {
  const sink = new RecordingExporter('sink');
  const host = new ServiceHost();
  const p = new MemoryLimiterProcessor(cfg, { id: 'memory_limiter', logger: nullLogger(), metrics: new CollectorMetrics() }, sink, measure, total);
  return { p, sink, host };
}

describe('memory_limiter processor', () => {
  it('computes soft = limit − spike, in MiB or as percentages of available memory', () => {
    expect(setup(() => 0).p.softLimitBytes).toBe(80 * MiB);
    const pct = setup(() => 0, { checkIntervalMs: 1000, limitMiB: 0, spikeLimitMiB: 0, limitPercentage: 80, spikeLimitPercentage: 25 }, 1000 * MiB);
    expect(pct.p.hardLimitBytes).toBe(800 * MiB);
    expect(pct.p.softLimitBytes).toBe(550 * MiB);
  });

  it('passes data through below the soft limit, refuses retryably above it and sets host back-pressure', async () => {
    let used = 10 * MiB;
    const { p, sink, host } = setup(() => used);
    await p.start(host);
    await p.consumeTraces(makeTraces(2));
    expect(sink.spans).toBe(2);
    expect(host.backpressure.isRefusing()).toBe(false);

    used = 85 * MiB;
    p.check();
    expect(host.backpressure.isRefusing()).toBe(true);
    expect(host.backpressure.retryAfterSeconds()).toBe(1);
    const err = await p.consumeTraces(makeTraces(3)).catch((e) => e);
    expect(err).toBeInstanceOf(ConsumerError);
    expect(err).toMatchObject({ retryable: true, reason: 'memory_limit', retryAfterSeconds: 1 });
    expect(sink.spans).toBe(2);

    used = 79 * MiB;
    p.check();
    expect(host.backpressure.isRefusing()).toBe(false);
    await p.consumeTraces(makeTraces(1));
    expect(sink.spans).toBe(3);
    await p.shutdown(new AbortController().signal);
  });

  it('clears its back-pressure on shutdown', async () => {
    const { p, host } = setup(() => 99 * MiB);
    await p.start(host);
    expect(host.backpressure.isRefusing()).toBe(true);
    await p.shutdown(new AbortController().signal);
    expect(host.backpressure.isRefusing()).toBe(false);
  });

  it('measures live JS memory of this process and a plausible available total', () => {
    const live = liveMemoryBytes();
    expect(live).toBeGreaterThan(1 * MiB);
    expect(live).toBeLessThan(process.memoryUsage.rss() * 4);
    expect(availableMemoryBytes()).toBeGreaterThan(live);
  });

  it('applies percentages to at most the V8 heap limit, which the measured heap cannot exceed', () => {
    const heapLimit = v8.getHeapStatistics().heap_size_limit;
    expect(availableMemoryBytes()).toBeLessThanOrEqual(heapLimit);
    expect(availableMemoryBytes()).toBeLessThanOrEqual(os.totalmem());
    // With the default total, an 80 % limit lies below the heap limit, so it can trigger.
    const p = new MemoryLimiterProcessor(
      { checkIntervalMs: 1000, limitMiB: 0, spikeLimitMiB: 0, limitPercentage: 80, spikeLimitPercentage: 25 },
      { id: 'memory_limiter', logger: nullLogger(), metrics: new CollectorMetrics() },
      { consumeTraces: async () => {} },
      () => 0,
    );
    expect(p.hardLimitBytes).toBeLessThan(heapLimit);
  });
});
