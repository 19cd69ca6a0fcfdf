/**
 * The whole exporter (config → queue → epochs → translation → PutTraceSegments / UDP) against a
 * local fake X-Ray endpoint that verifies SigV4, a UDP daemon listener, and a real Redis.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseFileStorageConfig } from '../../extension/filestorageextension/config.js';
import { FileStorageExtension } from '../../extension/filestorageextension/extension.js';
import { startRedisTestServer, type RedisTestServer } from '../../../scripts/redis-test-server.js';
import type { Host, TracesExporter } from '../../component/component.js';
import { ConfigIssues } from '../../config/issues.js';
import type { Span, TraceData } from '../../pdata/model.js';
import { metricSum, testSettings, waitFor } from '../exporterhelper/testutil.js';
import { parseAwsXrayConfig } from './config.js';
import { createAwsXrayExporter } from './factory.js';
import { NOW_MS, NOW_SEC, freshSpanId, resource, span, traces } from './testdata/build.js';
import { FakeDaemon } from './testdata/fake-daemon.js';
import { FakeSts, FakeXray, TEMP_CREDENTIALS, TEST_CREDENTIALS, TEST_REGION } from './testdata/fake-xray.js';
import { DAEMON_HEADER } from './send/daemon-sender.js';
import { traceIdHash } from './traceid/epoch.js';
import { hex } from './testdata/build.js';
import { seededRng } from '../../../test/seeded-rng.js';

const host: Host = { health: { state: 'ready' }, backpressure: { isRefusing: () => false, retryAfterSeconds: () => 0 }, getExtension: () => undefined };

const FAST_RETRY = { initial_interval: '10ms', max_interval: '40ms', max_elapsed_time: '3s', randomization_factor: 0 };

function config(raw: Record<string, unknown>) {
  const issues = new ConfigIssues();
  const cfg = parseAwsXrayConfig({ retry_on_failure: FAST_RETRY, sending_queue: { num_consumers: 2 }, ...raw }, 'exporters.awsxray', issues);
  expect(issues.errors).toEqual([]);
  return cfg;
}

const running: Array<{ exp: TracesExporter }> = [];
async function exporter(raw: Record<string, unknown>, o: { credentials?: typeof TEST_CREDENTIALS | null; id?: string } = {}) {
  const settings = testSettings(o.id ?? 'awsxray');
  const credentials = o.credentials === null ? undefined : (o.credentials ?? TEST_CREDENTIALS);
  const exp = createAwsXrayExporter(config(raw), settings, { credentials, now: () => NOW_MS });
  await exp.start(host);
  running.push({ exp });
  return { exp, settings };
}

async function stopAll() {
  while (running.length) {
    const { exp } = running.pop()!;
    await exp.shutdown(AbortSignal.timeout(5000));
  }
}

/** `n` spans, `perTrace` per trace, distinct span IDs, random-looking (non-epoch) trace IDs. */
function spans(n: number, perTrace = 1, attrs: Record<string, unknown> = { 'http.method': 'GET', 'http.status_code': '200' }): TraceData {
  const out: Span[] = [];
  for (let i = 0; i < n; i++) {
    const t = Math.floor(i / perTrace);
    out.push(span({ traceId: `f${(t + 1).toString(16).padStart(7, '0')}a3ce929d0e0e4736abcdef01`, spanId: freshSpanId(), startSec: NOW_SEC - 20 + i * 0.001, attributes: attrs }));
  }
  return traces(resource({ 'service.name': 'checkout' }), out);
}

function ids(td: TraceData): string[] {
  return td.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((s) => Buffer.from(s.spanId).toString('hex'))));
}

