import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import zlib from 'node:zlib';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { SpanKind as ApiSpanKind, SpanStatusCode, context, trace, type Link } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { otlpReceiverFactory } from './factory.js';
import type { OtlpReceiver } from './receiver.js';
import { ConfigIssues } from '../../config/issues.js';
import { CapturingConsumer, TestHost, counterValue, testSettings } from '../internal/testkit.js';
import { ConsumerError } from '../../component/consumer-error.js';
import { anyValueToJs, idToHex, nanosToBigInt, spanCount, type Span, type TraceData } from '../../pdata/model.js';
import { decodeTraceResponse, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { decodeRpcStatus } from '../internal/rpc-status.js';
import { EXPORT_PATH } from './grpc-server.js';

// ---- real SDK spans -------------------------------------------------------------------------

function makeSdkSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'k8s.namespace.name': 'shop', 'service.instance.id': 42 }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('meshtrace-test', '1.2.3');
  const root = tracer.startSpan('GET /cart', {
    kind: ApiSpanKind.SERVER,
    attributes: { 'http.method': 'GET', 'http.status_code': 500, ratio: 0.25, cached: false, tags: ['a', 'b'] },
    startTime: [1700000000, 123456789],
  });
  root.addEvent('cache miss', { key: 'cart:1', attempt: 2 }, [1700000000, 200000001]);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
  const parentCtx = { traceId: root.spanContext().traceId, spanId: root.spanContext().spanId, traceFlags: 1, isRemote: false };
  const link: Link = { context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }, attributes: { why: 'retry' } };
  const child = tracer.startSpan(
    'reviews.default.svc.cluster.local:9080/*',
    { kind: ApiSpanKind.CLIENT, attributes: { 'peer.service': 'reviews' }, links: [link], startTime: [1700000000, 300000000] },
    trace.setSpanContext(context.active(), parentCtx),
  );
  child.end([1700000000, 450000999]);
  const internal = tracer.startSpan('compute', { kind: ApiSpanKind.INTERNAL, startTime: [1700000000, 500000000] }, trace.setSpanContext(context.active(), parentCtx));
  internal.setStatus({ code: SpanStatusCode.OK });
  internal.end([1700000000, 500000500]);
  root.end([1700000001, 0]);
  return memory.getFinishedSpans();
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

function hrToNs(t: [number, number]): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}

function flatSpans(tds: TraceData[]): { span: Span; resource: Record<string, unknown>; scope: { name?: string; version?: string } }[] {
  const out = [];
  for (const td of tds)
    for (const rs of td.resourceSpans)
      for (const ss of rs.scopeSpans)
        for (const span of ss.spans) {
          const resource: Record<string, unknown> = {};
          for (const kv of rs.resource?.attributes ?? []) resource[kv.key] = anyValueToJs(kv.value);
          out.push({ span, resource, scope: { name: ss.scope?.name, version: ss.scope?.version } });
        }
  return out;
}

function attrsToJs(attrs: { key: string; value?: unknown }[] | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of attrs ?? []) o[kv.key] = anyValueToJs(kv.value as never);
  return o;
}

