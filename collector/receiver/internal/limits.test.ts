/**
 * The limits that protect the collector, through the real receivers on 127.0.0.1: admission
 * control in bytes (a real AdmissionController), the span cap, nesting, gzip bombs, caps on
 * connections and requests, short error bodies, and the counters and sampled logs of refusals.
 */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import net from 'node:net';
import zlib from 'node:zlib';
import { PassThrough } from 'node:stream';
import { otlpReceiverFactory } from '../otlpreceiver/factory.js';
import { zipkinReceiverFactory } from '../zipkinreceiver/factory.js';
import { ConfigIssues } from '../../config/issues.js';
import { CapturingConsumer, TestHost, counterValue, testAdmission, testSettings } from './testkit.js';
import { encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { createLogger } from '../../telemetry/logger.js';
import type { Component, CreateSettings } from '../../component/component.js';
import type { TraceData } from '../../pdata/model.js';
import { varint } from './testdata/hostile-payloads.js';

const MiB = 1024 * 1024;
const running: Component[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.shutdown(AbortSignal.timeout(2000))));
});

async function startOtlpHttp(host: TestHost, httpExtra: Record<string, unknown> = {}, settings: CreateSettings = testSettings('otlp')) {
  const issues = new ConfigIssues();
  const cfg = otlpReceiverFactory.parseConfig({ protocols: { http: { endpoint: '127.0.0.1:0', ...httpExtra } } }, 'receivers.otlp', issues);
  expect(issues.errors).toEqual([]);
  const consumer = new CapturingConsumer();
  const r = otlpReceiverFactory.create(cfg, settings, consumer);
  await r.start(host);
  running.push(r);
  return { port: r.httpPort!, consumer, settings };
}

async function startZipkin(host: TestHost, extra: Record<string, unknown> = {}) {
  const issues = new ConfigIssues();
  const cfg = zipkinReceiverFactory.parseConfig({ endpoint: '127.0.0.1:0', ...extra }, 'receivers.zipkin', issues);
  expect(issues.errors).toEqual([]);
  const consumer = new CapturingConsumer();
  const settings = testSettings('zipkin');
  const r = zipkinReceiverFactory.create(cfg, settings, consumer);
  await r.start(host);
  running.push(r);
  return { port: r.port!, consumer, settings };
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function post(port: number, path: string, body: Buffer | string, headers: Record<string, string>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Writes raw bytes and reads until the server closes. */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    let out = '';
    s.on('data', (d) => (out += d));
    s.on('close', () => resolve(out));
    s.on('error', reject);
  });
}

const tid = Buffer.alloc(16, 1);
const sid = Buffer.alloc(8, 2);

function traces(n: number): TraceData {
  return {
    resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: n }, () => ({ traceId: tid, spanId: sid, name: 'x', kind: 2, startTimeUnixNano: 1, endTimeUnixNano: 2, attributes: [] })) }] }],
  };
}

const PB = { 'Content-Type': 'application/x-protobuf' };
const JSON_H = { 'Content-Type': 'application/json' };

