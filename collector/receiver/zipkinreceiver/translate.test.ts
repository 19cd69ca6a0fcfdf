import { describe, expect, it } from 'vitest';
import { decodeZipkinJson } from './json-decode.js';
import { decodeZipkinProto, ListOfSpans } from './proto-decode.js';
import { typedTagValue, zipkinToTraceData, SHARED_ATTRIBUTE } from './translate.js';
import { MAX_REJECTION_SAMPLES, ZipkinSpanError } from './zipkin-model.js';
import { anyValueToJs, idToHex, nanosToBigInt, SpanKind, StatusCode, type Span, type TraceData } from '../../pdata/model.js';

/** Modeled on what Envoy's Zipkin tracer posts for an Istio sidecar (tags of FACTS §1). */
const envoyServerSpan = {
  traceId: '9b1d5a0e6c3f4e21',
  id: '9b1d5a0e6c3f4e21',
  kind: 'SERVER',
  name: 'reviews.default.svc.cluster.local:9080/*',
  timestamp: 1700000123456789,
  duration: 7646,
  localEndpoint: { serviceName: 'reviews.default', ipv4: '10.0.0.5', port: 0 },
  annotations: [{ timestamp: 1700000123464435, value: 'ss' }],
  tags: {
    component: 'proxy',
    node_id: 'sidecar~10.0.0.5~reviews-v1-abc.default~default.svc.cluster.local',
    'guid:x-request-id': '2d3f6f0a-8c1e-9d2b-a4f5-0e1c2b3a4d5e',
    upstream_cluster: 'inbound|9080||',
    'upstream_cluster.name': 'inbound|9080||',
    'http.method': 'GET',
    'http.url': 'http://reviews:9080/reviews/0',
    'http.protocol': 'HTTP/1.1',
    'http.status_code': '503',
    response_flags: 'UF',
    request_size: '0',
    response_size: '91',
    downstream_cluster: '-',
    'peer.address': '10.0.0.9',
    user_agent: 'curl/8.4.0',
    error: 'true',
    'istio.canonical_service': 'reviews',
    'istio.namespace': 'default',
  },
};

function only(td: TraceData): Span {
  const spans = td.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans));
  expect(spans.length).toBe(1);
  return spans[0];
}
function attrs(s: { attributes?: { key: string; value?: unknown }[] }): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const kv of s.attributes ?? []) o[kv.key] = anyValueToJs(kv.value as never);
  return o;
}
function translate(spans: unknown[], parse = false): TraceData {
  const d = decodeZipkinJson(JSON.stringify(spans));
  expect(d.rejected).toEqual([]);
  return zipkinToTraceData(d.spans, parse);
}