/** Field-by-field comparison of what the receiver produced with the SDK's spans. */
function expectSameSpans(received: TraceData[], sdk: ReadableSpan[]): void {
  const got = flatSpans(received);
  expect(got.length).toBe(sdk.length);
  for (const s of sdk) {
    const g = got.find((x) => idToHex(x.span.spanId) === s.spanContext().spanId);
    expect(g, `span ${s.name}`).toBeDefined();
    const span = g!.span;
    expect(idToHex(span.traceId)).toBe(s.spanContext().traceId);
    expect(idToHex(span.parentSpanId)).toBe(s.parentSpanContext?.spanId ?? '');
    expect(span.name).toBe(s.name);
    expect(span.kind).toBe(s.kind + 1); // API enum is OTLP's minus one
    expect(nanosToBigInt(span.startTimeUnixNano)).toBe(hrToNs(s.startTime));
    expect(nanosToBigInt(span.endTimeUnixNano)).toBe(hrToNs(s.endTime));
    expect(attrsToJs(span.attributes)).toEqual(s.attributes);
    expect((span.events ?? []).length).toBe(s.events.length);
    s.events.forEach((e, i) => {
      const ge = span.events![i];
      expect(ge.name).toBe(e.name);
      expect(nanosToBigInt(ge.timeUnixNano)).toBe(hrToNs(e.time));
      expect(attrsToJs(ge.attributes)).toEqual(e.attributes ?? {});
    });
    expect((span.links ?? []).length).toBe(s.links.length);
    s.links.forEach((l, i) => {
      expect(idToHex(span.links![i].traceId)).toBe(l.context.traceId);
      expect(idToHex(span.links![i].spanId)).toBe(l.context.spanId);
      expect(attrsToJs(span.links![i].attributes)).toEqual(l.attributes ?? {});
    });
    expect(span.status?.code ?? 0).toBe(s.status.code);
    expect(span.status?.message ?? '').toBe(s.status.message ?? '');
    expect(g!.resource).toEqual(s.resource.attributes);
    expect(g!.scope).toEqual({ name: s.instrumentationScope.name, version: s.instrumentationScope.version });
  }
}

// ---- receiver under test --------------------------------------------------------------------

function startReceiver(raw: unknown, consumer: CapturingConsumer, host: TestHost) {
  const issues = new ConfigIssues();
  const cfg = otlpReceiverFactory.parseConfig(raw, 'receivers.otlp', issues);
  expect(issues.errors).toEqual([]);
  const settings = testSettings('otlp');
  const receiver = otlpReceiverFactory.create(cfg, settings, consumer);
  return { receiver, settings, started: receiver.start(host) };
}

const consumer = new CapturingConsumer();
const host = new TestHost();
let receiver: OtlpReceiver;
let settings: ReturnType<typeof testSettings>;
let grpcUrl: string;
let httpUrl: string;
let httpPort: number;

beforeAll(async () => {
  const r = startReceiver(
    {
      protocols: {
        grpc: { endpoint: '127.0.0.1:0' },
        http: { endpoint: '127.0.0.1:0', max_request_body_size: 64 * 1024, read_header_timeout: '300ms', read_timeout: '600ms' },
      },
    },
    consumer,
    host,
  );
  await r.started;
  receiver = r.receiver;
  settings = r.settings;
  grpcUrl = `http://127.0.0.1:${receiver.grpcPort}`;
  httpPort = receiver.httpPort!;
  httpUrl = `http://127.0.0.1:${httpPort}/v1/traces`;
});

afterAll(async () => {
  await receiver?.shutdown(AbortSignal.timeout(2000));
});

beforeEach(() => {
  consumer.received.length = 0;
  consumer.refuseWith = undefined;
  consumer.refuseTimes = undefined;
  host.refusing = false;
});

