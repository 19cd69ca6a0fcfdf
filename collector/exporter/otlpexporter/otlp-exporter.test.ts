import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import zlib from 'node:zlib';
import { decodeTraceRequest } from '../../pdata/otlp-proto.js';
import type { Factory } from '../../component/component.js';
import { createTestExporter, makeTraces, metricSum, readyHost, spanIds, waitFor } from '../exporterhelper/testutil.js';
import type { QueuedTracesExporter } from '../exporterhelper/queued-exporter.js';
import { otlpExporterFactory } from './factory.js';
import { FakeGrpcBackend, makeCerts, type TestCerts } from './testkit.js';

const host = readyHost;
const fastRetry = { initial_interval: '10ms', max_interval: '50ms', max_elapsed_time: '10s' };

function create(raw: Record<string, unknown>, env: Record<string, string> = {}) {
  return createTestExporter(otlpExporterFactory as Factory<unknown, QueuedTracesExporter>, 'otlp', raw, env);
}

const backends: FakeGrpcBackend[] = [];
async function backend(creds?: grpc.ServerCredentials): Promise<FakeGrpcBackend> {
  const b = new FakeGrpcBackend(creds);
  await b.start();
  backends.push(b);
  return b;
}
afterAll(async () => {
  for (const b of backends) await b.stop();
});

const soon = () => AbortSignal.timeout(3000);

