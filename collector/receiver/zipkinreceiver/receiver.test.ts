import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import zlib from 'node:zlib';
import * as api from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { zipkinReceiverFactory } from './factory.js';
import type { ZipkinReceiver } from './receiver.js';
import { ListOfSpans } from './proto-decode.js';
import { ConfigIssues } from '../../config/issues.js';
import { CapturingConsumer, TestHost, counterValue, testSettings } from '../internal/testkit.js';
import { ConsumerError } from '../../component/consumer-error.js';
import { anyValueToJs, idToHex, nanosToBigInt, SpanKind, spanCount, StatusCode, type Span, type TraceData } from '../../pdata/model.js';

function makeSdkSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'productpage', 'k8s.namespace.name': 'bookinfo' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('zipkin-test');
  const root = tracer.startSpan('GET /productpage', {
    kind: api.SpanKind.SERVER,
    attributes: { 'http.method': 'GET', 'http.status_code': 502, retried: true },
    startTime: [1700000000, 123456789],
  });
  root.addEvent('upstream reset', undefined, [1700000000, 200000501]);
  root.setStatus({ code: api.SpanStatusCode.ERROR, message: 'upstream failed' });
  const parent = api.trace.setSpanContext(api.context.active(), root.spanContext());
  const child = tracer.startSpan('GET reviews', { kind: api.SpanKind.CLIENT, startTime: [1700000000, 300000000] }, parent);
  child.setStatus({ code: api.SpanStatusCode.OK });
  child.end([1700000000, 450000999]);
  const local = tracer.startSpan('render', { startTime: [1700000000, 500000000] }, parent);
  local.end([1700000000, 500000500]);
  root.end([1700000001, 0]);
  return memory.getFinishedSpans();
}

function hrToNs(t: [number, number]): bigint {
  return BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
}
function hrToMicros(t: [number, number]): bigint {
  return BigInt(Math.round(t[0] * 1e6 + t[1] / 1e3));
}
function attrs(a: { key: string; value?: unknown }[] | undefined): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of a ?? []) o[kv.key] = anyValueToJs(kv.value as never);
  return o;
}
function allSpans(tds: TraceData[]): { span: Span; resource: Record<string, unknown> }[] {
  return tds.flatMap((td) => td.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans.map((span) => ({ span, resource: attrs(rs.resource?.attributes) })))));
}

const consumer = new CapturingConsumer();
const host = new TestHost();
let receiver: ZipkinReceiver;
let settings: ReturnType<typeof testSettings>;
let port: number;

beforeAll(async () => {
  const issues = new ConfigIssues();
  const cfg = zipkinReceiverFactory.parseConfig({ endpoint: '127.0.0.1:0', max_request_body_size: '64KiB' }, 'receivers.zipkin', issues);
  expect(issues.errors).toEqual([]);
  settings = testSettings('zipkin');
  receiver = zipkinReceiverFactory.create(cfg, settings, consumer);
  await receiver.start(host);
  port = receiver.port!;
});
afterAll(async () => receiver?.shutdown(AbortSignal.timeout(2000)));
beforeEach(() => {
  consumer.received.length = 0;
  consumer.refuseWith = undefined;
  consumer.refuseTimes = undefined;
  host.refusing = false;
});