describe('otlp receiver with the official OpenTelemetry JS exporters', () => {
  const cases: [string, () => SpanExporter][] = [
    ['gRPC', () => new GrpcExporter({ url: grpcUrl })],
    ['gRPC + gzip', () => new GrpcExporter({ url: grpcUrl, compression: CompressionAlgorithm.GZIP })],
    ['HTTP/JSON', () => new HttpJsonExporter({ url: httpUrl })],
    ['HTTP/JSON + gzip', () => new HttpJsonExporter({ url: httpUrl, compression: CompressionAlgorithm.GZIP })],
    ['HTTP/protobuf', () => new HttpProtoExporter({ url: httpUrl })],
    ['HTTP/protobuf + gzip', () => new HttpProtoExporter({ url: httpUrl, compression: CompressionAlgorithm.GZIP })],
  ];
  for (const [name, make] of cases) {
    it(`${name}: every field arrives as the SDK made it`, async () => {
      const spans = makeSdkSpans();
      const exporter = make();
      const before = await counterValue(settings, 'otelcol_receiver_accepted_spans_total');
      const res = await exportWith(exporter, spans);
      await exporter.shutdown();
      expect(res.code, String(res.error)).toBe(ExportResultCode.SUCCESS);
      expectSameSpans(consumer.received, spans);
      expect(await counterValue(settings, 'otelcol_receiver_accepted_spans_total')).toBe(before + spans.length);
    });
  }

  it('HTTP exporter retries a 503 with Retry-After and nothing is lost', async () => {
    consumer.refuseWith = ConsumerError.retryable('sending queue is full', 'queue_full', 1);
    consumer.refuseTimes = 1;
    const spans = makeSdkSpans();
    const exporter = new HttpProtoExporter({ url: httpUrl, timeoutMillis: 10_000 });
    const res = await exportWith(exporter, spans);
    await exporter.shutdown();
    expect(res.code, String(res.error)).toBe(ExportResultCode.SUCCESS);
    expect(consumer.refuseTimes).toBe(0); // it was refused once, then accepted
    expectSameSpans(consumer.received, spans);
  });
});

// ---- raw HTTP clients for the error paths ---------------------------------------------------

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function post(opts: { path?: string; method?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: httpPort, path: opts.path ?? '/v1/traces', method: opts.method ?? 'POST', headers: opts.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const VALID_TRACE = '5b8efff798038103d269b633813fc60c';
function jsonRequest(spans: object[]): string {
  return JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] }, scopeSpans: [{ spans }] }] });
}
function jsonSpan(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { traceId: VALID_TRACE, spanId: 'eee19b7ec3c1b174', name: 'op', kind: 2, startTimeUnixNano: '1544712660000000000', endTimeUnixNano: '1544712661000000000', ...over };
}

function protoRequest(spans: Partial<Span>[]): Buffer {
  const full = spans.map((s) => ({ name: 'op', kind: 2, startTimeUnixNano: 1, endTimeUnixNano: 2, attributes: [], ...s })) as Span[];
  return Buffer.from(encodeTraceRequest({ resourceSpans: [{ resource: { attributes: [] }, scopeSpans: [{ spans: full }] }] }));
}
const tid = Buffer.from(VALID_TRACE, 'hex');
const sid = Buffer.from('eee19b7ec3c1b174', 'hex');

