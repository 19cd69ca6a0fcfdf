import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Factory } from '../../component/component.js';
import { ConfigIssues } from '../../config/issues.js';
import { encodeTraceRequest, encodeTraceResponse } from '../../pdata/otlp-proto.js';
import { SYNC_GZIP_MAX_BYTES } from './http-sender.js';
import { encodeRpcStatus } from '../../receiver/internal/rpc-status.js';
import { createTestExporter, makeTraces, metricSum, readyHost, spanIds, testSettings, waitFor } from '../exporterhelper/testutil.js';
import type { QueuedTracesExporter } from '../exporterhelper/queued-exporter.js';
import { makeCerts, type TestCerts } from '../otlpexporter/testkit.js';
import { otlpHttpExporterFactory } from './factory.js';
import { FakeHttpBackend } from './testkit.js';
import type https from 'node:https';

const host = readyHost;
const fastRetry = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };

function create(raw: Record<string, unknown>, env: Record<string, string> = {}) {
  return createTestExporter(otlpHttpExporterFactory as Factory<unknown, QueuedTracesExporter>, 'otlphttp', raw, env);
}

const backends: FakeHttpBackend[] = [];
async function backend(tls?: https.ServerOptions): Promise<FakeHttpBackend> {
  const b = new FakeHttpBackend(tls);
  await b.start();
  backends.push(b);
  return b;
}
afterAll(async () => {
  for (const b of backends) await b.stop();
});
const soon = () => AbortSignal.timeout(3000);