describe('span cap and body shape, before decoding', () => {
  it('OTLP: more spans than max_spans_per_request is 413, counted with its spans, never pushed on', async () => {
    const host = new TestHost();
    host.admission = testAdmission({ maxSpansPerRequest: 100 });
    const { port, consumer, settings } = await startOtlpHttp(host);
    const r = await post(port, '/v1/traces', Buffer.from(encodeTraceRequest(traces(101))), PB);
    expect(r.status).toBe(413);
    expect(r.body).toMatch(/request carries 101 spans, more than the limit of 100 per request \(max_spans_per_request\)/);
    expect(consumer.received).toEqual([]);
    expect(await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'too_many_spans' })).toBe(101);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'too_many_spans' })).toBe(1);
    expect((await post(port, '/v1/traces', Buffer.from(encodeTraceRequest(traces(100))), PB)).status).toBe(200);
    expect(host.admission.inFlightBytes).toBe(0);
  });

  it('Zipkin: a body of 200,000 {} is refused as a whole, fast, without building spans', async () => {
    const host = new TestHost();
    host.admission = testAdmission();
    const { port, consumer, settings } = await startZipkin(host);
    const body = `[${Array(200_000).fill('{}').join(',')}]`;
    const r = await post(port, '/api/v2/spans', body, JSON_H);
    expect(r.status).toBe(413);
    expect(r.body).toMatch(/request carries 200000 spans/);
    expect(consumer.received).toEqual([]);
    expect(await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'too_many_spans' })).toBe(200_000);
  });

  it.each([
    ['OTLP/JSON', 'otlp', { resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: 11 }, () => ({ traceId: '01'.repeat(16), spanId: '02'.repeat(8) })) }] }] }, '/v1/traces'],
    ['Zipkin JSON', 'zipkin', Array.from({ length: 11 }, (_, i) => ({ traceId: 'a', id: (i + 1).toString(16) })), '/api/v2/spans'],
  ])('%s: a small body is counted once decoded, and refused past the cap all the same', async (_n, kind, payload, path) => {
    const host = new TestHost();
    host.admission = testAdmission({ maxSpansPerRequest: 10 });
    const { port, consumer, settings } = kind === 'otlp' ? await startOtlpHttp(host) : await startZipkin(host);
    const r = await post(port, path, JSON.stringify(payload), JSON_H);
    expect(r.status).toBe(413);
    expect(r.body).toMatch(/request carries 11 spans, more than the limit of 10/);
    expect(consumer.received).toEqual([]);
    expect(await counterValue(settings, 'otelcol_receiver_refused_spans_total', { reason: 'too_many_spans' })).toBe(11);
    expect(host.admission.inFlightBytes).toBe(0);
  });

  it.each([
    ['OTLP/JSON', 'otlp', '/v1/traces', '['.repeat(200_000)],
    ['Zipkin JSON', 'zipkin', '/api/v2/spans', '['.repeat(200_000)],
    ['Zipkin JSON objects', 'zipkin', '/api/v2/spans', '{"a":'.repeat(100_000)],
  ])('%s nested too deep is 400 before parsing', async (_n, kind, path, body) => {
    const host = new TestHost();
    host.admission = testAdmission();
    const { port, settings } = kind === 'otlp' ? await startOtlpHttp(host) : await startZipkin(host);
    const r = await post(port, path, body, JSON_H);
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/nested deeper than (160|64) levels/);
    expect(r.body.length).toBeLessThan(300);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'invalid_data' })).toBe(1);
  });

  it.each([
    ['a small body: protobufjs refuses it', 0, /max depth exceeded/],
    ['a large body: refused before decoding', 200 * 1024, /nested deeper than 30 levels/],
  ])('OTLP protobuf with attribute values nested 2,000 levels deep is 400, not a stack overflow (%s)', async (_n, padding, message) => {
    const host = new TestHost();
    const { port } = await startOtlpHttp(host, { max_request_body_size: 10 * MiB });
    // kvlist { values { key "k" value { kvlist ... } } }, built from the inside out.
    let v = Buffer.from([0x0a, 0x01, 0x78]); // AnyValue{string_value:"x"}
    const wrap = (tag: number, b: Buffer) => Buffer.concat([Buffer.from([tag]), varint(b.length), b]);
    for (let i = 0; i < 2_000; i++) v = wrap(0x32, wrap(0x0a, Buffer.concat([Buffer.from([0x0a, 0x01, 0x6b]), wrap(0x12, v)])));
    const span = Buffer.concat([Buffer.from([0x0a, 0x10]), tid, Buffer.from([0x12, 0x08]), sid, wrap(0x4a, Buffer.concat([Buffer.from([0x0a, 0x01, 0x6e]), wrap(0x12, v)]))]);
    const pad = padding ? wrap(0x1a, Buffer.alloc(padding, 0x61)) : Buffer.alloc(0); // ResourceSpans.schema_url
    const body = wrap(0x0a, Buffer.concat([wrap(0x12, wrap(0x12, span)), pad]));
    const r = await post(port, '/v1/traces', body, PB);
    expect(r.status).toBe(400);
    expect(r.body).toMatch(message);
  });
});