describe('otlp HTTP answers', () => {
  it('200 with an empty ExportTraceServiceResponse in the request content type', async () => {
    const j = await post({ headers: { 'Content-Type': 'application/json' }, body: jsonRequest([jsonSpan()]) });
    expect(j.status).toBe(200);
    expect(j.headers['content-type']).toBe('application/json');
    expect(JSON.parse(j.body.toString())).toEqual({});
    const p = await post({ headers: { 'Content-Type': 'application/x-protobuf' }, body: protoRequest([{ traceId: tid, spanId: sid }]) });
    expect(p.status).toBe(200);
    expect(p.headers['content-type']).toBe('application/x-protobuf');
    expect(decodeTraceResponse(p.body).partialSuccess).toBeFalsy();
    expect(spanCount(consumer.received[0]) + spanCount(consumer.received[1])).toBe(2);
  });

  it('accepts base64 IDs, enum names, snake_case and a charset parameter', async () => {
    const span = { trace_id: Buffer.from(VALID_TRACE, 'hex').toString('base64'), span_id: '7uGbfsPBsXQ=', name: 'x', kind: 'SPAN_KIND_CLIENT', start_time_unix_nano: 5, end_time_unix_nano: '6' };
    const r = await post({ headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: jsonRequest([span]) });
    expect(r.status).toBe(200);
    const got = consumer.received[0].resourceSpans[0].scopeSpans[0].spans[0];
    expect(idToHex(got.traceId)).toBe(VALID_TRACE);
    expect(idToHex(got.spanId)).toBe('eee19b7ec3c1b174');
    expect(got.kind).toBe(3);
    expect(nanosToBigInt(got.endTimeUnixNano)).toBe(6n);
  });

  it('partial_success: spans with invalid IDs are rejected, the rest kept (JSON)', async () => {
    const before = await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'invalid_trace_id' });
    const body = jsonRequest([
      jsonSpan(),
      jsonSpan({ traceId: '00000000000000000000000000000000' }),
      jsonSpan({ spanId: '' }),
      jsonSpan({ spanId: '0000000000000000' }),
    ]);
    const r = await post({ headers: { 'Content-Type': 'application/json' }, body });
    expect(r.status).toBe(200);
    const ps = JSON.parse(r.body.toString()).partialSuccess;
    expect(ps.rejectedSpans).toBe('3');
    expect(ps.errorMessage).toMatch(/1 with trace ID not 16 bytes or all zero; 2 with span ID not 8 bytes or all zero/);
    expect(spanCount(consumer.received[0])).toBe(1);
    expect(await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'invalid_trace_id' })).toBe(before + 1);
  });

  it('partial_success in protobuf: short trace ID and short parent rejected', async () => {
    const body = protoRequest([
      { traceId: tid, spanId: sid },
      { traceId: tid.subarray(0, 8), spanId: sid },
      { traceId: tid, spanId: sid, parentSpanId: Buffer.from([1, 2, 3]) },
    ]);
    const r = await post({ headers: { 'Content-Type': 'application/x-protobuf' }, body });
    expect(r.status).toBe(200);
    const ps = decodeTraceResponse(r.body).partialSuccess!;
    expect(Number(ps.rejectedSpans)).toBe(2);
    expect(ps.errorMessage).toContain('parent span ID');
    expect(spanCount(consumer.received[0])).toBe(1);
  });

  it('404 on another path, 405 with Allow on another method', async () => {
    const nf = await post({ path: '/v1/metrics', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.body.toString()).message).toContain('traces only');
    const m = await post({ method: 'GET', headers: { 'Content-Type': 'application/x-protobuf' } });
    expect(m.status).toBe(405);
    expect(m.headers.allow).toBe('POST');
    expect(decodeRpcStatus(m.body).message).toContain('method not allowed');
  });

  it('415 on another content type, with a text answer', async () => {
    const r = await post({ headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    expect(r.status).toBe(415);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body.toString()).toContain('application/x-protobuf');
  });

  it('400 with google.rpc.Status on bad protobuf and bad JSON, with the JSON path', async () => {
    const p = await post({ headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff]) });
    expect(p.status).toBe(400);
    const st = decodeRpcStatus(p.body);
    expect(st.code).toBe(3);
    expect(st.message).toMatch(/invalid ExportTraceServiceRequest protobuf/);
    const j = await post({ headers: { 'Content-Type': 'application/json' }, body: jsonRequest([jsonSpan(), jsonSpan({ traceId: 'xyz' })]) });
    expect(j.status).toBe(400);
    expect(JSON.parse(j.body.toString())).toEqual({
      code: 3,
      message: 'invalid OTLP/JSON: resourceSpans[0].scopeSpans[0].spans[1].traceId: expected 32 hex digits (or 24 base64 characters), got "xyz"',
    });
    const s = await post({ headers: { 'Content-Type': 'application/json' }, body: '{"resourceSpans": [' });
    expect(s.status).toBe(400);
    expect(JSON.parse(s.body.toString()).message).toMatch(/invalid JSON/);
    expect(consumer.received.length).toBe(0);
  });

  it('413 when the body is larger than max_request_body_size', async () => {
    const big = jsonRequest(Array.from({ length: 2000 }, () => jsonSpan()));
    expect(big.length).toBeGreaterThan(64 * 1024);
    const r = await post({ headers: { 'Content-Type': 'application/json' }, body: big });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body.toString()).message).toMatch(/exceeds the limit of 65536 bytes/);
  });

  it('413 for a gzip bomb, refused after inflating at most the limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024, 0x20)); // 50 MiB of spaces in ~50 KiB
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await post({ headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: bomb });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body.toString()).message).toMatch(/decompressed request body exceeds/);
  });

  it('400 on a corrupt gzip body and on an unknown Content-Encoding; deflate works', async () => {
    const bad = await post({ headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: Buffer.from('not gzip at all') });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString()).message).toMatch(/invalid gzip request body/);
    const br = await post({ headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'br' }, body: '{}' });
    expect(br.status).toBe(400);
    expect(JSON.parse(br.body.toString()).message).toMatch(/unsupported Content-Encoding: br/);
    const z = await post({ headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'deflate' }, body: zlib.deflateSync(jsonRequest([jsonSpan()])) });
    expect(z.status).toBe(200);
    const raw = await post({ headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'deflate' }, body: zlib.deflateRawSync(jsonRequest([jsonSpan()])) });
    expect(raw.status).toBe(200);
    expect(consumer.received.length).toBe(2);
  });

  it('503 + Retry-After + RetryInfo when the pipeline refuses retryably', async () => {
    consumer.refuseWith = ConsumerError.retryable('sending queue is full', 'queue_full', 7);
    const r = await post({ headers: { 'Content-Type': 'application/x-protobuf' }, body: protoRequest([{ traceId: tid, spanId: sid }]) });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('7');
    const st = decodeRpcStatus(r.body);
    expect(st).toEqual({ code: 14, message: 'sending queue is full', retryDelaySeconds: 7 });
  });

  it('429 + Retry-After under memory back-pressure, before reading the body', async () => {
    host.refusing = true;
    host.retryAfter = 3;
    const r = await post({ headers: { 'Content-Type': 'application/json' }, body: jsonRequest([jsonSpan()]) });
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('3');
    expect(JSON.parse(r.body.toString())).toEqual({
      code: 8,
      message: 'data refused due to high memory usage',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '3s' }],
    });
    expect(consumer.received.length).toBe(0);
  });

  it('400 when the pipeline refuses permanently', async () => {
    consumer.refuseWith = ConsumerError.permanent('span too large for the backend');
    const r = await post({ headers: { 'Content-Type': 'application/json' }, body: jsonRequest([jsonSpan()]) });
    expect(r.status).toBe(400);
    expect(r.headers['retry-after']).toBeUndefined();
    expect(JSON.parse(r.body.toString()).message).toBe('span too large for the backend');
  });

  it('a slow client (slowloris) is cut off after read_header_timeout / read_timeout', async () => {
    for (const partial of ['POST /v1/traces HTTP/1.1\r\nHost: x\r\n', 'POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{']) {
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        const sock = net.connect(httpPort, '127.0.0.1', () => sock.write(partial));
        let got = '';
        sock.on('data', (d) => (got += d.toString()));
        sock.on('close', () => resolve(got));
        sock.on('error', () => resolve(got));
        setTimeout(() => sock.destroy(), 10_000);
      });
      expect(answer).toMatch(/^HTTP\/1.1 408/);
      expect(Date.now() - started).toBeLessThan(9_000);
    }
  });

  it('malformed HTTP gets 400 and the server keeps serving', async () => {
    const answer = await new Promise<string>((resolve) => {
      const sock = net.connect(httpPort, '127.0.0.1', () => sock.write('BLAH\r\n\r\n'));
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    const huge = await new Promise<string>((resolve) => {
      const sock = net.connect(httpPort, '127.0.0.1', () => sock.write(`POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`));
      let got = '';
      sock.on('data', (d) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
    });
    expect(huge).toMatch(/^HTTP\/1.1 431/);
    const ok = await post({ headers: { 'Content-Type': 'application/json' }, body: jsonRequest([jsonSpan()]) });
    expect(ok.status).toBe(200);
  });

  it('never crashes on random bodies (small fuzz)', async () => {
    const seed = protoRequest([{ traceId: tid, spanId: sid, attributes: [{ key: 'k', value: { stringValue: 'v' } }] }]);
    let x = 12345;
    const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 60; i++) {
      const b = Buffer.from(seed);
      for (let j = 0; j < 3; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      const type = i % 2 ? 'application/x-protobuf' : 'application/json';
      const r = await post({ headers: { 'Content-Type': type }, body: i % 2 ? b : b.toString('latin1') });
      expect([200, 400]).toContain(r.status);
    }
    const ok = await post({ headers: { 'Content-Type': 'application/x-protobuf' }, body: seed });
    expect(ok.status).toBe(200);
  });
});

// ---- gRPC error paths with a raw grpc-js client ---------------------------------------------

describe('otlp gRPC answers', () => {
  let client: grpc.Client;
  beforeAll(() => {
    client = new grpc.Client(`127.0.0.1:${receiver.grpcPort}`, grpc.credentials.createInsecure());
  });
  afterAll(() => client.close());

  function call(body: Buffer): Promise<{ err: grpc.ServiceError | null; res?: Buffer }> {
    return new Promise((resolve) => {
      client.makeUnaryRequest(EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, body, (err, res) => resolve({ err, res }));
    });
  }

  it('OK with partial_success for invalid span IDs', async () => {
    const r = await call(protoRequest([{ traceId: tid, spanId: sid }, { traceId: Buffer.alloc(16), spanId: sid }]));
    expect(r.err).toBeNull();
    const ps = decodeTraceResponse(r.res!).partialSuccess!;
    expect(Number(ps.rejectedSpans)).toBe(1);
    expect(spanCount(consumer.received[0])).toBe(1);
  });

  it('INVALID_ARGUMENT on bad protobuf', async () => {
    const r = await call(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff]));
    expect(r.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(r.err?.details).toMatch(/invalid ExportTraceServiceRequest protobuf/);
  });

  it('UNAVAILABLE with RetryInfo when the pipeline refuses retryably; INVALID_ARGUMENT when permanently', async () => {
    consumer.refuseWith = ConsumerError.retryable('sending queue is full', 'queue_full', 5);
    const r = await call(protoRequest([{ traceId: tid, spanId: sid }]));
    expect(r.err?.code).toBe(grpc.status.UNAVAILABLE);
    const details = r.err!.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(decodeRpcStatus(details)).toEqual({ code: 14, message: 'sending queue is full', retryDelaySeconds: 5 });
    consumer.refuseWith = ConsumerError.permanent('no');
    const p = await call(protoRequest([{ traceId: tid, spanId: sid }]));
    expect(p.err?.code).toBe(grpc.status.INVALID_ARGUMENT);
  });

  it('RESOURCE_EXHAUSTED with RetryInfo under memory back-pressure', async () => {
    host.refusing = true;
    host.retryAfter = 4;
    const r = await call(protoRequest([{ traceId: tid, spanId: sid }]));
    expect(r.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const details = r.err!.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(decodeRpcStatus(details)).toEqual({ code: 8, message: 'data refused due to high memory usage', retryDelaySeconds: 4 });
    expect(consumer.received.length).toBe(0);
  });

  it('RESOURCE_EXHAUSTED for a message above max_recv_msg_size_mib, even gzip-compressed', async () => {
    const big = protoRequest([{ traceId: tid, spanId: sid, name: 'x'.repeat(5 * 1024 * 1024) }]);
    const r = await call(big);
    expect(r.err?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const gz = new grpc.Client(`127.0.0.1:${receiver.grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.default_compression_algorithm': 2 });
    const r2 = await new Promise<grpc.ServiceError | null>((resolve) =>
      gz.makeUnaryRequest(EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, big, (err) => resolve(err)),
    );
    gz.close();
    expect(r2?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(consumer.received.length).toBe(0);
  });

  it('corrupt gzip and unknown grpc-encoding are answered with an error status, and the server goes on', async () => {
    const http2 = await import('node:http2');
    const raw = (encoding: string, payload: Buffer) =>
      new Promise<string | undefined>((resolve, reject) => {
        const session = http2.connect(`http://127.0.0.1:${receiver.grpcPort}`);
        session.on('error', reject);
        const req = session.request({ ':method': 'POST', ':path': EXPORT_PATH, 'content-type': 'application/grpc', 'grpc-encoding': encoding, te: 'trailers' });
        let status: string | undefined;
        req.on('response', (h) => (status = h['grpc-status'] as string | undefined));
        req.on('trailers', (t) => (status = t['grpc-status'] as string));
        req.on('data', () => {});
        req.on('end', () => {
          session.close();
          resolve(status);
        });
        const frame = Buffer.alloc(5 + payload.length);
        frame[0] = 1; // compressed
        frame.writeUInt32BE(payload.length, 1);
        payload.copy(frame, 5);
        req.end(frame);
      });
    const corrupt = await raw('gzip', Buffer.from('definitely not gzip'));
    const unknown = await raw('snappy', Buffer.from('xx'));
    expect(corrupt).toBe(String(grpc.status.INTERNAL)); // grpc-js' own answer
    expect(unknown).toBe(String(grpc.status.UNIMPLEMENTED));
    const ok = await call(protoRequest([{ traceId: tid, spanId: sid }]));
    expect(ok.err).toBeNull();
    expect(consumer.received.length).toBe(1);
  });

  it('the OTLP gRPC exporter gets UNAVAILABLE with our message (it does not retry itself)', async () => {
    consumer.refuseWith = ConsumerError.retryable('sending queue is full', 'queue_full', 1);
    const spans = makeSdkSpans();
    const exporter = new GrpcExporter({ url: grpcUrl });
    const res = await exportWith(exporter, spans);
    expect(res.code).toBe(ExportResultCode.FAILED);
    expect((res.error as grpc.ServiceError).code).toBe(grpc.status.UNAVAILABLE);
    expect(res.error?.message).toContain('sending queue is full');
    consumer.refuseWith = undefined;
    const again = await exportWith(exporter, spans);
    await exporter.shutdown();
    expect(again.code).toBe(ExportResultCode.SUCCESS);
    expectSameSpans(consumer.received, spans);
  });
});

describe('otlp receiver shutdown', () => {
  it('finishes requests in flight (HTTP and gRPC), then refuses new connections', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = new CapturingConsumer();
    const original = slow.consumeTraces.bind(slow);
    slow.consumeTraces = async (td) => {
      await gate;
      return original(td);
    };
    const r = startReceiver({ protocols: { grpc: { endpoint: '127.0.0.1:0' }, http: { endpoint: '127.0.0.1:0' } } }, slow, new TestHost());
    await r.started;
    const { grpcPort, httpPort: hp } = { grpcPort: r.receiver.grpcPort!, httpPort: r.receiver.httpPort! };
    const httpDone = fetch(`http://127.0.0.1:${hp}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonRequest([jsonSpan()]) });
    const client = new grpc.Client(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure());
    const grpcDone = new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(EXPORT_PATH, (b: Buffer) => b, (b: Buffer) => b, protoRequest([{ traceId: tid, spanId: sid }]), (err) => resolve(err)),
    );
    await new Promise((res) => setTimeout(res, 200)); // both requests are waiting in the pipeline
    const stopped = r.receiver.shutdown(AbortSignal.timeout(5000));
    await new Promise((res) => setTimeout(res, 100));
    release();
    expect((await httpDone).status).toBe(200);
    expect(await grpcDone).toBeNull();
    await stopped;
    client.close();
    expect(slow.received.length).toBe(2);
    await expect(fetch(`http://127.0.0.1:${hp}/v1/traces`, { method: 'POST', body: '{}' })).rejects.toThrow();
  });
});

describe('otlp receiver logs', () => {
  it('logs refused spans with their reason (JSON lines)', async () => {
    const { PassThrough } = await import('node:stream');
    const { createLogger } = await import('../../telemetry/logger.js');
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (d) => (text += d));
    const issues = new ConfigIssues();
    const cfg = otlpReceiverFactory.parseConfig({ protocols: { http: { endpoint: '127.0.0.1:0' } } }, 'receivers.otlp', issues);
    const s = { ...testSettings('otlp/logs'), logger: createLogger({ destination: sink }) };
    const r = otlpReceiverFactory.create(cfg, s, new CapturingConsumer());
    await r.start(new TestHost());
    try {
      const res = await fetch(`http://127.0.0.1:${r.httpPort}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: jsonRequest([jsonSpan(), jsonSpan({ traceId: '00000000000000000000000000000000' })]),
      });
      expect(res.status).toBe(200);
      const bad = await fetch(`http://127.0.0.1:${r.httpPort}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
      expect(bad.status).toBe(400);
    } finally {
      await r.shutdown(AbortSignal.timeout(1000));
    }
    await new Promise((res) => setTimeout(res, 50));
    const lines = text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ msg: 'spans refused', level: 'warn', receiver: 'otlp/logs', refused_spans: 1, reasons: { invalid_trace_id: 1 }, retryable: false }),
        expect.objectContaining({ msg: 'request refused', level: 'warn', status: 400, detail: expect.stringMatching(/invalid OTLP\/JSON: invalid JSON/) }),
      ]),
    );
  });
});