describe('zipkin receiver with the official OpenTelemetry Zipkin exporter', () => {
  it('every field the exporter sends arrives, translated as otelcol does', async () => {
    const sdk = makeSdkSpans();
    const exporter = new ZipkinExporter({ url: `http://127.0.0.1:${port}/api/v2/spans` });
    const res = await new Promise<ExportResult>((resolve) => exporter.export(sdk, resolve));
    await exporter.shutdown();
    expect(res.code, String(res.error)).toBe(ExportResultCode.SUCCESS);
    const got = allSpans(consumer.received);
    expect(got.length).toBe(sdk.length);
    const kinds: Record<number, number> = { [api.SpanKind.SERVER]: SpanKind.SERVER, [api.SpanKind.CLIENT]: SpanKind.CLIENT, [api.SpanKind.INTERNAL]: SpanKind.UNSPECIFIED };
    for (const s of sdk) {
      const g = got.find((x) => idToHex(x.span.spanId) === s.spanContext().spanId)!;
      expect(g, s.name).toBeDefined();
      const span = g.span;
      expect(idToHex(span.traceId)).toBe(s.spanContext().traceId);
      expect(idToHex(span.parentSpanId)).toBe(s.parentSpanContext?.spanId ?? '');
      expect(span.name).toBe(s.name);
      expect(span.kind).toBe(kinds[s.kind]);
      // Zipkin carries microseconds (this exporter: fractional ones in a JSON double, so a few
      // hundred ns of float error); the duration it rounds to whole µs.
      const start = nanosToBigInt(span.startTimeUnixNano);
      expect(Math.abs(Number(start - hrToNs(s.startTime)))).toBeLessThan(1000);
      expect(nanosToBigInt(span.endTimeUnixNano) - start).toBe(hrToMicros(s.duration) * 1000n);
      // resource attributes travel as tags and come back to the resource (as strings)
      expect(g.resource).toEqual(Object.fromEntries(Object.entries(s.resource.attributes).map(([k, v]) => [k, String(v)])));
      const expectedAttrs: Record<string, unknown> = Object.fromEntries(Object.entries(s.attributes).map(([k, v]) => [k, String(v)]));
      if (s.status.code === api.SpanStatusCode.ERROR) expectedAttrs.error = s.status.message; // otelcol keeps a non-"true" error tag
      expect(attrs(span.attributes)).toEqual(expectedAttrs);
      expect(span.status?.code ?? StatusCode.UNSET).toBe(s.status.code);
      expect(span.status?.message ?? '').toBe(s.status.message ?? '');
      expect((span.events ?? []).map((e) => [e.name, nanosToBigInt(e.timeUnixNano)])).toEqual(s.events.map((e) => [e.name, hrToMicros(e.time) * 1000n]));
    }
    expect(await counterValue(settings, 'otelcol_receiver_accepted_spans_total', { receiver: 'zipkin', transport: 'http' })).toBeGreaterThanOrEqual(3);
  });
});

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
function post(opts: { path?: string; method?: string; headers?: Record<string, string>; body?: Buffer | string }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: opts.path ?? '/api/v2/spans', method: opts.method ?? 'POST', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** An Envoy-shaped pair: gateway CLIENT span and the sidecar's shared SERVER span. */
const envoyBody = JSON.stringify([
  {
    traceId: '80f198ee56343ba864fe8b2a57d3eff7',
    id: 'e457b5a2e4d86bd1',
    parentId: '05e3ac9a4f6e3b90',
    kind: 'CLIENT',
    name: 'productpage.bookinfo.svc.cluster.local:9080/productpage',
    timestamp: 1701779876570888,
    duration: 11932,
    localEndpoint: { serviceName: 'istio-ingressgateway.istio-system', ipv4: '10.244.0.14', port: 0 },
    tags: { component: 'proxy', node_id: 'router~10.244.0.14~istio-ingressgateway-79788cd94-wgmsp.istio-system~istio-system.svc.cluster.local', upstream_cluster: 'outbound|9080||productpage.bookinfo.svc.cluster.local', 'http.status_code': '200' },
  },
  {
    traceId: '80f198ee56343ba864fe8b2a57d3eff7',
    id: 'e457b5a2e4d86bd1',
    parentId: '05e3ac9a4f6e3b90',
    kind: 'SERVER',
    shared: true,
    name: 'productpage.bookinfo.svc.cluster.local:9080/productpage',
    timestamp: 1701779876572001,
    duration: 9000,
    localEndpoint: { serviceName: 'productpage.bookinfo', ipv4: '10.244.0.20' },
    tags: { component: 'proxy', upstream_cluster: 'inbound|9080||', 'http.status_code': '200' },
  },
]);

describe('zipkin HTTP answers', () => {
  it('202 for Envoy-shaped JSON, grouped per local service, shared span re-parented', async () => {
    const r = await post({ headers: { 'Content-Type': 'application/json' }, body: envoyBody });
    expect(r.status).toBe(202);
    expect(r.body).toBe('');
    const td = consumer.received[0];
    expect(td.resourceSpans.map((rs) => attrs(rs.resource?.attributes)['service.name'])).toEqual(['istio-ingressgateway.istio-system', 'productpage.bookinfo']);
    const [client, server] = allSpans([td]).map((x) => x.span);
    expect(idToHex(client.spanId)).toBe('e457b5a2e4d86bd1');
    expect(idToHex(server.parentSpanId)).toBe('e457b5a2e4d86bd1');
    expect(idToHex(server.spanId)).not.toBe('e457b5a2e4d86bd1');
  });

  it('202 for gzip JSON and for gzip proto3 ListOfSpans; no Content-Type means JSON', async () => {
    const g = await post({ headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(envoyBody) });
    expect(g.status).toBe(202);
    const n = await post({ body: envoyBody });
    expect(n.status).toBe(202);
    const proto = ListOfSpans.encode(
      ListOfSpans.fromObject({ spans: [{ traceId: Buffer.alloc(8, 7), id: Buffer.alloc(8, 9), kind: 1, name: 'x', timestamp: 1701779876570888, duration: 5, localEndpoint: { serviceName: 'p' } }] }),
    ).finish();
    const p = await post({ headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(proto) });
    expect(p.status).toBe(202);
    expect(consumer.received.map(spanCount)).toEqual([2, 2, 1]);
    const s = consumer.received[2].resourceSpans[0].scopeSpans[0].spans[0];
    expect(idToHex(s.traceId)).toBe('00000000000000000707070707070707');
    expect(nanosToBigInt(s.startTimeUnixNano)).toBe(1701779876570888000n);
  });

  it('bad spans are rejected alone and counted; all bad → 400', async () => {
    const before = await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'invalid_span' });
    const body = JSON.stringify([{ traceId: 'a', id: 'b' }, { traceId: 'zz', id: 'b' }]);
    const r = await post({ headers: { 'Content-Type': 'application/json' }, body });
    expect(r.status).toBe(202);
    expect(r.body).toContain('1 span(s) rejected: [1].traceId: expected 16 or 32 hex digits, got "zz"');
    expect(spanCount(consumer.received[0])).toBe(1);
    const all = await post({ headers: { 'Content-Type': 'application/json' }, body: JSON.stringify([{ id: 'b' }]) });
    expect(all.status).toBe(400);
    expect(all.body).toContain('[0].traceId: missing');
    expect(await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'invalid_span' })).toBe(before + 2);
  });

  it.each([
    [{ body: '{"not":"a list"}' }, 400, /expected a JSON list of Zipkin v2 spans/],
    [{ body: '[{' }, 400, /invalid JSON/],
    [{ headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff]) }, 400, /invalid zipkin.proto3.ListOfSpans protobuf/],
    [{ path: '/api/v1/spans', body: '[]' }, 400, /Zipkin v1 \(\/api\/v1\/spans\) is not supported/],
    [{ path: '/api/v2/trace', body: '[]' }, 404, /404 page not found/],
    [{ method: 'GET' }, 405, /method not allowed/],
    [{ headers: { 'Content-Type': 'application/x-thrift' }, body: 'x' }, 415, /Thrift is Zipkin v1/],
    [{ headers: { 'Content-Type': 'application/xml' }, body: '<x/>' }, 415, /unsupported media type "application\/xml"/],
    [{ headers: { 'Content-Encoding': 'gzip' }, body: 'plain' }, 400, /invalid gzip request body/],
    [{ headers: { 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(Buffer.alloc(10 * 1024 * 1024)) }, 413, /decompressed request body exceeds the limit of 65536 bytes/],
    [{ body: `[${'{"traceId":"a","id":"b"},'.repeat(3000)}{}]` }, 413, /exceeds the limit of 65536 bytes/],
  ])('error case %# → %i', async (req, status, message) => {
    const r = await post(req);
    expect(r.status).toBe(status);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body).toMatch(message);
    if (status === 405) expect(r.headers.allow).toBe('POST');
    expect(consumer.received.length).toBe(0);
  });

  it('503 + Retry-After when the pipeline refuses retryably, 429 under memory pressure, 400 when permanent', async () => {
    consumer.refuseWith = ConsumerError.retryable('sending queue is full', 'queue_full', 6);
    const a = await post({ body: envoyBody });
    expect([a.status, a.headers['retry-after'], a.body.trim()]).toEqual([503, '6', 'sending queue is full']);
    consumer.refuseWith = ConsumerError.permanent('rejected by backend');
    const b = await post({ body: envoyBody });
    expect([b.status, b.headers['retry-after']]).toEqual([400, undefined]);
    consumer.refuseWith = undefined;
    host.refusing = true;
    host.retryAfter = 9;
    const c = await post({ body: envoyBody });
    expect([c.status, c.headers['retry-after']]).toEqual([429, '9']);
    expect(consumer.received.length).toBe(0);
    expect(await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'queue_full' })).toBeGreaterThanOrEqual(2);
  });

  it('never crashes on mutated bodies (small fuzz)', async () => {
    let x = 987654;
    const rnd = () => ((x = (x * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 60; i++) {
      const b = Buffer.from(envoyBody);
      for (let j = 0; j < 4; j++) b[Math.floor(rnd() * b.length)] = 32 + Math.floor(rnd() * 95);
      const r = await post({ body: b });
      expect([202, 400]).toContain(r.status);
    }
    expect((await post({ body: envoyBody })).status).toBe(202);
  });
});