describe('otlp exporter against a fake OTLP/gRPC backend', () => {
  it('delivers spans with the configured headers (from env)', async () => {
    const b = await backend();
    const { exp, m } = create(
      { endpoint: `127.0.0.1:${b.port}`, tls: { insecure: true }, headers: { Authentication: '${env:OTLP_TOKEN}', 'x-tenant': 'mesh' } },
      { OTLP_TOKEN: 'secret-token-123' },
    );
    await exp.start(host);
    const td = makeTraces(7);
    await exp.consumeTraces(td);
    await waitFor(() => b.spanIds().length === 7);
    expect(b.spanIds()).toEqual(spanIds(td));
    const md = b.calls[0]!.metadata;
    expect(md.get('authentication')).toEqual(['secret-token-123']);
    expect(md.get('x-tenant')).toEqual(['mesh']);
    // The decoded request is the same data, field by field.
    expect(b.calls[0]!.td.resourceSpans[0]!.scopeSpans[0]!.spans[3]!.name).toBe(td.resourceSpans[0]!.scopeSpans[0]!.spans[3]!.name);
    await waitFor(() => exp.stats().spans === 0);
    expect(await metricSum(m.exporterSent, { exporter: 'otlp' })).toBe(7);
    await exp.shutdown(soon());
  });

  it.each([
    ['gzip', 'gzip', 1],
    ['none', undefined, 0],
  ])('compression: %s is what goes on the wire (raw HTTP/2 gRPC frames)', async (compression, encodingHeader, flag) => {
    const frames: Array<{ encoding?: string; flag: number; td: ReturnType<typeof decodeTraceRequest> }> = [];
    const server = http2.createServer();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const body = Buffer.concat(chunks);
        const compressed = body[0]!;
        const len = body.readUInt32BE(1);
        const msg = body.subarray(5, 5 + len);
        frames.push({ encoding: headers['grpc-encoding'] as string | undefined, flag: compressed, td: decodeTraceRequest(compressed ? zlib.gunzipSync(msg) : msg) });
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.from([0, 0, 0, 0, 0]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const { exp, m } = create({ endpoint: `http://127.0.0.1:${port}`, compression });
    await exp.start(host);
    const td = makeTraces(50, { attrs: 10 });
    await exp.consumeTraces(td);
    await waitFor(() => exp.stats().spans === 0);
    expect(frames.length).toBe(1);
    expect(frames[0]!.encoding).toBe(encodingHeader);
    expect(frames[0]!.flag).toBe(flag);
    expect(spanIds(frames[0]!.td)).toEqual(spanIds(td));
    expect(await metricSum(m.exporterSent)).toBe(50);
    await exp.shutdown(soon());
    server.close();
  });

  it.each([
    ['UNAVAILABLE', grpc.status.UNAVAILABLE, undefined, true],
    ['DEADLINE_EXCEEDED', grpc.status.DEADLINE_EXCEEDED, undefined, true],
    ['DATA_LOSS', grpc.status.DATA_LOSS, undefined, true],
    ['RESOURCE_EXHAUSTED + RetryInfo', grpc.status.RESOURCE_EXHAUSTED, 1, true],
    ['RESOURCE_EXHAUSTED', grpc.status.RESOURCE_EXHAUSTED, undefined, false],
    ['INVALID_ARGUMENT', grpc.status.INVALID_ARGUMENT, undefined, false],
    ['UNAUTHENTICATED', grpc.status.UNAUTHENTICATED, undefined, false],
    ['INTERNAL', grpc.status.INTERNAL, undefined, false],
  ])('%s from the backend: retried %s', async (_name, code, retryDelaySeconds, retried) => {
    const b = await backend();
    b.answer = (_c, i) => (i === 0 ? { ok: false, code, details: 'nope', retryDelaySeconds } : { ok: true });
    const { exp, m } = create({ endpoint: `127.0.0.1:${b.port}`, tls: { insecure: true }, retry_on_failure: fastRetry });
    await exp.start(host);
    const td = makeTraces(3);
    await exp.consumeTraces(td);
    await waitFor(() => exp.stats().spans === 0);
    if (retried) {
      expect(b.calls.length).toBe(2);
      expect(b.spanIds()).toEqual(spanIds(td));
      expect(await metricSum(m.spansDropped)).toBe(0);
      if (retryDelaySeconds) expect(b.calls[1]!.at - b.calls[0]!.at).toBeGreaterThanOrEqual(retryDelaySeconds * 1000 - 20);
    } else {
      expect(b.calls.length).toBe(1);
      const reason = `grpc_${grpc.status[code]!.toLowerCase()}`;
      expect(await metricSum(m.spansDropped, { component: 'exporter/otlp', reason })).toBe(3);
    }
    await exp.shutdown(soon());
  });

  it('counts partial_success rejections as dropped', async () => {
    const b = await backend();
    b.answer = () => ({ ok: true, partial: { rejectedSpans: 2, errorMessage: 'span too old' } });
    const { exp, m } = create({ endpoint: `127.0.0.1:${b.port}`, tls: { insecure: true } });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(5));
    await waitFor(() => exp.stats().spans === 0);
    expect(await metricSum(m.spansDropped, { reason: 'rejected_by_destination' })).toBe(2);
    expect(await metricSum(m.exporterSent)).toBe(3);
    expect(b.calls.length).toBe(1);
    await exp.shutdown(soon());
  });

  it('times out a hanging backend per attempt and retries', async () => {
    const b = await backend();
    const server = new grpc.Server();
    // A backend that never answers the first call.
    let first = true;
    server.addService(
      { export: { path: '/opentelemetry.proto.collector.trace.v1.TraceService/Export', requestStream: false, responseStream: false, requestSerialize: (x: Buffer) => x, requestDeserialize: (x: Buffer) => x, responseSerialize: (x: Buffer) => x, responseDeserialize: (x: Buffer) => x } },
      { export: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => { if (first) { first = false; return; } cb(null, Buffer.alloc(0)); } },
    );
    const port = await new Promise<number>((res, rej) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))));
    const { exp, m } = create({ endpoint: `127.0.0.1:${port}`, tls: { insecure: true }, timeout: '200ms', retry_on_failure: fastRetry });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    await waitFor(() => exp.stats().spans === 0);
    expect(first).toBe(false);
    expect(await metricSum(m.exporterSent)).toBe(2);
    expect(await metricSum(m.exporterSendFailed)).toBe(2);
    await exp.shutdown(soon());
    server.forceShutdown();
    void b;
  });

  it('every span accepted arrives exactly once when the backend is down for a while, then back', async () => {
    const b = await backend();
    const port = b.port;
    await b.stop(); // down: connection refused
    const { exp, m } = create({ endpoint: `127.0.0.1:${port}`, tls: { insecure: true }, retry_on_failure: { ...fastRetry, max_elapsed_time: 0 }, sending_queue: { num_consumers: 4 } });
    await exp.start(host);
    const accepted: string[] = [];
    for (let i = 0; i < 30; i++) {
      const td = makeTraces(10);
      await exp.consumeTraces(td);
      accepted.push(...spanIds(td));
    }
    await new Promise((r) => setTimeout(r, 400));
    expect(b.calls.length).toBe(0);
    expect(await metricSum(m.exporterSendFailed)).toBeGreaterThan(0);
    await b.start(port); // back
    await waitFor(() => exp.stats().spans === 0, 15_000, 'queue to drain');
    const got = b.spanIds();
    expect(got.length).toBe(accepted.length);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort()).toEqual([...accepted].sort());
    expect(await metricSum(m.spansDropped)).toBe(0);
    await exp.shutdown(soon());
  }, 30_000);

  it('a permanently failing backend: memory stays bounded and every accepted span is counted as dropped', async () => {
    const b = await backend();
    b.answer = () => ({ ok: false, code: grpc.status.UNAVAILABLE, details: 'down for good' });
    const { exp, m } = create({
      endpoint: `127.0.0.1:${b.port}`, tls: { insecure: true },
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
    expect(accepted).toBeGreaterThan(200); // drops free room: the queue keeps moving
    await exp.shutdown(AbortSignal.timeout(2000));
    const exhausted = await metricSum(m.spansDropped, { reason: 'retry_exhausted' });
    const atShutdown = await metricSum(m.spansDropped, { reason: 'shutdown_deadline' });
    expect(exhausted + atShutdown).toBe(accepted);
    expect(b.spanIds()).toEqual([]);
  }, 30_000);

  it('shutdown drains the queue within the deadline', async () => {
    const b = await backend();
    b.answer = (_c, i) => (i % 2 === 0 ? { ok: false, code: grpc.status.UNAVAILABLE } : { ok: true });
    const { exp, m } = create({ endpoint: `127.0.0.1:${b.port}`, tls: { insecure: true }, retry_on_failure: fastRetry, sending_queue: { num_consumers: 1 } });
    await exp.start(host);
    const all: string[] = [];
    for (let i = 0; i < 5; i++) {
      const td = makeTraces(4);
      await exp.consumeTraces(td);
      all.push(...spanIds(td));
    }
    await exp.shutdown(AbortSignal.timeout(5000));
    expect(b.spanIds().sort()).toEqual(all.sort());
    expect(await metricSum(m.spansDropped)).toBe(0);
  });
});