describe('admission control in bytes', () => {
  it('concurrent gzip bombs: inflated bytes are held in the budget; past it, 429 + Retry-After, and all is released', async () => {
    const host = new TestHost();
    host.admission = testAdmission({ requestLimitBytes: 8 * MiB, waitingLimitBytes: 1 * MiB });
    const { port, settings } = await startOtlpHttp(host, { max_request_body_size: 20 * MiB });
    const bomb = zlib.gzipSync(Buffer.alloc(20 * MiB)); // 20 KB on the wire
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(port, '/v1/traces', bomb, { ...PB, 'Content-Encoding': 'gzip' })));
    const statuses = answers.map((a) => a.status).sort();
    // Each bomb alone is refused: it passes the 8 MiB pool (413), or finds it taken (429).
    expect(statuses.every((s) => s === 413 || s === 429)).toBe(true);
    expect(statuses).toContain(413);
    for (const a of answers.filter((x) => x.status === 429)) expect(a.headers['retry-after']).toBe('1');
    expect(host.admission.inFlightBytes).toBe(0);
    const refused = await counterValue(settings, 'meshtrace_receiver_refused_requests_total');
    expect(refused).toBe(8);
  });

  it('a request waits for room, then is served; past the waiting limit it is refused at once', async () => {
    const host = new TestHost();
    const admission = testAdmission({ requestLimitBytes: 1 * MiB, waitingLimitBytes: 100 * 1024 });
    host.admission = admission;
    const { port, consumer } = await startOtlpHttp(host);
    const taken = await admission.acquire(1 * MiB);
    const body = Buffer.from(encodeTraceRequest(traces(1)));
    const waiting = post(port, '/v1/traces', body, PB);
    await new Promise((r) => setTimeout(r, 100));
    expect(admission.waitingLineBytes).toBe(body.length);
    const big = Buffer.alloc(200 * 1024);
    const refused = await post(port, '/v1/traces', big, PB);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatch(/waiting_limit/);
    taken.release();
    expect((await waiting).status).toBe(200);
    expect(consumer.received.length).toBe(1);
    expect(admission.inFlightBytes).toBe(0);
  });

  it('live memory above the soft limit: 429 within the same request, before reading', async () => {
    const host = new TestHost();
    let live = 0;
    host.admission = testAdmission({ softLimitBytes: 100 * MiB }, () => live);
    const { port, consumer, settings } = await startOtlpHttp(host);
    const body = Buffer.from(encodeTraceRequest(traces(3)));
    expect((await post(port, '/v1/traces', body, PB)).status).toBe(200);
    live = 101 * MiB;
    const r = await post(port, '/v1/traces', body, PB);
    expect(r.status).toBe(429);
    expect(r.body).toMatch(/memory_limit/);
    expect(consumer.received.length).toBe(1);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'memory_limit' })).toBe(1);
  });

  it('a chunked body (no Content-Length) grows its grant as it arrives: past the whole pool, 413', async () => {
    const host = new TestHost();
    host.admission = testAdmission({ requestLimitBytes: 512 * 1024 });
    const { port } = await startOtlpHttp(host);
    const r = await post(port, '/v1/traces', Buffer.alloc(1024 * 1024), { ...PB, 'Transfer-Encoding': 'chunked' });
    expect(r.status).toBe(413);
    expect(r.body).toMatch(/more than the whole admission limit/);
    expect(host.admission.inFlightBytes).toBe(0);
    // while another request holds most of the pool, a chunked one is told to retry
    const taken = await host.admission.acquire(400 * 1024);
    const r2 = await post(port, '/v1/traces', Buffer.alloc(200 * 1024), { ...PB, 'Transfer-Encoding': 'chunked' });
    expect(r2.status).toBe(429);
    taken.release();
    expect(host.admission.inFlightBytes).toBe(0);
  });

  it('a request too large for the whole budget is 413 (the client must not retry it)', async () => {
    const host = new TestHost();
    host.admission = testAdmission({ requestLimitBytes: 64 * 1024 });
    const { port } = await startOtlpHttp(host);
    const r = await post(port, '/v1/traces', Buffer.alloc(100 * 1024), PB);
    expect(r.status).toBe(413);
    expect(r.body).toMatch(/too large for the collector's memory budget/);
    expect(r.headers.connection).toBe('close');
  });
});