describe('zipkin slow clients', () => {
  it('cuts off a client that sends its headers too slowly (408)', async () => {
    const net = await import('node:net');
    const issues = new ConfigIssues();
    const cfg = zipkinReceiverFactory.parseConfig({ endpoint: '127.0.0.1:0', read_header_timeout: '200ms', read_timeout: '400ms' }, 'receivers.zipkin', issues);
    const r = zipkinReceiverFactory.create(cfg, testSettings('zipkin/slow'), new CapturingConsumer());
    await r.start(new TestHost());
    try {
      const answer = await new Promise<string>((resolve) => {
        const sock = net.connect(r.port!, '127.0.0.1', () => sock.write('POST /api/v2/spans HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n[{'));
        let got = '';
        sock.on('data', (d) => (got += d.toString()));
        sock.on('close', () => resolve(got));
        sock.on('error', () => resolve(got));
        setTimeout(() => sock.destroy(), 8000);
      });
      expect(answer).toMatch(/^HTTP\/1.1 408/);
    } finally {
      await r.shutdown(AbortSignal.timeout(1000));
    }
  });
});

describe('zipkin receiver config', () => {
  it('defaults and errors by path', () => {
    const ok = new ConfigIssues();
    expect(zipkinReceiverFactory.parseConfig(null, 'receivers.zipkin', ok)).toMatchObject({ endpoint: 'localhost:9411', parseStringTags: false, maxRequestBodySize: 20 * 1024 * 1024 });
    expect(ok.errors).toEqual([]);
    const bad = new ConfigIssues();
    zipkinReceiverFactory.parseConfig({ endpoint: 9411, parse_string_tags: 'yes', max_request_body_size: 'lots', read_timeout: 5 }, 'receivers.zipkin', bad);
    expect(bad.errors.map((e) => e.path)).toEqual([
      'receivers.zipkin.endpoint',
      'receivers.zipkin.max_request_body_size',
      'receivers.zipkin.read_timeout',
      'receivers.zipkin.parse_string_tags',
    ]);
  });
});
