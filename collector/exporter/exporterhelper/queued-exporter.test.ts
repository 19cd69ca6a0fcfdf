import { describe, expect, it } from 'vitest';
import type { Host } from '../../component/component.js';
import { ConsumerError } from '../../component/consumer-error.js';
import type { TraceData } from '../../pdata/model.js';
import { DEFAULT_QUEUE, DEFAULT_RETRY, type QueueConfig, type RetryConfig } from './config.js';
import { PermanentError, RetryableError, type SendFn } from './errors.js';
import { createQueuedEncodedTracesExporter, createQueuedTracesExporter } from './queued-exporter.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { makeTraces, metricSum, spanIds, testSettings, waitFor } from './testutil.js';

const host: Host = { health: { state: 'ready' }, backpressure: { isRefusing: () => false, retryAfterSeconds: () => 1 }, getExtension: () => undefined };
const fastRetry: RetryConfig = { ...DEFAULT_RETRY, initialIntervalMs: 5, maxIntervalMs: 20, maxElapsedTimeMs: 2000 };

function setup(send: SendFn, queue: Partial<QueueConfig> = {}, retry: Partial<RetryConfig> = {}, timeoutMs = 1000) {
  const settings = testSettings('x');
  const exp = createQueuedTracesExporter(settings, { ...DEFAULT_QUEUE, ...queue }, { ...fastRetry, ...retry }, send, { timeoutMs });
  return { exp, m: settings.metrics };
}

const never = () => new AbortController().signal;
const after = (ms: number) => AbortSignal.timeout(ms);