describe('otlp receiver config', () => {
  it('defaults follow otelcol', () => {
    const issues = new ConfigIssues();
    const cfg = otlpReceiverFactory.parseConfig({ protocols: { grpc: null, http: {} } }, 'receivers.otlp', issues);
    expect(issues.errors).toEqual([]);
    expect(cfg.grpc).toMatchObject({ endpoint: 'localhost:4317', maxRecvMsgSizeBytes: 4 * 1024 * 1024 });
    expect(cfg.http).toMatchObject({ endpoint: 'localhost:4318', tracesUrlPath: '/v1/traces', maxRequestBodySize: 20 * 1024 * 1024 });
  });

  it('names every problem by its path', () => {
    const issues = new ConfigIssues();
    otlpReceiverFactory.parseConfig(
      { protocols: { grpc: { endpoint: 'nope', max_recv_msg_size_mib: 'big', tls: { cert_file: 'x' } }, http: { endpointt: 'x', traces_url_path: 'v1/t races', cors: { allowed_origins: 'x' } }, thrift: {} } },
      'receivers.otlp',
      issues,
    );
    const msgs = issues.errors.map((e) => `${e.path}: ${e.message}`);
    expect(msgs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^receivers\.otlp\.protocols: has invalid keys: thrift/),
        'receivers.otlp.protocols.grpc.endpoint: expected host:port, got "nope"',
        expect.stringMatching(/^receivers\.otlp\.protocols\.grpc\.max_recv_msg_size_mib: expected a number/),
        'receivers.otlp.protocols.grpc.tls.cert_file: cannot read x: ENOENT',
        'receivers.otlp.protocols.grpc.tls: key_file (or key_pem) is required for a TLS server',
        expect.stringMatching(/^receivers\.otlp\.protocols\.http: has invalid keys: endpointt/),
        expect.stringMatching(/^receivers\.otlp\.protocols\.http\.traces_url_path: expected a URL path/),
        expect.stringMatching(/^receivers\.otlp\.protocols\.http\.cors\.allowed_origins: expected a list/),
      ]),
    );
  });

  it('needs at least one protocol', () => {
    const issues = new ConfigIssues();
    otlpReceiverFactory.parseConfig({ protocols: {} }, 'receivers.otlp', issues);
    expect(issues.format()).toMatch(/receivers\.otlp\.protocols: must specify at least one protocol/);
  });

  it('fails to start with a clear error when the port is taken', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const r = startReceiver({ protocols: { http: { endpoint: `127.0.0.1:${port}` } } }, new CapturingConsumer(), new TestHost());
    await expect(r.started).rejects.toThrow(/receiver otlp: cannot listen: .*EADDRINUSE/);
    blocker.close();
  });
});