describe('otlphttp exporter against a fake OTLP/HTTP backend', () => {
  it('POSTs gzip protobuf to endpoint + /v1/traces with the configured headers (from env)', async () => {
    const b = await backend();
    const { exp, m } = create(
      { endpoint: `http://127.0.0.1:${b.port}`, headers: { Authentication: '${env:OTLP_TOKEN}' } },
      { OTLP_TOKEN: 'tok-42' },
    );
    await exp.start(host);
    const td = makeTraces(40, { attrs: 10 });
    await exp.consumeTraces(td);
    await waitFor(() => b.spanIds().length === 40);
    const r = b.requests[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/v1/traces');
    expect(r.headers['authentication']).toBe('tok-42');
    expect(r.headers['content-type']).toBe('application/x-protobuf');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(b.spanIds()).toEqual(spanIds(td));
    await waitFor(() => exp.stats().spans === 0);
    expect(await metricSum(m.exporterSent)).toBe(40);
    await exp.shutdown(soon());
  });

  it('gzips a request above SYNC_GZIP_MAX_BYTES in the thread pool, intact, and a small one on the loop', async () => {
    const b = await backend();
    const { exp } = create({ endpoint: `http://127.0.0.1:${b.port}`, sending_queue: { num_consumers: 1 } });
    await exp.start(host);
    const big = makeTraces(400, { attrs: 40 });
    expect(encodeTraceRequest(big).length).toBeGreaterThan(SYNC_GZIP_MAX_BYTES);
    const small = makeTraces(3);
    await exp.consumeTraces(big);
    await exp.consumeTraces(small);
    await waitFor(() => b.spanIds().length === 403);
    expect(b.requests.map((r) => r.headers['content-encoding'])).toEqual(['gzip', 'gzip']);
    expect(b.spanIds()).toEqual([...spanIds(big), ...spanIds(small)]);
    await exp.shutdown(soon());
  });

  it('sends plain protobuf to traces_endpoint with compression: none, reusing the connection', async () => {
    const b = await backend();
    const { exp } = create({ traces_endpoint: `http://127.0.0.1:${b.port}/custom/path`, compression: 'none', sending_queue: { num_consumers: 1 } });
    await exp.start(host);
    for (let i = 0; i < 5; i++) await exp.consumeTraces(makeTraces(2));
    await waitFor(() => b.spanIds().length === 10);
    expect(b.requests.every((r) => r.url === '/custom/path' && r.headers['content-encoding'] === undefined)).toBe(true);
    expect(new Set(b.requests.map((r) => r.remotePort)).size).toBe(1); // keep-alive
    await exp.shutdown(soon());
  });

  it.each([
    [503, { 'retry-after': '1' }, true, 1000],
    [429, {}, true, 0],
    [502, {}, true, 0],
    [504, {}, true, 0],
    [400, {}, false, 0],
    [401, {}, false, 0],
    [404, {}, false, 0],
    [413, {}, false, 0],
    [500, {}, false, 0],
  ])('HTTP %i %j: retried %s', async (status, headers, retried, minGap) => {
    const b = await backend();
    b.answer = (_r, i) => (i === 0 ? { status, headers, body: encodeRpcStatus({ code: 3, message: `fake ${status}` }) } : { status: 200 });
    const { exp, m } = create({ endpoint: `http://127.0.0.1:${b.port}`, retry_on_failure: fastRetry });
    await exp.start(host);
    const td = makeTraces(3);
    await exp.consumeTraces(td);
    await waitFor(() => exp.stats().spans === 0);
    if (retried) {
      expect(b.requests.length).toBe(2);
      expect(b.spanIds()).toEqual(spanIds(td));
      expect(b.requests[1]!.at - b.requests[0]!.at).toBeGreaterThanOrEqual(minGap - 20);
      expect(await metricSum(m.spansDropped)).toBe(0);
    } else {
      expect(b.requests.length).toBe(1);
      expect(await metricSum(m.spansDropped, { component: 'exporter/otlphttp', reason: `http_${status}` })).toBe(3);
    }
    await exp.shutdown(soon());
  });

  it('logs the google.rpc.Status message of a permanent error with the drop', async () => {
    const b = await backend();
    b.answer = () => ({ status: 400, body: encodeRpcStatus({ code: 3, message: 'trace id must be 16 bytes' }) });
    const lines: string[] = [];
    const { pino } = await import('pino');
    const settings = testSettings('otlphttp');
    settings.logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(l) } as never);
    const issues = new ConfigIssues();
    const cfg = otlpHttpExporterFactory.parseConfig({ endpoint: `http://127.0.0.1:${b.port}` }, 'e', issues);
    const exp = otlpHttpExporterFactory.create(cfg, settings) as QueuedTracesExporter;
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    await waitFor(() => exp.stats().spans === 0);
    const drop = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'spans dropped');
    expect(drop).toMatchObject({ dropped_spans: 2, reason: 'http_400', component: 'exporter/otlphttp' });
    expect(drop.detail).toContain('trace id must be 16 bytes');
    await exp.shutdown(soon());
  });

  it('counts partial_success as dropped by the destination', async () => {
    const b = await backend();
    b.answer = () => ({ status: 200, body: Buffer.from(encodeTraceResponse({ rejectedSpans: 1, errorMessage: 'too big' })) });
    const { exp, m } = create({ endpoint: `http://127.0.0.1:${b.port}` });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(4));
    await waitFor(() => exp.stats().spans === 0);
    expect(await metricSum(m.spansDropped, { reason: 'rejected_by_destination' })).toBe(1);
    expect(await metricSum(m.exporterSent)).toBe(3);
    await exp.shutdown(soon());
  });

  it('every span accepted arrives exactly once when the backend is down for a while, then back', async () => {
    const b = await backend();
    const port = b.port;
    await b.stop();
    const { exp, m } = create({ endpoint: `http://127.0.0.1:${port}`, retry_on_failure: { ...fastRetry, max_elapsed_time: 0 }, sending_queue: { num_consumers: 4 } });
    await exp.start(host);
    const accepted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const td = makeTraces(10);
      await exp.consumeTraces(td);
      accepted.push(...spanIds(td));
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await metricSum(m.exporterSendFailed)).toBeGreaterThan(0);
    await b.start(port);
    await waitFor(() => exp.stats().spans === 0, 15_000, 'queue to drain');
    const got = b.spanIds();
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...accepted].sort());
    expect(await metricSum(m.spansDropped)).toBe(0);
    await exp.shutdown(soon());
  }, 30_000);

  it('a permanently failing backend: bounded queue, refusals, every accepted span counted as dropped', async () => {
    const b = await backend();
    b.answer = () => ({ status: 503 });
    const { exp, m } = create({
      endpoint: `http://127.0.0.1:${b.port}`,
      retry_on_failure: { initial_interval: '5ms', max_interval: '20ms', max_elapsed_time: '300ms' },
      sending_queue: { queue_size_spans: 200, num_consumers: 2 },
    });
    await exp.start(host);
    let accepted = 0;
    let refused = 0;
    let maxHeld = 0;
    for (let i = 0; i < 100; i++) {
      try {
        await exp.consumeTraces(makeTraces(20));
        accepted += 20;
      } catch (e) {
        expect((e as { reason: string }).reason).toBe('queue_full');
        refused += 20;
      }
      maxHeld = Math.max(maxHeld, exp.stats().spans);
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(maxHeld).toBeLessThanOrEqual(200);
    expect(refused).toBeGreaterThan(0);
    await exp.shutdown(AbortSignal.timeout(2000));
    const dropped = (await metricSum(m.spansDropped, { reason: 'retry_exhausted' })) + (await metricSum(m.spansDropped, { reason: 'shutdown_deadline' }));
    expect(dropped).toBe(accepted);
    expect(b.spanIds()).toEqual([]);
  }, 30_000);

  it('shutdown gives up at the deadline against a dead backend, counting shutdown_deadline', async () => {
    const b = await backend();
    b.answer = () => ({ status: 503, headers: { 'retry-after': '60' } });
    const { exp, m } = create({ endpoint: `http://127.0.0.1:${b.port}` });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(6));
    await exp.consumeTraces(makeTraces(4));
    await waitFor(() => b.requests.length >= 2);
    const t0 = Date.now();
    await exp.shutdown(AbortSignal.timeout(300));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await metricSum(m.spansDropped, { reason: 'shutdown_deadline' })).toBe(10);
  });
});

