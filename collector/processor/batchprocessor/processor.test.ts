import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConsumerError } from '../../component/consumer-error.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import { nullLogger } from '../../telemetry/logger.js';
import { CollectorMetrics } from '../../telemetry/metrics.js';
import { makeTraces, RecordingExporter } from '../../service/testkit.js';
import { defaultBatchConfig, type BatchConfig } from './config.js';
import { BatchProcessor } from './processor.js';

function setup(cfg: Partial<BatchConfig>) {
  const metrics = new CollectorMetrics();
  const sink = new RecordingExporter('sink');
  const p = new BatchProcessor({ ...defaultBatchConfig, ...cfg }, { id: 'batch', logger: nullLogger(), metrics }, sink);
  return { p, sink, metrics };
}

const never = new AbortController().signal;

async function metricValue(metrics: CollectorMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = (await metrics.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
  return (v?.value as number) ?? 0;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('batch processor', () => {
  it('acknowledges at once and sends after the timeout', async () => {
    vi.useFakeTimers();
    const { p, sink, metrics } = setup({ timeoutMs: 200 });
    await p.consumeTraces(makeTraces(3));
    await p.consumeTraces(makeTraces(2));
    expect(sink.spans).toBe(0);
    await vi.advanceTimersByTimeAsync(199);
    expect(sink.spans).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.received.length).toBe(1);
    expect(sink.spans).toBe(5);
    expect(await metricValue(metrics, 'otelcol_processor_batch_timeout_trigger_send_total')).toBe(1);
  });

  it('sends as soon as send_batch_size is reached, whole buffer when max is 0', async () => {
    const { p, sink, metrics } = setup({ sendBatchSize: 10, timeoutMs: 60_000 });
    await p.consumeTraces(makeTraces(6));
    expect(sink.spans).toBe(0);
    await p.consumeTraces(makeTraces(7));
    await vi.waitFor(() => expect(sink.spans).toBe(13));
    expect(sink.received.length).toBe(1);
    expect(await metricValue(metrics, 'otelcol_processor_batch_batch_size_trigger_send_total')).toBe(1);
    await p.shutdown(never);
  });

  it('splits batches above send_batch_max_size and keeps order', async () => {
    const { p, sink } = setup({ sendBatchSize: 4, sendBatchMaxSize: 4, timeoutMs: 0 });
    await p.consumeTraces(makeTraces(10));
    await p.shutdown(never);
    expect(sink.received.map(spanCount)).toEqual([4, 4, 2]);
    const names = sink.received.flatMap((td) => td.resourceSpans[0].scopeSpans[0].spans.map((s) => s.name));
    expect(names).toEqual(Array.from({ length: 10 }, (_, i) => `span-${i}`));
  });

  it('timeout 0 sends immediately', async () => {
    const { p, sink } = setup({ timeoutMs: 0 });
    await p.consumeTraces(makeTraces(1));
    await vi.waitFor(() => expect(sink.spans).toBe(1));
    await p.shutdown(never);
  });

  it('keeps a batch refused retryably downstream and retries it until taken', async () => {
    const { p, sink } = setup({ timeoutMs: 0 });
    sink.refuse = { times: 3, error: ConsumerError.retryable('full', 'queue_full') };
    await p.consumeTraces(makeTraces(5));
    await vi.waitFor(() => expect(sink.spans).toBe(5), { timeout: 3000 });
    expect(sink.refuse.times).toBe(0);
    expect(p.held).toBe(0);
    await p.shutdown(never);
  });

  it('drops (and counts) a batch refused permanently', async () => {
    const { p, sink, metrics } = setup({ timeoutMs: 0 });
    sink.refuse = { times: 1, error: ConsumerError.permanent('bad data') };
    await p.consumeTraces(makeTraces(5));
    await vi.waitFor(async () => expect(await metricValue(metrics, 'meshtrace_spans_dropped_total', { reason: 'invalid_data' })).toBe(5));
    expect(sink.spans).toBe(0);
    await p.shutdown(never);
  });

  it('refuses retryably while its buffer is over the bound (back-pressure)', async () => {
    const { p, sink, metrics } = setup({ sendBatchSize: 10, timeoutMs: 0 });
    sink.refuse = { times: 1_000_000, error: ConsumerError.retryable('down', 'backend_unavailable') };
    expect(p.bound).toBe(1024);
    await p.consumeTraces(makeTraces(1000));
    await p.consumeTraces(makeTraces(24));
    const err = await p.consumeTraces(makeTraces(1)).catch((e) => e);
    expect(err).toBeInstanceOf(ConsumerError);
    expect(err.retryable).toBe(true);
    expect(err.reason).toBe('queue_full');
    expect(await metricValue(metrics, 'otelcol_processor_refused_spans_total', { reason: 'queue_full' })).toBe(1);
    sink.refuse.times = 0; // backend back
    await vi.waitFor(() => expect(sink.spans).toBe(1024), { timeout: 5000 });
    await p.consumeTraces(makeTraces(1)); // accepted again
    await p.shutdown(never);
    expect(sink.spans).toBe(1025);
  });

  it('flushes everything on shutdown and then refuses', async () => {
    const { p, sink } = setup({ timeoutMs: 3_600_000 });
    for (let i = 0; i < 7; i++) await p.consumeTraces(makeTraces(3, 'svc', i * 3));
    await p.shutdown(never);
    expect(sink.spans).toBe(21);
    const err = await p.consumeTraces(makeTraces(1)).catch((e) => e);
    expect(err).toMatchObject({ retryable: true, reason: 'shutting_down' });
  });

  it('counts what is still held at the shutdown deadline as dropped (shutdown_deadline)', async () => {
    const { p, sink, metrics } = setup({ sendBatchSize: 5, sendBatchMaxSize: 5, timeoutMs: 3_600_000 });
    sink.refuse = { times: 1_000_000, error: ConsumerError.retryable('down', 'backend_unavailable') };
    await p.consumeTraces(makeTraces(12));
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 150);
    await p.shutdown(ctl.signal);
    expect(sink.spans).toBe(0);
    expect(p.held).toBe(0);
    expect(await metricValue(metrics, 'meshtrace_spans_dropped_total', { reason: 'shutdown_deadline' })).toBe(12);
  });

  it('records batch send sizes', async () => {
    const { p, metrics } = setup({ timeoutMs: 3_600_000 });
    await p.consumeTraces(makeTraces(42));
    await p.shutdown(never);
    const h = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === 'otelcol_processor_batch_batch_send_size');
    expect(h?.values.find((v) => v.metricName?.endsWith('_sum'))?.value).toBe(42);
  });

  it('ignores empty data', async () => {
    const { p, sink } = setup({ timeoutMs: 0 });
    const empty: TraceData = { resourceSpans: [] };
    await p.consumeTraces(empty);
    await p.shutdown(never);
    expect(sink.received).toEqual([]);
  });
});
