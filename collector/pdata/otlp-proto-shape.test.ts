import { describe, expect, it } from 'vitest';
import { encodeTraceRequest, decodeTraceRequest } from './otlp-proto.js';
import { MAX_PROTO_VALUE_NESTING, ProtoShapeError, ProtoShapeScan, ROOT_TRACE_REQUEST, scanTraceRequestShape, scanZipkinListShape } from './otlp-proto-shape.js';
import { ListOfSpans } from '../receiver/zipkinreceiver/proto-decode.js';
import type { AnyValue, TraceData } from './model.js';
import { emptySpansProtobuf } from '../receiver/internal/testdata/hostile-payloads.js';

const tid = Buffer.alloc(16, 1);
const sid = Buffer.alloc(8, 2);

function span(attrs: Record<string, string> = {}, extra: object = {}) {
  return {
    traceId: tid,
    spanId: sid,
    name: 'GET /',
    kind: 2,
    startTimeUnixNano: 1,
    endTimeUnixNano: 2,
    attributes: Object.entries(attrs).map(([key, v]) => ({ key, value: { stringValue: v } })),
    ...extra,
  };
}

function request(spans: object[][], resourceAttrs: Record<string, string> = {}): TraceData {
  return {
    resourceSpans: [
      {
        resource: { attributes: Object.entries(resourceAttrs).map(([key, v]) => ({ key, value: { stringValue: v } })) },
        scopeSpans: spans.map((s) => ({ scope: { name: 'x' }, spans: s })),
      },
    ],
  } as unknown as TraceData;
}

function nested(depth: number): AnyValue {
  let v: AnyValue = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) v = { kvlistValue: { values: [{ key: 'k', value: v }] } };
  return v;
}

describe('OTLP protobuf shape, read before decoding', () => {
  it.each([
    ['empty request', request([]), 0],
    ['one span', request([[span()]]), 1],
    ['two scopes', request([[span(), span()], [span()]]), 3],
    ['attributes do not count as spans', request([[span({ a: 'b', c: 'd' })]], { 'service.name': 'x' }), 1],
    ['events and links', request([[span({}, { events: [{ timeUnixNano: 1, name: 'e', attributes: [] }], links: [{ traceId: tid, spanId: sid }] })]]), 1],
  ])('%s: counts the spans protobufjs would build', (_name, td, spans) => {
    const buf = encodeTraceRequest(td);
    const s = scanTraceRequestShape(buf);
    expect(s.spans).toBe(spans);
    const decoded = decodeTraceRequest(buf);
    expect(decoded.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((ss) => ss.spans)).length).toBe(spans);
  });

  it('counts messages and string bytes', () => {
    const s = scanTraceRequestShape(encodeTraceRequest(request([[span({ ab: 'cde' })]])));
    // ResourceSpans, Resource, ScopeSpans, Scope, Span, KeyValue, AnyValue
    expect(s.messages).toBe(7);
    // scope name "x", trace ID 16, span ID 8, name "GET /" 5, key 2, value 3
    expect(s.stringBytes).toBe(1 + 16 + 8 + 5 + 2 + 3);
  });

  it('counts 3,000,000 empty spans in a 6 MB body', () => {
    const body = emptySpansProtobuf(3_000_000);
    expect(body.length).toBeGreaterThan(6_000_000);
    expect(scanTraceRequestShape(body).spans).toBe(3_000_000);
  });

  it('refuses attribute values nested deeper than the limit, accepts the limit', () => {
    const at = (d: number) => encodeTraceRequest(request([[span({}, { attributes: [{ key: 'n', value: nested(d) }] })]]));
    expect(() => scanTraceRequestShape(at(MAX_PROTO_VALUE_NESTING))).not.toThrow();
    expect(() => scanTraceRequestShape(at(MAX_PROTO_VALUE_NESTING + 1))).toThrow(/nested deeper than 30 levels/);
  });

  it.each([
    ['truncated length', Buffer.from([0x0a, 0x05, 0x12])],
    ['truncated varint', Buffer.from([0x0a, 0xff])],
    ['wire type 7', Buffer.from([0x0f])],
    ['field number 0', Buffer.from([0x02, 0x00])],
    ['unterminated group', Buffer.from([0x0b])],
  ])('malformed: %s', (_name, buf) => {
    expect(() => scanTraceRequestShape(buf)).toThrow(ProtoShapeError);
    expect(() => decodeTraceRequest(buf)).toThrow(); // protobufjs refuses them too
  });

  it('skips unknown fields and groups as protobufjs does', () => {
    // field 5 varint, field 6 group { field 1 varint } end, then one ResourceSpans
    const body = Buffer.from([0x28, 0x01, 0x33, 0x08, 0x01, 0x34, 0x0a, 0x00]);
    expect(scanTraceRequestShape(body)).toMatchObject({ spans: 0, messages: 1 });
    expect(decodeTraceRequest(body).resourceSpans.length).toBe(1);
  });

  it('reads zipkin.proto3 ListOfSpans: spans, tags and endpoints', () => {
    const bytes = ListOfSpans.encode(
      ListOfSpans.fromObject({
        spans: [
          { traceId: tid, id: sid, name: 'a', tags: { k: 'v', k2: 'v2' }, localEndpoint: { serviceName: 's' }, annotations: [{ timestamp: 1, value: 'x' }] },
          { traceId: tid, id: sid },
        ],
      }),
    ).finish();
    // 2 spans + 2 tag entries + 1 endpoint + 1 annotation
    expect(scanZipkinListShape(bytes)).toMatchObject({ spans: 2, messages: 6 });
  });

  it.each([1, 2, 5, 100])('read %i fields at a time, the shape is the same as in one go', (fields) => {
    const buf = encodeTraceRequest(request([[span({ a: 'b' }, { attributes: [{ key: 'n', value: nested(5) }] }), span()], [span()]], { 'service.name': 'x' }));
    const scan = new ProtoShapeScan(buf, ROOT_TRACE_REQUEST);
    let steps = 0;
    while (!scan.step(fields)) steps++;
    expect(scan.shape).toEqual(scanTraceRequestShape(buf));
    expect(scan.shape.spans).toBe(3);
    if (fields === 1) expect(steps).toBeGreaterThan(20);
  });
});