describe('QueuedTracesExporter', () => {
  it('sends what it enqueued, counts it sent, and empties the queue', async () => {
    const got: string[] = [];
    const { exp, m } = setup(async (td) => void got.push(...spanIds(td)));
    await exp.start(host);
    const a = makeTraces(3), b = makeTraces(2);
    await exp.consumeTraces(a);
    await exp.consumeTraces(b);
    await waitFor(() => got.length === 5);
    expect(got.sort()).toEqual([...spanIds(a), ...spanIds(b)].sort());
    await waitFor(() => exp.stats().batches === 0);
    expect(await metricSum(m.exporterSent, { exporter: 'x' })).toBe(5);
    await exp.shutdown(never());
  });

  it('refuses with a retryable queue_full when the span bound is reached, and hasCapacity agrees', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { exp, m } = setup(() => gate, { maxSpans: 10, numConsumers: 1 });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(6));
    expect(exp.hasCapacity(4, 0)).toBe(true);
    expect(exp.hasCapacity(5, 0)).toBe(false);
    await exp.consumeTraces(makeTraces(4));
    const err = await exp.consumeTraces(makeTraces(1)).catch((e) => e);
    expect(err).toBeInstanceOf(ConsumerError);
    expect(err).toMatchObject({ reason: 'queue_full', retryable: true });
    expect(exp.stats()).toMatchObject({ batches: 2, spans: 10 });
    release();
    await waitFor(() => exp.stats().spans === 0);
    expect(await metricSum(m.exporterSent)).toBe(10);
    expect(await metricSum(m.spansDropped)).toBe(0);
    await exp.shutdown(never());
  });

  it('bounds by batches and by bytes too, but always admits one batch into an empty queue', async () => {
    const { exp } = setup(() => new Promise(() => {}), { maxBatches: 2, maxBytes: 1_000_000 }, {}, 0);
    expect(exp.hasCapacity(10 ** 6, 10 ** 9)).toBe(true); // empty
    await exp.consumeTraces(makeTraces(1));
    await exp.consumeTraces(makeTraces(1));
    await expect(exp.consumeTraces(makeTraces(1))).rejects.toMatchObject({ reason: 'queue_full' });
    const { exp: byBytes } = setup(() => new Promise(() => {}), { maxBytes: 2000 }, {}, 0);
    await byBytes.consumeTraces(makeTraces(5, { attrs: 20 })); // > 2000 bytes, admitted: queue was empty
    expect(byBytes.stats().bytes).toBeGreaterThan(2000);
    await expect(byBytes.consumeTraces(makeTraces(1))).rejects.toMatchObject({ reason: 'queue_full' });
    expect(byBytes.hasCapacity(1, 1)).toBe(false);
    await exp.shutdown(after(1));
    await byBytes.shutdown(after(1));
  });

  it('honours a hasCapacity "yes" for the batch that follows even if sizeOf measures it bigger', async () => {
    const settings = testSettings('x');
    const mk = () => createQueuedTracesExporter(settings, { ...DEFAULT_QUEUE, maxBytes: 1000 }, fastRetry, () => new Promise(() => {}), { sizeOf: () => 600, timeoutMs: 0 });
    const exp = mk();
    await exp.consumeTraces(makeTraces(1)); // 600 bytes held
    await expect(exp.consumeTraces(makeTraces(1))).rejects.toMatchObject({ reason: 'queue_full' }); // 1200 > 1000
    expect(exp.hasCapacity(1, 300)).toBe(true); // the fan-out's estimate: 900 <= 1000
    await exp.consumeTraces(makeTraces(1)); // same tick, same batch: admitted
    expect(exp.stats()).toMatchObject({ batches: 2, bytes: 1200 });
    expect(exp.hasCapacity(1, 1)).toBe(false);
    expect(exp.hasCapacity(2, 1)).toBe(false);
    await exp.shutdown(after(1));
  });

  it('retries retryable failures with backoff until the destination takes the data, exactly once', async () => {
    let calls = 0;
    const got: string[] = [];
    const { exp, m } = setup(async (td) => {
      if (++calls <= 3) throw new RetryableError('unavailable');
      got.push(...spanIds(td));
    });
    await exp.start(host);
    const td = makeTraces(4);
    await exp.consumeTraces(td);
    await waitFor(() => got.length === 4);
    expect(got).toEqual(spanIds(td));
    expect(calls).toBe(4);
    expect(await metricSum(m.exporterSendFailed, { reason: 'retryable' })).toBe(12);
    expect(await metricSum(m.spansDropped)).toBe(0);
    await exp.shutdown(never());
  });

  it('treats an unknown error as retryable, like the Collector', async () => {
    let calls = 0;
    const { exp, m } = setup(async () => {
      if (++calls === 1) throw new TypeError('socket hang up');
    });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    await waitFor(() => calls === 2 && exp.stats().spans === 0);
    expect(await metricSum(m.exporterSent)).toBe(2);
    await exp.shutdown(never());
  });

  it('waits at least retryAfterMs before the next attempt', async () => {
    const times: number[] = [];
    const { exp } = setup(async () => {
      times.push(Date.now());
      if (times.length === 1) throw new RetryableError('throttled', { retryAfterMs: 300 });
    });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(1));
    await waitFor(() => times.length === 2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(290);
    await exp.shutdown(never());
  });

  it('retries only retryData when the destination took part of a batch', async () => {
    const td = makeTraces(5);
    const ids = spanIds(td);
    const sends: string[][] = [];
    const { exp, m } = setup(async (batch) => {
      sends.push(spanIds(batch));
      if (sends.length === 1) {
        const retryData: TraceData = { resourceSpans: [{ ...td.resourceSpans[0]!, scopeSpans: [{ spans: td.resourceSpans[0]!.scopeSpans[0]!.spans.slice(3) }] }] };
        throw new RetryableError('2 unprocessed', { retryData });
      }
    });
    await exp.start(host);
    await exp.consumeTraces(td);
    await waitFor(() => sends.length === 2 && exp.stats().spans === 0);
    expect(sends[1]).toEqual(ids.slice(3));
    expect(await metricSum(m.exporterSent)).toBe(5);
    await exp.shutdown(never());
  });

  it('drops permanent failures at once, counted with their reason', async () => {
    let calls = 0;
    const { exp, m } = setup(async () => {
      calls++;
      throw new PermanentError('HTTP 400 Bad Request', 'http_400');
    });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(3));
    await waitFor(() => exp.stats().spans === 0);
    expect(calls).toBe(1);
    expect(await metricSum(m.spansDropped, { component: 'exporter/x', reason: 'http_400' })).toBe(3);
    await exp.shutdown(never());
  });

  it('drops as retry_exhausted once max_elapsed_time would pass', async () => {
    let calls = 0;
    const { exp, m } = setup(async () => {
      calls++;
      throw new RetryableError('down');
    }, {}, { initialIntervalMs: 20, maxIntervalMs: 20, maxElapsedTimeMs: 150, randomizationFactor: 0 });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    await waitFor(() => exp.stats().spans === 0);
    expect(calls).toBeGreaterThanOrEqual(2); // timers may fire late on a loaded machine
    expect(calls).toBeLessThanOrEqual(9); // 150 ms / 20 ms, plus the first attempt
    expect(await metricSum(m.spansDropped, { reason: 'retry_exhausted' })).toBe(2);
    await exp.shutdown(never());
  });

  it('counts partial_success rejections as dropped by the destination', async () => {
    const { exp, m } = setup(async () => ({ rejectedSpans: 2, message: 'bad spans' }));
    await exp.start(host);
    await exp.consumeTraces(makeTraces(5));
    await waitFor(() => exp.stats().spans === 0);
    expect(await metricSum(m.exporterSent)).toBe(3);
    expect(await metricSum(m.spansDropped, { reason: 'rejected_by_destination' })).toBe(2);
    await exp.shutdown(never());
  });

  it('gives each attempt its own timeout, even when send ignores its signal', async () => {
    let calls = 0;
    const { exp, m } = setup(() => (++calls === 1 ? new Promise(() => {}) : Promise.resolve()), {}, {}, 50);
    await exp.start(host);
    await exp.consumeTraces(makeTraces(1));
    await waitFor(() => exp.stats().spans === 0);
    expect(calls).toBe(2);
    expect(await metricSum(m.exporterSent)).toBe(1);
    await exp.shutdown(never());
  });

  it('shutdown drains the queue, retrying, before the deadline', async () => {
    let calls = 0;
    const got: string[] = [];
    const { exp, m } = setup(async (td) => {
      if (++calls % 2 === 1) throw new RetryableError('flaky');
      got.push(...spanIds(td));
    }, { numConsumers: 2 });
    const batches = [makeTraces(3), makeTraces(3), makeTraces(3), makeTraces(3)];
    for (const b of batches) await exp.consumeTraces(b);
    await exp.start(host);
    await exp.shutdown(after(5000));
    expect(got.sort()).toEqual(batches.flatMap(spanIds).sort());
    expect(await metricSum(m.spansDropped)).toBe(0);
    await expect(exp.consumeTraces(makeTraces(1))).rejects.toMatchObject({ reason: 'shutting_down', retryable: true });
    expect(exp.hasCapacity(1, 1)).toBe(false);
  });

  it('shutdown stops at the deadline and counts everything left as shutdown_deadline', async () => {
    const { exp, m } = setup(async () => {
      throw new RetryableError('down');
    }, { numConsumers: 2 }, { initialIntervalMs: 50, maxIntervalMs: 50 });
    await exp.start(host);
    for (let i = 0; i < 5; i++) await exp.consumeTraces(makeTraces(2));
    const t0 = Date.now();
    await exp.shutdown(after(200));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(await metricSum(m.spansDropped, { reason: 'shutdown_deadline' })).toBe(10);
    expect(exp.stats()).toEqual({ batches: 0, spans: 0, bytes: 0 });
  });

  it('keeps memory bounded when the destination fails forever: full queue, then refusals', async () => {
    let attempts = 0;
    const { exp, m } = setup(async () => {
      attempts++;
      throw new RetryableError('down');
    }, { maxSpans: 100, numConsumers: 3 }, { initialIntervalMs: 1, maxIntervalMs: 2, maxElapsedTimeMs: 0 });
    await exp.start(host);
    let accepted = 0, refused = 0;
    for (let i = 0; i < 200; i++) {
      try {
        await exp.consumeTraces(makeTraces(10));
        accepted += 10;
      } catch (e) {
        expect(e).toMatchObject({ reason: 'queue_full' });
        refused += 10;
      }
      if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    expect(accepted).toBe(100);
    expect(refused).toBe(1900);
    expect(exp.stats().spans).toBe(100);
    expect(attempts).toBeGreaterThan(3);
    await exp.shutdown(after(50));
    expect(await metricSum(m.spansDropped, { reason: 'shutdown_deadline' })).toBe(100);
  });

  it('with the queue disabled, sends inside consumeTraces and hands failures back to the caller', async () => {
    let mode: 'ok' | 'down' | 'bad' = 'ok';
    const { exp, m } = setup(async () => {
      if (mode === 'down') throw new RetryableError('down');
      if (mode === 'bad') throw new PermanentError('bad', 'http_400');
    }, { enabled: false }, { maxElapsedTimeMs: 30 });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    expect(await metricSum(m.exporterSent)).toBe(2);
    mode = 'down';
    await expect(exp.consumeTraces(makeTraces(2))).rejects.toMatchObject({ retryable: true, reason: 'backend_unavailable' });
    mode = 'bad';
    await expect(exp.consumeTraces(makeTraces(2))).rejects.toMatchObject({ retryable: false });
    expect(await metricSum(m.spansDropped, { reason: 'http_400' })).toBe(2);
    await exp.shutdown(never());
  });

  it('encoded mode: encodes once at enqueue, holds only bytes (exact byte bound), retries the same bytes', async () => {
    const settings = testSettings('enc');
    let encodes = 0;
    const payloads: Uint8Array[] = [];
    const exp = createQueuedEncodedTracesExporter(
      settings,
      { ...DEFAULT_QUEUE, numConsumers: 1 },
      fastRetry,
      (td) => {
        encodes++;
        return encodeTraceRequest(td);
      },
      async (payload) => {
        payloads.push(payload);
        if (payloads.length === 1) throw new RetryableError('once');
      },
      { timeoutMs: 1000 },
    );
    const td = makeTraces(4);
    await exp.consumeTraces(td);
    expect(encodes).toBe(1);
    expect(exp.stats().bytes).toBe(encodeTraceRequest(td).byteLength);
    await exp.start(host);
    await waitFor(() => exp.stats().spans === 0);
    expect(encodes).toBe(1);
    expect(payloads.length).toBe(2);
    expect(payloads[1]).toBe(payloads[0]);
    expect(spanIds(decodeTraceRequest(payloads[1]!))).toEqual(spanIds(td));
    expect(await metricSum(settings.metrics.exporterSent)).toBe(4);
    await exp.shutdown(never());
  });

  it('encoded mode: a full queue refuses before encoding', async () => {
    let encodes = 0;
    const exp = createQueuedEncodedTracesExporter(testSettings('enc'), { ...DEFAULT_QUEUE, maxSpans: 5 }, fastRetry, (td) => (encodes++, encodeTraceRequest(td)), () => new Promise(() => {}), { timeoutMs: 0 });
    await exp.consumeTraces(makeTraces(5));
    await expect(exp.consumeTraces(makeTraces(1))).rejects.toMatchObject({ reason: 'queue_full' });
    expect(encodes).toBe(1);
    await exp.shutdown(after(1));
  });

  it('refuses data it cannot encode as permanent invalid_data, and a throwing sender path does not kill the senders', async () => {
    const settings = testSettings('enc');
    let sends = 0;
    const exp = createQueuedEncodedTracesExporter(
      settings,
      { ...DEFAULT_QUEUE, numConsumers: 1 },
      fastRetry,
      (td) => {
        if (td.resourceSpans.length === 0 || (td.resourceSpans[0] as { poison?: boolean }).poison) throw new Error('bad bytes');
        return encodeTraceRequest(td);
      },
      async () => {
        sends++;
        if (sends === 1) {
          const poison = makeTraces(1);
          (poison.resourceSpans[0] as { poison?: boolean }).poison = true;
          throw new RetryableError('part', { retryData: poison });
        }
      },
      { timeoutMs: 1000 },
    );
    const bad = makeTraces(1);
    (bad.resourceSpans[0] as { poison?: boolean }).poison = true;
    await expect(exp.consumeTraces(bad)).rejects.toMatchObject({ retryable: false, reason: 'invalid_data' });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2)); // its retryData cannot be encoded
    await exp.consumeTraces(makeTraces(3)); // the sender must still be alive for this one
    await waitFor(() => exp.stats().spans === 0);
    expect(await metricSum(settings.metrics.spansDropped, { reason: 'internal_error' })).toBe(1);
    expect(sends).toBe(2);
    await exp.shutdown(never());
  });
});