describe('zipkin → OTLP translation', () => {
  it('an Envoy sidecar span: IDs padded, kind, µs → ns exactly, tags, error, events, resource', () => {
    const td = translate([envoyServerSpan]);
    const s = only(td);
    expect(idToHex(s.traceId)).toBe('00000000000000009b1d5a0e6c3f4e21');
    expect(idToHex(s.spanId)).toBe('9b1d5a0e6c3f4e21');
    expect(s.parentSpanId).toBeUndefined();
    expect(s.kind).toBe(SpanKind.SERVER);
    expect(nanosToBigInt(s.startTimeUnixNano)).toBe(1700000123456789000n);
    expect(nanosToBigInt(s.endTimeUnixNano)).toBe(1700000123464435000n);
    expect(s.status).toEqual({ code: StatusCode.ERROR });
    const a = attrs(s);
    expect(a.error).toBeUndefined(); // "true" only sets the status
    expect(a['http.status_code']).toBe('503'); // strings stay strings by default
    expect(a.upstream_cluster).toBe('inbound|9080||');
    expect(a['net.host.ip']).toBe('10.0.0.5');
    expect(a['net.host.port']).toBeUndefined(); // port 0 = unknown
    expect(Object.keys(a).length).toBe(Object.keys(envoyServerSpan.tags).length - 1 + 1);
    expect(s.events!.map((e) => [e.name, nanosToBigInt(e.timeUnixNano)])).toEqual([['ss', 1700000123464435000n]]);
    expect(attrs(td.resourceSpans[0].resource!)).toEqual({ 'service.name': 'reviews.default' });
  });

  it('parse_string_tags turns numbers and booleans into typed attributes', () => {
    const a = attrs(only(translate([envoyServerSpan], true)));
    expect(a['http.status_code']).toBe(503);
    expect(a.request_size).toBe(0);
    expect(a.response_flags).toBe('UF');
    expect(a['http.protocol']).toBe('HTTP/1.1');
  });

  it.each([
    ['200', { intValue: 200 }],
    ['-7', { intValue: -7 }],
    ['9223372036854775807', { intValue: expect.anything() }],
    ['9223372036854775808', { doubleValue: 9223372036854775808 }],
    ['1.5', { doubleValue: 1.5 }],
    ['1e3', { doubleValue: 1000 }],
    ['true', { boolValue: true }],
    ['False', { boolValue: false }],
    ['yes', { stringValue: 'yes' }],
    ['', { stringValue: '' }],
    ['0x10', { stringValue: '0x10' }],
    ['+5', { intValue: 5 }],
    ['.5', { doubleValue: 0.5 }],
    ['5.', { doubleValue: 5 }],
    ['-1.25E-2', { doubleValue: -0.0125 }],
    ['1e', { stringValue: '1e' }],
    ['.', { stringValue: '.' }],
    ['+', { stringValue: '+' }],
    ['1.2.3', { stringValue: '1.2.3' }],
    ['1e+', { stringValue: '1e+' }],
    [' 1', { stringValue: ' 1' }],
    // Go's strconv: an overflowing double is an error, so the tag stays a string.
    ['1e400', { stringValue: '1e400' }],
    ['9'.repeat(400), { stringValue: '9'.repeat(400) }],
  ])('typed tag value %j', (input, expected) => {
    expect(typedTagValue(input)).toEqual(expected);
  });

  it('reads an 80 KB numeric tag in one pass (the decimal regular expression backtracked for seconds)', () => {
    const digits = '1'.repeat(80_000);
    // Each would take the old /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/ quadratic time.
    expect(typedTagValue(`${digits}x`)).toEqual({ stringValue: `${digits}x` });
    expect(typedTagValue(`${digits}.5e`)).toEqual({ stringValue: `${digits}.5e` });
    expect(typedTagValue(digits)).toEqual({ stringValue: digits }); // beyond int64 and double range
    expect(typedTagValue(`0.${digits}`)).toEqual({ doubleValue: Number(`0.${digits}`) });
  });

  it.each([
    ['CLIENT', {}, SpanKind.CLIENT],
    ['SERVER', {}, SpanKind.SERVER],
    ['PRODUCER', {}, SpanKind.PRODUCER],
    ['CONSUMER', {}, SpanKind.CONSUMER],
    ['client', {}, SpanKind.CLIENT],
    [undefined, {}, SpanKind.UNSPECIFIED],
    [undefined, { 'span.kind': 'internal' }, SpanKind.INTERNAL],
  ])('kind %s with tags %j → %i', (kind, tags, expected) => {
    const s = only(translate([{ traceId: 'a', id: 'b', kind, tags, timestamp: 1 }]));
    expect(s.kind).toBe(expected);
    expect(attrs(s)['span.kind']).toBeUndefined();
  });

  it.each([
    [{ error: 'connection refused' }, { code: StatusCode.ERROR, message: 'connection refused' }, { error: 'connection refused' }],
    [{ error: '' }, { code: StatusCode.ERROR }, {}],
    [{ 'otel.status_code': 'ERROR', error: 'boom' }, { code: StatusCode.ERROR, message: 'boom' }, { error: 'boom' }],
    [{ 'otel.status_code': 'STATUS_CODE_OK' }, { code: StatusCode.OK }, {}],
    [{ 'otel.status_code': 'Error', 'otel.status_description': 'bad' }, { code: StatusCode.ERROR, message: 'bad' }, {}],
    [{}, undefined, {}],
  ])('status from tags %j', (tags, status, rest) => {
    const s = only(translate([{ traceId: 'a', id: 'b', tags, timestamp: 1 }]));
    expect(s.status).toEqual(status);
    expect(attrs(s)).toEqual({ ...rest });
  });

  it('128-bit trace IDs, parents, tracestate, and parentId equal to id', () => {
    const td = translate([
      { traceId: '4BF92F3577B34DA6A3CE929D0E0E4736', id: '00f067aa0ba902b7', parentId: '53995c3f42cd8ad8', timestamp: 1, tags: { 'w3c.tracestate': 'a=b' } },
      { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', id: '53995c3f42cd8ad8', parentId: '53995c3f42cd8ad8', timestamp: 1 },
    ]);
    const [a, b] = td.resourceSpans[0].scopeSpans[0].spans;
    expect(idToHex(a.traceId)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(idToHex(a.parentSpanId)).toBe('53995c3f42cd8ad8');
    expect(a.traceState).toBe('a=b');
    expect(attrs(a)['w3c.tracestate']).toBeUndefined();
    expect(b.parentSpanId).toBeUndefined();
  });

  it('shared SERVER spans get their own deterministic ID under the shared (client) span', () => {
    const shared = { traceId: 'abc', id: '1111111111111111', parentId: '2222222222222222', kind: 'SERVER', shared: true, timestamp: 5, localEndpoint: { serviceName: 'b' } };
    const s1 = only(translate([shared]));
    const s2 = only(translate([shared]));
    expect(idToHex(s1.parentSpanId)).toBe('1111111111111111');
    expect(idToHex(s1.spanId)).not.toBe('1111111111111111');
    expect(idToHex(s1.spanId)).toBe(idToHex(s2.spanId)); // retries give the same ID
    expect(attrs(s1)[SHARED_ATTRIBUTE]).toBe(true);
    // a shared flag on a CLIENT span changes nothing
    const c = only(translate([{ ...shared, kind: 'CLIENT' }]));
    expect(idToHex(c.spanId)).toBe('1111111111111111');
    expect(idToHex(c.parentSpanId)).toBe('2222222222222222');
  });

  it('endpoints become net.host.* / net.peer.* / peer.service', () => {
    const s = only(
      translate([
        {
          traceId: 'a',
          id: 'b',
          timestamp: 1,
          localEndpoint: { serviceName: 'front', ipv4: '10.1.1.1', ipv6: '2001:db8::1', port: 8080 },
          remoteEndpoint: { serviceName: 'backend', ipv4: '10.2.2.2', port: 9080 },
        },
      ]),
    );
    expect(attrs(s)).toEqual({ 'net.host.ip': '2001:db8::1', 'net.host.port': 8080, 'peer.service': 'backend', 'net.peer.ip': '10.2.2.2', 'net.peer.port': 9080 });
  });

  it('no timestamp: starts at 0 and is marked, as otelcol does', () => {
    const s = only(translate([{ traceId: 'a', id: 'b', duration: 12 }]));
    expect(nanosToBigInt(s.startTimeUnixNano)).toBe(0n);
    expect(nanosToBigInt(s.endTimeUnixNano)).toBe(12000n);
    expect(attrs(s)['otel.zipkin.absentField.startTime']).toBe(true);
  });

  it('fractional microseconds (as the OTel JS exporter sends) are kept to the nanosecond', () => {
    const s = only(translate([{ traceId: 'a', id: 'b', timestamp: 1700000000.25, duration: 1.5 }]));
    expect(nanosToBigInt(s.startTimeUnixNano)).toBe(1700000000250n);
    expect(nanosToBigInt(s.endTimeUnixNano)).toBe(1700000001750n);
  });

  it.each([
    [1, 1000n],
    [4294967295, 4294967295000n],
    [4294967296, 4294967296000n],
    [4294967295.9996, 4294967296000n], // the rounded fraction carries into the next µs
    [9007199254740991, 9007199254740991000n],
    ['1700000000123456', 1700000000123456000n],
  ])('µs %s → ns %s exactly', (us, ns) => {
    const s = only(translate([{ traceId: 'a', id: 'b', timestamp: us }]));
    expect(nanosToBigInt(s.startTimeUnixNano)).toBe(ns);
  });

  it('timestamps beyond 2^53 ns keep every digit', () => {
    const s = only(translate([{ traceId: 'a', id: 'b', timestamp: 4102444800123457, duration: 999999 }]));
    expect(nanosToBigInt(s.startTimeUnixNano)).toBe(4102444800123457000n);
    expect(nanosToBigInt(s.endTimeUnixNano)).toBe(4102444801123456000n);
  });

  it('groups spans by local service and resource tags, and by scope', () => {
    const td = translate([
      { traceId: 'a', id: '1', timestamp: 1, localEndpoint: { serviceName: 'x' }, tags: { 'otel.scope.name': 'lib', 'otel.scope.version': '2' } },
      { traceId: 'a', id: '2', timestamp: 1, localEndpoint: { serviceName: 'y' }, tags: { 'k8s.pod.name': 'y-1', plain: 'v' } },
      { traceId: 'a', id: '3', timestamp: 1, localEndpoint: { serviceName: 'x' } },
      { traceId: 'a', id: '4', timestamp: 1, localEndpoint: { serviceName: 'y' }, tags: { 'k8s.pod.name': 'y-2' } },
      { traceId: 'a', id: '5', timestamp: 1 },
    ]);
    const summary = td.resourceSpans.map((rs) => ({
      resource: attrs(rs.resource!),
      scopes: rs.scopeSpans.map((ss) => ({ scope: ss.scope ?? null, ids: ss.spans.map((s) => idToHex(s.spanId)) })),
    }));
    expect(summary).toEqual([
      { resource: { 'service.name': 'x' }, scopes: [{ scope: { name: 'lib', version: '2' }, ids: ['0000000000000001'] }, { scope: null, ids: ['0000000000000003'] }] },
      { resource: { 'service.name': 'y', 'k8s.pod.name': 'y-1' }, scopes: [{ scope: null, ids: ['0000000000000002'] }] },
      { resource: { 'service.name': 'y', 'k8s.pod.name': 'y-2' }, scopes: [{ scope: null, ids: ['0000000000000004'] }] },
      { resource: {}, scopes: [{ scope: null, ids: ['0000000000000005'] }] },
    ]);
    expect(attrs(td.resourceSpans[1].scopeSpans[0].spans[0])).toEqual({ plain: 'v' });
  });

  it("annotations in otelcol's name|{json}|dropped form are unpacked", () => {
    const s = only(
      translate([
        {
          traceId: 'a',
          id: 'b',
          timestamp: 1,
          annotations: [
            { timestamp: 2, value: 'retry|{"attempt":2,"why":"503","ok":false,"ratio":0.5}|1' },
            { timestamp: 3, value: 'a|b' },
            { timestamp: 4, value: 'x|{not json}|0' },
          ],
        },
      ]),
    );
    const [e1, e2, e3] = s.events!;
    expect(e1.name).toBe('retry');
    expect(attrs(e1)).toEqual({ attempt: 2, why: '503', ok: false, ratio: 0.5 });
    expect(e1.droppedAttributesCount).toBe(1);
    expect(nanosToBigInt(e1.timeUnixNano)).toBe(2000n);
    expect(e2.name).toBe('a|b');
    expect(e3.name).toBe('x|{not json}|0');
  });
});

describe('zipkin JSON decoding errors', () => {
  it.each([
    ['{', /invalid JSON/],
    ['{"traceId":"a"}', /expected a JSON list of Zipkin v2 spans, got an object/],
    ['"x"', /expected a JSON list/],
  ])('body %s fails as a whole', (body, msg) => {
    expect(() => decodeZipkinJson(body)).toThrow(msg);
  });

  it.each([
    [{ id: 'b' }, '[0].traceId: missing'],
    [{ traceId: 'xyz', id: 'b' }, '[0].traceId: expected 16 or 32 hex digits, got "xyz"'],
    [{ traceId: '0'.repeat(33), id: 'b' }, /\[0\]\.traceId: expected 16 or 32 hex digits/],
    [{ traceId: '0000000000000000', id: 'b' }, '[0].traceId: must not be all zeros'],
    [{ traceId: 'a', id: '0' }, '[0].id: must not be all zeros'],
    [{ traceId: 'a', id: '12345678901234567' }, '[0].id: expected 16 hex digits, got "12345678901234567"'],
    [{ traceId: 'a', id: 'b', kind: 'SIDEWAYS' }, '[0].kind: expected CLIENT, SERVER, PRODUCER or CONSUMER, got "SIDEWAYS"'],
    [{ traceId: 'a', id: 'b', timestamp: -1 }, '[0].timestamp: expected a non-negative number of microseconds, got -1'],
    [{ traceId: 'a', id: 'b', timestamp: '1.5' }, /\[0\]\.timestamp/],
    [{ traceId: 'a', id: 'b', tags: { x: { y: 1 } } }, '[0].tags.x: expected a string, got an object'],
    [{ traceId: 'a', id: 'b', localEndpoint: { port: 70000 } }, '[0].localEndpoint.port: expected a port number 0-65535, got 70000'],
    [{ traceId: 'a', id: 'b', annotations: [{ timestamp: 'soon', value: 'x' }] }, /\[0\]\.annotations\[0\]\.timestamp/],
    [7, '[0]: expected a span object, got 7'],
  ])('span %j is rejected alone: %s', (bad, message) => {
    const d = decodeZipkinJson(JSON.stringify([{ traceId: 'a', id: 'c' }, bad]));
    expect(d.spans.length).toBe(1);
    expect(d.rejected.length).toBe(1);
    const m = d.rejected[0].message.replace('[1]', '[0]');
    if (typeof message === 'string') expect(m).toBe(message);
    else expect(m).toMatch(message);
  });

  it('an all-zero parent means no parent; numeric tags are stringified', () => {
    const d = decodeZipkinJson(JSON.stringify([{ traceId: 'a', id: 'b', parentId: '0000000000000000', tags: { n: 5, b: true } }]));
    expect(d.spans[0].parentId).toBeUndefined();
    expect(d.spans[0].tags).toEqual({ n: '5', b: 'true' });
  });
});

describe('zipkin decoding of many bad spans', () => {
  it('rejects 100,000 empty spans one by one, keeping 10 messages and a count', () => {
    const d = decodeZipkinJson(`[${Array(100_000).fill('{}').join(',')}]`);
    expect(d.spans).toEqual([]);
    expect(d.rejectedCount).toBe(100_000);
    expect(d.rejected.length).toBe(MAX_REJECTION_SAMPLES);
    expect(d.rejected[0]).toEqual({ index: 0, message: '[0].traceId: missing' });
    expect(d.rejected[9]).toEqual({ index: 9, message: '[9].traceId: missing' });
  });

  it('a rejection is not an Error: no stack trace is captured per span', () => {
    expect(new ZipkinSpanError('traceId', 'missing')).not.toBeInstanceOf(Error);
  });

  it('long tag keys are cut in messages', () => {
    const key = 'k'.repeat(10_000);
    const d = decodeZipkinJson(JSON.stringify([{ traceId: 'a', id: 'b', tags: { [key]: { x: 1 } } }]));
    expect(d.rejected[0].message).toBe(`[0].tags.${'k'.repeat(64)}…: expected a string, got an object`);
  });

  it('proto3: the same bounded rejections', () => {
    const bytes = ListOfSpans.encode(ListOfSpans.fromObject({ spans: Array.from({ length: 50 }, () => ({ id: Buffer.alloc(8, 1) })) })).finish();
    const d = decodeZipkinProto(bytes);
    expect(d.rejectedCount).toBe(50);
    expect(d.rejected.length).toBe(MAX_REJECTION_SAMPLES);
    expect(d.rejected[3].message).toBe('[3].traceId: missing');
  });
});

describe('zipkin proto3 decoding', () => {
  it('decodes ListOfSpans like the JSON form', () => {
    const bytes = ListOfSpans.encode(
      ListOfSpans.fromObject({
        spans: [
          {
            traceId: Buffer.from('9b1d5a0e6c3f4e21', 'hex'),
            id: Buffer.from('9b1d5a0e6c3f4e21', 'hex'),
            kind: 2,
            name: envoyServerSpan.name,
            timestamp: envoyServerSpan.timestamp,
            duration: envoyServerSpan.duration,
            localEndpoint: { serviceName: 'reviews.default', ipv4: Buffer.from([10, 0, 0, 5]) },
            annotations: [{ timestamp: 1700000123464435, value: 'ss' }],
            tags: envoyServerSpan.tags,
          },
          { traceId: Buffer.from([1, 2, 3]), id: Buffer.from('0102030405060708', 'hex') },
          { traceId: Buffer.alloc(16, 1), id: Buffer.from('0102030405060708', 'hex'), remoteEndpoint: { ipv6: Buffer.from('20010db8000000000000000000000001', 'hex'), port: 443 } },
        ],
      }),
    ).finish();
    const d = decodeZipkinProto(bytes);
    expect(d.rejected).toEqual([{ index: 1, message: '[1].traceId: expected 8 or 16 bytes, got 3' }]);
    const fromJson = zipkinToTraceData(decodeZipkinJson(JSON.stringify([envoyServerSpan])).spans, false);
    const fromProto = zipkinToTraceData(d.spans.slice(0, 1), false);
    expect(fromProto).toEqual(fromJson);
    expect(attrs(zipkinToTraceData(d.spans.slice(1), false).resourceSpans[0].scopeSpans[0].spans[0])).toMatchObject({
      'net.peer.ip': '2001:db8:0:0:0:0:0:1',
      'net.peer.port': 443,
      'otel.zipkin.absentField.startTime': true,
    });
  });

  it('throws on bytes that are not a ListOfSpans', () => {
    expect(() => decodeZipkinProto(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff]))).toThrow(/invalid zipkin.proto3.ListOfSpans protobuf/);
  });
});