describe('caps on connections and requests', () => {
  it('max_concurrent_requests: one more is 503 + Retry-After without reading its body', async () => {
    const host = new TestHost();
    const { port, consumer, settings } = await startOtlpHttp(host, { max_concurrent_requests: 2 });
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const original = consumer.consumeTraces.bind(consumer);
    consumer.consumeTraces = async (td) => {
      await gate;
      return original(td);
    };
    const body = Buffer.from(encodeTraceRequest(traces(1)));
    const held = [post(port, '/v1/traces', body, PB), post(port, '/v1/traces', body, PB)];
    await new Promise((r) => setTimeout(r, 100));
    const third = await post(port, '/v1/traces', body, PB);
    expect(third.status).toBe(503);
    expect(third.headers['retry-after']).toBe('1');
    expect(third.body).toMatch(/too many requests in flight \(max_concurrent_requests: 2\)/);
    release();
    expect((await Promise.all(held)).map((a) => a.status)).toEqual([200, 200]);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'too_many_requests' })).toBe(1);
  });

  it('max_connections: a connection past the cap is closed at once and counted', async () => {
    const host = new TestHost();
    const { port, settings } = await startZipkin(host, { max_connections: 2 });
    const open = await Promise.all([0, 1].map(() => new Promise<net.Socket>((r) => { const s = net.connect(port, '127.0.0.1', () => r(s)); })));
    const closed = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('close', () => resolve(true));
      s.on('error', () => undefined);
      setTimeout(() => resolve(false), 2000);
    });
    expect(closed).toBe(true);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'too_many_connections' })).toBe(1);
    for (const s of open) s.destroy();
  });
});

describe('short error answers that never echo unbounded input', () => {
  it("Node's own parser errors: 400 and 431 with a short text body, counted", async () => {
    const host = new TestHost();
    const { port, settings } = await startOtlpHttp(host);
    const bad = await raw(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(bad).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(bad).toMatch(/\r\n\r\nmalformed HTTP request\n$/);
    const big = await raw(port, `POST /v1/traces HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(big).toMatch(/\r\n\r\nrequest headers too large \(limit 64 KiB\)\n$/);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'malformed_http' })).toBe(1);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'headers_too_large' })).toBe(1);
  });

  it.each([
    ['otlp', '/v1/traces'],
    ['zipkin', '/api/v2/spans'],
  ])('%s: a 404 for a 60 KB path quotes at most 64 characters of it', async (kind) => {
    const host = new TestHost();
    const { port, settings } = kind === 'otlp' ? await startOtlpHttp(host) : await startZipkin(host);
    const path = `/${'p'.repeat(60 * 1024)}`;
    const r = await post(port, path, '{}', JSON_H);
    expect(r.status).toBe(404);
    expect(r.body.length).toBeLessThan(400);
    expect(r.body).toContain(`${'p'.repeat(63)}…`);
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'not_found' })).toBe(1);
  });

  it('a long Content-Type or Content-Encoding is cut in the answer', async () => {
    const host = new TestHost();
    const { port } = await startOtlpHttp(host);
    const t = await post(port, '/v1/traces', '{}', { 'Content-Type': `application/${'x'.repeat(10_000)}` });
    expect(t.status).toBe(415);
    expect(t.body.length).toBeLessThan(300);
    const e = await post(port, '/v1/traces', '{}', { ...JSON_H, 'Content-Encoding': 'z'.repeat(10_000) });
    expect(e.status).toBe(400);
    expect(e.body.length).toBeLessThan(300);
  });
});

describe('refusals in the log are sampled, in the metrics all counted', () => {
  it('500 bad requests: 500 counted, one warn line (then one per 10 s with the count left out)', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (d) => (text += d));
    const settings: CreateSettings = { ...testSettings('otlp'), logger: createLogger({ destination: out }) };
    const host = new TestHost();
    const { port } = await startOtlpHttp(host, {}, settings);
    for (let i = 0; i < 50; i++) {
      await Promise.all(Array.from({ length: 10 }, () => post(port, '/v1/traces', 'not json', JSON_H)));
    }
    expect(await counterValue(settings, 'meshtrace_receiver_refused_requests_total', { reason: 'invalid_data' })).toBe(500);
    const lines = text.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.msg === 'request refused');
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatchObject({ level: 'warn', reason: 'invalid_data', status: 400 });
  });
});