describe('otlphttp exporter over TLS (self-signed CA made with openssl)', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => fs.rmSync(certs.dir, { recursive: true, force: true }));

  it('verifies the server with ca_file and presents a client certificate', async () => {
    const b = await backend({ key: certs.serverKey, cert: certs.serverCert, ca: certs.ca, requestCert: true, rejectUnauthorized: true });
    const { exp } = create({ endpoint: `https://localhost:${b.port}`, tls: { ca_file: certs.caFile, cert_file: certs.clientCertFile, key_file: certs.clientKeyFile } });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    await waitFor(() => b.spanIds().length === 2);
    expect(b.requests[0]!.clientCertSubject).toBe('client');
    await exp.shutdown(soon());
  });

  it('server_name_override lets an IP endpoint match the certificate name', async () => {
    const b = await backend({ key: certs.serverKey, cert: certs.serverCert });
    const { exp } = create({ endpoint: `https://127.0.0.1:${b.port}`, tls: { ca_file: certs.caFile, server_name_override: 'localhost' } });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(1));
    await waitFor(() => b.spanIds().length === 1);
    await exp.shutdown(soon());
  });

  it('refuses a server whose CA it does not trust; insecure_skip_verify accepts it', async () => {
    const b = await backend({ key: certs.serverKey, cert: certs.serverCert });
    const bad = create({ endpoint: `https://localhost:${b.port}`, tls: { ca_file: certs.otherCaFile }, retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '150ms' } });
    await bad.exp.start(host);
    await bad.exp.consumeTraces(makeTraces(2));
    await waitFor(() => bad.exp.stats().spans === 0);
    expect(b.requests.length).toBe(0);
    expect(await metricSum(bad.m.spansDropped, { reason: 'retry_exhausted' })).toBe(2);
    await bad.exp.shutdown(soon());
    const ok = create({ endpoint: `https://localhost:${b.port}`, tls: { insecure_skip_verify: true } });
    await ok.exp.start(host);
    await ok.exp.consumeTraces(makeTraces(2));
    await waitFor(() => b.spanIds().length === 2);
    await ok.exp.shutdown(soon());
  });
});