describe('awsxray exporter → PutTraceSegments (fake X-Ray with SigV4 check)', () => {
  let fake: FakeXray;
  beforeAll(async () => {
    fake = new FakeXray();
    await fake.start();
  });
  afterEach(async () => {
    await stopAll();
    fake.calls.length = 0;
    fake.accepted.length = 0;
    fake.duplicates = 0;
    fake.forget();
    fake.clearQueued();
  });
  afterAll(() => fake.stop());

  it('sends every span once, at most 50 documents per signed call', async () => {
    const { exp, settings } = await exporter({ endpoint: fake.url, region: TEST_REGION });
    const td = spans(120, 4);
    await exp.consumeTraces(td);
    await waitFor(() => fake.accepted.length >= 120, 10_000, '120 documents');
    expect(fake.calls.every((c) => c.signatureOk)).toBe(true);
    expect(fake.calls.map((c) => c.documents.length).sort((a, b) => b - a)).toEqual([50, 50, 20]);
    expect(fake.acceptedIds().sort()).toEqual(ids(td).sort());
    // The metric follows the fake's answer: poll for it.
    await expect.poll(() => metricSum(settings.metrics.exporterSent, { exporter: 'awsxray' })).toBe(120);
    const doc = JSON.parse(fake.accepted[0]);
    expect(doc.trace_id).toMatch(/^1-[0-9a-f]{8}-a3ce929d0e0e4736abcdef01$/);
    expect(doc.http.response.status).toBe(200);
  });

  it('a root CLIENT span becomes two documents (caller segment + call) but counts as one sent span, also through a retry', async () => {
    const { exp, settings } = await exporter({ endpoint: fake.url, region: TEST_REGION, sending_queue: { num_consumers: 1 } });
    const out: Span[] = [];
    for (let i = 0; i < 10; i++) {
      out.push(span({ traceId: `e${(i + 1).toString(16).padStart(7, '0')}a3ce929d0e0e4736abcdef01`, spanId: freshSpanId(), kind: 3, startSec: NOW_SEC - 20 + i * 0.001,
        attributes: { 'http.method': 'GET', 'http.url': 'http://httpbin.default:8000/get', 'http.status_code': '200' } }));
    }
    fake.unprocessNext(5); // some callers' segments and some calls come back: retried alone
    await exp.consumeTraces(traces(resource({ 'service.name': 'sleep' }), out));
    await waitFor(() => fake.accepted.length >= 20, 10_000, '20 documents');
    expect(fake.calls.length).toBe(2);
    const docs = fake.accepted.map((d) => JSON.parse(d) as { type?: string; name: string });
    expect(docs.filter((d) => d.type === 'subsegment').length).toBe(10);
    await expect.poll(() => metricSum(settings.metrics.exporterSent, { exporter: 'awsxray' })).toBe(10);
    expect(await metricSum(settings.metrics.spansDropped)).toBe(0);
  });

  it('retries exactly the UnprocessedTraceSegments, not the whole batch', async () => {
    const { exp, settings } = await exporter({ endpoint: fake.url, region: TEST_REGION, sending_queue: { num_consumers: 1 } });
    fake.unprocessNext(7);
    const td = spans(30);
    await exp.consumeTraces(td);
    await waitFor(() => fake.accepted.length >= 30, 10_000, 'all documents');
    expect(fake.calls.length).toBe(2);
    expect(fake.calls[1].documents.length).toBe(7);
    expect(fake.calls[1].documents).toEqual(fake.calls[0].documents.slice(0, 7)); // the same documents again
    expect(fake.acceptedIds().sort()).toEqual(ids(td).sort()); // each exactly once
    expect(await metricSum(settings.metrics.registry.getSingleMetric('meshtrace_xray_unprocessed_segments_total'))).toBe(7);
    expect(await metricSum(settings.metrics.spansDropped)).toBe(0);
  });

  it('ThrottledException is retried with backoff until accepted', async () => {
    const { exp, settings } = await exporter({ endpoint: fake.url, region: TEST_REGION, sending_queue: { num_consumers: 1 } });
    fake.throttleNext(3);
    const td = spans(10);
    await exp.consumeTraces(td);
    await waitFor(() => fake.accepted.length >= 10, 10_000, 'documents after throttling');
    expect(fake.calls.filter((c) => c.status === 429).length).toBe(3);
    expect(fake.acceptedIds().sort()).toEqual(ids(td).sort());
    expect(await metricSum(settings.metrics.exporterSendFailed, { reason: 'retryable' })).toBe(30);
  });

  it('a 5xx is retried; a 400 is dropped for good with its reason', async () => {
    const { exp, settings } = await exporter({ endpoint: fake.url, region: TEST_REGION, sending_queue: { num_consumers: 1 } });
    fake.errorNext(503, 'ServiceUnavailableException');
    await exp.consumeTraces(spans(5));
    await waitFor(() => fake.accepted.length >= 5, 10_000, 'after 503');
    fake.errorNext(400, 'InvalidRequestException');
    await exp.consumeTraces(spans(4));
    await waitFor(() => fake.calls.length >= 3, 5000, 'the refused call');
    await exp.shutdown(AbortSignal.timeout(3000));
    running.pop();
    expect(fake.calls.length).toBe(3); // not retried
    expect(await metricSum(settings.metrics.spansDropped, { reason: 'xray_400' })).toBe(4);
  });

  it('ThrottlingException answered with HTTP 400 is retried, not dropped', async () => {
    const { exp, settings } = await exporter({ endpoint: fake.url, region: TEST_REGION, sending_queue: { num_consumers: 1 } });
    fake.throttleNext(2, 400, 'ThrottlingException');
    const td = spans(6);
    await exp.consumeTraces(td);
    await waitFor(() => fake.accepted.length >= 6, 10_000, 'documents after 400 throttling');
    expect(fake.acceptedIds().sort()).toEqual(ids(td).sort());
    expect(await metricSum(settings.metrics.spansDropped)).toBe(0);
    await expect.poll(() => metricSum(settings.metrics.exporterSent)).toBe(6);
  });

  it('a batch partly refused (400) and partly unprocessed: refused segments are dropped, never counted as sent; the rest arrives once', async () => {
    const { exp, settings } = await exporter({ endpoint: fake.url, region: TEST_REGION, sending_queue: { num_consumers: 1 } });
    // 120 documents = calls of 50, 50, 20; the sender runs them 4 at a time, so which call meets
    // which answer is not fixed: count by outcome instead.
    fake.unprocessNext(7);
    fake.errorNext(400, 'InvalidRequestException');
    const td = spans(120);
    await exp.consumeTraces(td);
    await waitFor(() => exp.stats().spans === 0, 10_000, 'the batch settled');
    const refused = fake.calls.find((c) => c.status === 400)!.documents.length;
    expect(fake.accepted.length).toBe(120 - refused);
    expect(fake.duplicates).toBe(0);
    expect(await metricSum(settings.metrics.exporterSent)).toBe(120 - refused);
    expect(await metricSum(settings.metrics.spansDropped, { reason: 'xray_400' })).toBe(refused);
    expect(await metricSum(settings.metrics.spansDropped)).toBe(refused);
  });

  it('under unprocessed segments, throttling (429 and 400), 500s and answers slower than `timeout`: every segment arrives exactly once and is counted once', async () => {
    const rng = seededRng(9);
    fake.setChaos({ unprocessed: 0.15, throttle429: 0.05, throttle400: 0.05, error500: 0.05, slow: 0.05, slowMs: 600, random: () => rng.next() });
    try {
      const { exp, settings } = await exporter({
        endpoint: fake.url,
        region: TEST_REGION,
        timeout: '250ms',
        retry_on_failure: { ...FAST_RETRY, max_elapsed_time: 0 },
        sending_queue: { num_consumers: 4 },
      });
      // Besides the random trouble, at least one slow call and one 400 throttling for sure.
      fake.slowNext(600);
      fake.throttleNext(1, 400, 'ThrottlingException');
      const all: string[] = [];
      for (let b = 0; b < 20; b++) {
        const td = spans(100, 5);
        all.push(...ids(td));
        await exp.consumeTraces(td);
      }
      await waitFor(() => fake.accepted.length >= all.length, 60_000, 'every segment');
      await waitFor(() => exp.stats().spans === 0, 10_000, 'the queue empty');
      // A slow call the exporter gave up on (and resent) is still asleep in the fake: let it wake
      // and find its client gone before looking at the calls.
      await waitFor(() => fake.slowInFlight === 0, 10_000, 'slow calls decided');
      expect(fake.duplicates).toBe(0);
      expect(fake.acceptedIds().sort()).toEqual(all.sort());
      expect(fake.calls.some((c) => c.status === 0)).toBe(true); // slow calls were abandoned
      expect(fake.calls.some((c) => c.status === 400)).toBe(true);
      expect(await metricSum(settings.metrics.exporterSent)).toBe(all.length);
      expect(await metricSum(settings.metrics.spansDropped)).toBe(0);
    } finally {
      fake.setChaos(undefined);
    }
  }, 90_000);

  it('default retry, 15 % of segments unprocessed: throughput stays within 20 % of the offered 500 segments/s', async () => {
    const rng = seededRng(15);
    fake.setChaos({ unprocessed: 0.15, random: () => rng.next() });
    try {
      // The Collector's retry defaults (5 s initial interval) and queue (10 senders): a remainder
      // waits off the senders, so the next batches go out at once.
      const { exp } = await exporter({ endpoint: fake.url, region: TEST_REGION, retry_on_failure: {}, sending_queue: {} });
      // Measured once retries are flowing (from 4 s on; the first remainders are due after
      // 2.5-7.5 s): the steady state a long-running collector sees.
      const seconds = 10;
      const measureFrom = 4;
      const offered = 500;
      const started = Date.now();
      let sent = 0;
      let mark: { t: number; n: number } | undefined;
      while (Date.now() - started < seconds * 1000) {
        const elapsed = (Date.now() - started) / 1000;
        if (!mark && elapsed >= measureFrom) mark = { t: Date.now(), n: fake.accepted.length };
        if (Math.floor(elapsed * offered) - sent >= 50) {
          await exp.consumeTraces(spans(50));
          sent += 50;
        } else await new Promise((r) => setTimeout(r, 10));
      }
      const rate = (fake.accepted.length - mark!.n) / ((Date.now() - mark!.t) / 1000);
      expect(sent).toBeGreaterThanOrEqual(offered * seconds * 0.9); // the offer itself was made
      expect(rate).toBeGreaterThanOrEqual(offered * 0.8);
      expect(fake.duplicates).toBe(0);
    } finally {
      fake.setChaos(undefined);
    }
  }, 40_000);

  it('sending_queue.storage: segments queued while X-Ray fails survive a restart and arrive exactly once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mt-xray-pq-'));
    const storage = async () => {
      const issues = new ConfigIssues();
      const ext = new FileStorageExtension(parseFileStorageConfig({ directory: dir }, 'extensions.file_storage', issues), testSettings('file_storage'));
      await ext.start();
      return { ext, host: { ...host, getExtension: (id: string) => (id === 'file_storage' ? ext : undefined) } };
    };
    const raw = { endpoint: fake.url, region: TEST_REGION, sending_queue: { storage: 'file_storage', num_consumers: 2 } };
    fake.errorNext(503, 'ServiceUnavailableException', 1000);
    const run1 = await storage();
    const a = createAwsXrayExporter(config(raw), testSettings('awsxray'), { credentials: TEST_CREDENTIALS, now: () => NOW_MS });
    await a.start(run1.host);
    const batches = [spans(30, 3), spans(70, 7)];
    for (const td of batches) await a.consumeTraces(td);
    await waitFor(() => fake.calls.length >= 2, 5000, 'failing attempts');
    await a.shutdown(AbortSignal.timeout(200));
    await run1.ext.shutdown(AbortSignal.timeout(1000));
    expect(fake.accepted.length).toBe(0);

    fake.clearQueued(); // X-Ray is back
    const run2 = await storage();
    const settings = testSettings('awsxray');
    const b = createAwsXrayExporter(config(raw), settings, { credentials: TEST_CREDENTIALS, now: () => NOW_MS });
    await b.start(run2.host);
    await waitFor(() => fake.accepted.length >= 100, 10_000, 'the stored segments');
    expect(fake.acceptedIds().sort()).toEqual(batches.flatMap(ids).sort());
    expect(fake.duplicates).toBe(0);
    await expect.poll(() => metricSum(settings.metrics.exporterSent)).toBe(100);
    await b.shutdown(AbortSignal.timeout(2000));
    await run2.ext.shutdown(AbortSignal.timeout(1000));
  });

  it('a wrong secret fails the fake’s signature check and is never accepted (the check is real)', async () => {
    const { exp, settings } = await exporter(
      { endpoint: fake.url, region: TEST_REGION, retry_on_failure: { ...FAST_RETRY, max_elapsed_time: '200ms' } },
      { credentials: { accessKeyId: TEST_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' } },
    );
    await exp.consumeTraces(spans(3));
    await waitFor(() => fake.calls.length >= 2, 5000, 'signed attempts');
    expect(fake.calls.every((c) => !c.signatureOk && c.status === 403)).toBe(true);
    expect(fake.accepted.length).toBe(0);
    await exp.shutdown(AbortSignal.timeout(3000));
    running.pop();
    const dropped = await metricSum(settings.metrics.spansDropped);
    expect(dropped).toBe(3); // retry time exhausted (or shutdown deadline), counted
  });

  it('spans that cannot become documents are counted; the rest are sent', async () => {
    const { exp, settings } = await exporter({ endpoint: fake.url, region: TEST_REGION });
    const td = spans(5);
    td.resourceSpans[0].scopeSpans[0].spans[2].traceId = new Uint8Array(3);
    await exp.consumeTraces(td);
    await waitFor(() => fake.accepted.length >= 4, 5000, 'valid documents');
    expect(await metricSum(settings.metrics.spansDropped, { reason: 'invalid_trace_id' })).toBe(1);
  });

  it('a hung endpoint hits the timeout and is retried', async () => {
    const { exp } = await exporter({ endpoint: fake.url, region: TEST_REGION, timeout: '200ms', sending_queue: { num_consumers: 1 } });
    fake.hangNext();
    await exp.consumeTraces(spans(2));
    await waitFor(() => fake.accepted.length >= 2, 10_000, 'after the timeout');
    expect(fake.calls.length).toBe(2);
  });

  it('role_arn: assumes the role through STS (default chain as the caller) and signs with the temporary credentials', async () => {
    const sts = new FakeSts();
    await sts.start();
    fake.allow(TEMP_CREDENTIALS.accessKeyId, TEMP_CREDENTIALS.secretAccessKey);
    const saved = { ...process.env };
    // The default credential chain finds the long-term test credentials in the environment;
    // AWS_ENDPOINT_URL_STS is the SDK's standard per-service endpoint override.
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    process.env.AWS_ENDPOINT_URL_STS = sts.url;
    try {
      const roleArn = 'arn:aws:iam::123456789012:role/xray-writer';
      const { exp } = await exporter({ endpoint: fake.url, region: TEST_REGION, role_arn: roleArn, external_id: 'mesh-1' }, { credentials: null });
      await exp.consumeTraces(spans(3));
      await waitFor(() => fake.accepted.length >= 3, 10_000, 'documents signed with the assumed role');
      expect(sts.calls.length).toBeGreaterThanOrEqual(1);
      expect(sts.calls[0]).toMatchObject({ roleArn, sessionName: 'meshtrace-collector', externalId: 'mesh-1', signatureOk: true });
      const ok = fake.calls.filter((c) => c.status === 200);
      expect(ok.every((c) => c.accessKeyId === TEMP_CREDENTIALS.accessKeyId && c.securityToken === TEMP_CREDENTIALS.sessionToken)).toBe(true);
    } finally {
      for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_ENDPOINT_URL_STS']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
      await stopAll();
      await sts.stop();
    }
  });

  it('no region anywhere: start fails with a clear message', async () => {
    const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION, c: process.env.AWS_CONFIG_FILE };
    delete process.env.AWS_REGION;
    delete process.env.AWS_DEFAULT_REGION;
    process.env.AWS_CONFIG_FILE = '/nonexistent/meshtrace-test';
    try {
      const exp = createAwsXrayExporter(config({ endpoint: fake.url }), testSettings(), { credentials: TEST_CREDENTIALS });
      await expect(exp.start(host)).rejects.toThrow(/no AWS region.*exporters\.awsxray\.region/);
      await exp.shutdown(AbortSignal.timeout(1000));
    } finally {
      if (saved.r !== undefined) process.env.AWS_REGION = saved.r;
      if (saved.d !== undefined) process.env.AWS_DEFAULT_REGION = saved.d;
      if (saved.c !== undefined) process.env.AWS_CONFIG_FILE = saved.c;
      else delete process.env.AWS_CONFIG_FILE;
    }
  });

  describe('two collector instances (two exporters in one process)', () => {
    const W = 3600;
    // A trace whose own window boundary lies between its two spans.
    const trace = '9bf92f3577b34da6a3ce929d0e0e4736';
    const off = traceIdHash(hex(trace)) % W;
    const boundary = Math.floor((NOW_SEC - 600 - off) / W) * W + off;
    const spanAt = (startSec: number) => traces(resource(), [span({ traceId: trace, spanId: freshSpanId(), startSec })]);
    const calm = '8bf92f3577b34da6a3ce929d0e0e4736';
    const calmAt = (startSec: number) => traces(resource(), [span({ traceId: calm, spanId: freshSpanId(), startSec })]);

    let redis: RedisTestServer;
    beforeAll(async () => {
      redis = await startRedisTestServer();
    });
    afterAll(() => redis?.stop());

    const traceIdsOf = () => fake.accepted.map((d) => JSON.parse(d).trace_id as string);

    it('without Redis: agree inside the window, disagree when straddling (the documented d/W case)', async () => {
      const a = await exporter({ endpoint: fake.url, region: TEST_REGION }, { id: 'a' });
      const b = await exporter({ endpoint: fake.url, region: TEST_REGION }, { id: 'b' });
      await a.exp.consumeTraces(calmAt(NOW_SEC - 30));
      await b.exp.consumeTraces(calmAt(NOW_SEC - 20));
      await waitFor(() => fake.accepted.length >= 2, 5000, 'calm trace');
      expect(new Set(traceIdsOf()).size).toBe(1);
      fake.accepted.length = 0;
      await a.exp.consumeTraces(spanAt(boundary - 1));
      await b.exp.consumeTraces(spanAt(boundary + 1));
      await waitFor(() => fake.accepted.length >= 2, 5000, 'straddling trace');
      expect(new Set(traceIdsOf()).size).toBe(2);
    });

    it('with a shared Redis: one trace ID even when straddling', async () => {
      const a = await exporter({ endpoint: fake.url, region: TEST_REGION, epoch_store: redis.url }, { id: 'a' });
      const b = await exporter({ endpoint: fake.url, region: TEST_REGION, epoch_store: redis.url }, { id: 'b' });
      await a.exp.consumeTraces(spanAt(boundary - 1));
      await waitFor(() => fake.accepted.length >= 1, 5000, 'first span');
      await b.exp.consumeTraces(spanAt(boundary + 1));
      await waitFor(() => fake.accepted.length >= 2, 5000, 'second span');
      const idsSeen = traceIdsOf();
      expect(idsSeen[0]).toBe(idsSeen[1]);
      expect(await metricSum(a.settings.metrics.registry.getSingleMetric('meshtrace_xray_epoch_store_fallbacks_total'))).toBe(0);
      expect(await metricSum(b.settings.metrics.registry.getSingleMetric('meshtrace_xray_epoch_store_fallbacks_total'))).toBe(0);
      expect(JSON.parse(fake.accepted[1]).annotations.otel_trace_id).toBe(trace);
    });

    it('with Redis unreachable: spans still flow (deterministic rule), fallbacks counted', async () => {
      const a = await exporter({ endpoint: fake.url, region: TEST_REGION, epoch_store: 'redis://127.0.0.1:1', epoch_store_timeout: '50ms' }, { id: 'a' });
      await a.exp.consumeTraces(calmAt(NOW_SEC - 10));
      await waitFor(() => fake.accepted.length >= 1, 5000, 'span despite redis down');
      expect(await metricSum(a.settings.metrics.registry.getSingleMetric('meshtrace_xray_epoch_store_fallbacks_total'))).toBe(1);
    });
  });
});

