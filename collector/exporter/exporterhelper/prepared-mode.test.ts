import { describe, expect, it } from 'vitest';
import type { Host } from '../../component/component.js';
import type { TraceData } from '../../pdata/model.js';
import { DEFAULT_QUEUE, DEFAULT_RETRY, type QueueConfig, type RetryConfig } from './config.js';
import { PermanentError, RetryableError } from './errors.js';
import { createQueuedPreparedTracesExporter, type PreparedBatch, type SendPreparedFn } from './queued-exporter.js';
import { makeTraces, metricSum, spanIds, testSettings, waitFor } from './testutil.js';

const host: Host = { health: { state: 'ready' }, backpressure: { isRefusing: () => false, retryAfterSeconds: () => 1 }, getExtension: () => undefined };
const fastRetry: RetryConfig = { ...DEFAULT_RETRY, initialIntervalMs: 5, maxIntervalMs: 20, maxElapsedTimeMs: 2000 };
const never = () => new AbortController().signal;

/** A payload like awsxray's: one string per span; spans whose ID ends in 0xff are "untranslatable". */
type Payload = string[];

function prepareStrings(log: { prepares: number; accepted: number }) {
  return (td: TraceData): PreparedBatch<Payload> => {
    log.prepares++;
    const ids = spanIds(td);
    const kept = ids.filter((id) => !id.endsWith('ff'));
    return {
      payload: kept,
      spans: kept.length,
      bytes: kept.reduce((n, s) => n + s.length, 0),
      onAccepted: () => void (log.accepted += ids.length - kept.length),
    };
  };
}

function setup(send: SendPreparedFn<Payload>, queue: Partial<QueueConfig> = {}) {
  const settings = testSettings('prep');
  const log = { prepares: 0, accepted: 0 };
  const exp = createQueuedPreparedTracesExporter(settings, { ...DEFAULT_QUEUE, numConsumers: 1, ...queue }, fastRetry, prepareStrings(log), send, { timeoutMs: 1000 });
  return { exp, m: settings.metrics, log };
}

describe('QueuedTracesExporter, prepared mode', () => {
  it('prepares once at enqueue, holds the payload (its byte count), sends it', async () => {
    const sent: Payload[] = [];
    const { exp, m, log } = setup(async (p) => void sent.push(p));
    const td = makeTraces(4);
    await exp.consumeTraces(td);
    expect(log.prepares).toBe(1);
    expect(exp.stats()).toEqual({ batches: 1, spans: 4, bytes: 4 * 16 });
    await exp.start(host);
    await waitFor(() => exp.stats().batches === 0);
    expect(sent).toEqual([spanIds(td)]);
    expect(log.prepares).toBe(1);
    expect(await metricSum(m.exporterSent)).toBe(4);
    await exp.shutdown(never());
  });

  it('retryPayload retries exactly that part; the rest counts as sent', async () => {
    const sent: Payload[] = [];
    const { exp, m } = setup(async (p) => {
      sent.push(p);
      if (sent.length === 1) throw new RetryableError('2 unprocessed', { retryPayload: { payload: p.slice(1, 3), spans: 2 } });
    });
    await exp.start(host);
    const td = makeTraces(5);
    await exp.consumeTraces(td);
    await waitFor(() => exp.stats().batches === 0);
    expect(sent).toEqual([spanIds(td), spanIds(td).slice(1, 3)]);
    expect(await metricSum(m.exporterSent)).toBe(5);
    expect(await metricSum(m.spansDropped)).toBe(0);
    await exp.shutdown(never());
  });

  it('spans prepare dropped are not held or counted sent; onAccepted runs once, and not for a refused batch', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const { exp, m, log } = setup(() => gate, { maxBytes: 100 });
    const td = makeTraces(3);
    td.resourceSpans[0].scopeSpans[0].spans[1].spanId[7] = 0xff;
    await exp.consumeTraces(td);
    expect(exp.stats().spans).toBe(2);
    expect(log.accepted).toBe(1);
    // Bytes bound: 2 × 16 held; 6 more spans, one dropped by prepare (5 × 16 = 80 bytes), do not
    // fit in 100 → refused, and onAccepted does not run (the client will send them again).
    const more = makeTraces(6);
    more.resourceSpans[0].scopeSpans[0].spans[0].spanId[7] = 0xff;
    await expect(exp.consumeTraces(more)).rejects.toMatchObject({ retryable: true, reason: 'queue_full' });
    expect(log.accepted).toBe(1);
    // A batch whose every span is dropped by prepare is accepted but nothing is queued.
    const none = makeTraces(1);
    none.resourceSpans[0].scopeSpans[0].spans[0].spanId[7] = 0xff;
    await exp.consumeTraces(none);
    expect(log.accepted).toBe(2);
    expect(exp.stats()).toMatchObject({ batches: 1, spans: 2 });
    await exp.start(host);
    release();
    await waitFor(() => exp.stats().batches === 0);
    expect(await metricSum(m.exporterSent)).toBe(2);
    await exp.shutdown(never());
  });

  it('a permanent refusal drops the payload’s spans with its reason', async () => {
    const { exp, m } = setup(async () => {
      throw new PermanentError('bad', 'xray_400');
    });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(3));
    await waitFor(() => exp.stats().batches === 0);
    expect(await metricSum(m.spansDropped, { reason: 'xray_400' })).toBe(3);
    await exp.shutdown(never());
  });

  it('queue disabled: prepares and sends within consumeTraces', async () => {
    const sent: Payload[] = [];
    const { exp, log } = setup(async (p) => void sent.push(p), { enabled: false });
    await exp.start(host);
    const td = makeTraces(2);
    await exp.consumeTraces(td);
    expect(sent).toEqual([spanIds(td)]);
    expect(log.prepares).toBe(1);
    await exp.shutdown(never());
  });
});