describe('otlp exporter over TLS (self-signed CA made with openssl)', () => {
  let certs: TestCerts;
  beforeAll(() => {
    certs = makeCerts();
  });
  afterAll(() => fs.rmSync(certs.dir, { recursive: true, force: true }));

  it('verifies the server against ca_file', async () => {
    const b = await backend(grpc.ServerCredentials.createSsl(certs.ca, [{ private_key: certs.serverKey, cert_chain: certs.serverCert }], false));
    const { exp } = create({ endpoint: `localhost:${b.port}`, tls: { ca_file: certs.caFile } });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    await waitFor(() => b.spanIds().length === 2);
    await exp.shutdown(soon());
  });

  it('presents a client certificate (mTLS) from cert_file/key_file, via https:// and server_name_override', async () => {
    const b = await backend(grpc.ServerCredentials.createSsl(certs.ca, [{ private_key: certs.serverKey, cert_chain: certs.serverCert }], true));
    const { exp } = create({
      endpoint: `https://127.0.0.1:${b.port}`,
      tls: { ca_file: certs.caFile, cert_file: certs.clientCertFile, key_file: certs.clientKeyFile, server_name_override: 'localhost' },
    });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(3));
    await waitFor(() => b.spanIds().length === 3);
    await exp.shutdown(soon());
  });

  it('refuses a server signed by another CA (nothing delivered, retried, then dropped with a reason)', async () => {
    const b = await backend(grpc.ServerCredentials.createSsl(certs.ca, [{ private_key: certs.serverKey, cert_chain: certs.serverCert }], false));
    const { exp, m } = create({ endpoint: `localhost:${b.port}`, tls: { ca_file: certs.otherCaFile }, retry_on_failure: { initial_interval: '10ms', max_interval: '20ms', max_elapsed_time: '200ms' } });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    await waitFor(() => exp.stats().spans === 0);
    expect(b.calls.length).toBe(0);
    expect(await metricSum(m.spansDropped, { reason: 'retry_exhausted' })).toBe(2);
    await exp.shutdown(soon());
  });

  it('insecure_skip_verify accepts the unknown CA', async () => {
    const b = await backend(grpc.ServerCredentials.createSsl(certs.ca, [{ private_key: certs.serverKey, cert_chain: certs.serverCert }], false));
    const { exp } = create({ endpoint: `127.0.0.1:${b.port}`, tls: { insecure_skip_verify: true } });
    await exp.start(host);
    await exp.consumeTraces(makeTraces(2));
    await waitFor(() => b.spanIds().length === 2);
    await exp.shutdown(soon());
  });
});