describe('awsxray exporter → X-Ray daemon over UDP', () => {
  let daemon: FakeDaemon;
  beforeAll(async () => {
    daemon = new FakeDaemon();
    await daemon.start();
  });
  afterAll(async () => {
    await stopAll();
    await daemon.stop();
  });

  it('one document per datagram behind the daemon header line', async () => {
    const { exp, settings } = await exporter({ daemon_address: daemon.address });
    const td = spans(25, 5);
    await exp.consumeTraces(td);
    await waitFor(() => daemon.datagrams.length >= 25, 5000, '25 datagrams');
    for (const d of daemon.datagrams) {
      expect(d.header).toBe(DAEMON_HEADER.trimEnd());
      expect(d.problem).toBeUndefined();
      expect(d.bytes).toBeLessThanOrEqual(65_507);
    }
    expect(daemon.datagrams.map((d) => (d.document as { id: string }).id).sort()).toEqual(ids(td).sort());
    await expect.poll(() => metricSum(settings.metrics.exporterSent)).toBe(25);
  });

  it('large documents are trimmed to fit one datagram', async () => {
    daemon.datagrams.length = 0;
    const { exp } = await exporter({ daemon_address: daemon.address });
    await exp.consumeTraces(spans(1, 1, { blob: 'x'.repeat(70_000) }));
    await waitFor(() => daemon.datagrams.length >= 1, 5000, 'datagram');
    const doc = daemon.datagrams[0].document as { annotations: Record<string, unknown> };
    expect(doc.annotations.meshtrace_trimmed).toBe(true);
    expect(daemon.datagrams[0].bytes).toBeLessThanOrEqual(65_507);
  });
});
