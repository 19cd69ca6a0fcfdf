import { describe, expect, it } from 'vitest';
import Long from 'long';
import type protobuf from 'protobufjs';
import { encodeTracesJson, OtlpJsonWriter } from './otlp-json.js';
import { decodeTraceRequest, encodeTraceRequest, ExportTraceServiceRequest } from './otlp-proto.js';
import type { TraceData } from './model.js';

const hex = (s: string) => Buffer.from(s, 'hex');

function rich(): TraceData {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'reviews' } }], droppedAttributesCount: 1 },
        schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
        scopeSpans: [
          {
            scope: { name: 'envoy', version: '1.30', attributes: [{ key: 'k', value: { boolValue: false } }] },
            spans: [
              {
                traceId: hex('0AF7651916CD43DD8448EB211C80319C'),
                spanId: hex('B7AD6B7169203331'),
                parentSpanId: hex('00f067aa0ba902b7'),
                traceState: 'congo=t61rcWkgMzE',
                flags: 257,
                name: 'GET /reviews/0 "quoted" \\ ü',
                kind: 2,
                startTimeUnixNano: Long.fromString('1700000000123456789', true),
                endTimeUnixNano: 1_700_000_000_223_456_000,
                attributes: [
                  { key: 'http.status_code', value: { stringValue: '200' } },
                  { key: 'neg', value: { intValue: Long.fromString('-9007199254740993') } },
                  { key: 'small', value: { intValue: 42 } },
                  { key: 'ratio', value: { doubleValue: 0.25 } },
                  { key: 'nan', value: { doubleValue: NaN } },
                  { key: 'inf', value: { doubleValue: -Infinity } },
                  { key: 'ok', value: { boolValue: true } },
                  { key: 'raw', value: { bytesValue: Buffer.from([0, 255, 16]) } },
                  { key: 'list', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
                  { key: 'map', value: { kvlistValue: { values: [{ key: 'x', value: { doubleValue: 1.5 } }] } } },
                  { key: 'empty', value: {} },
                ],
                droppedAttributesCount: 2,
                events: [{ timeUnixNano: 1_700_000_000_200_000_000, name: 'retry', attributes: [{ key: 'n', value: { intValue: 1 } }] }],
                droppedEventsCount: 3,
                links: [{ traceId: hex('11111111111111111111111111111111'), spanId: hex('2222222222222222'), traceState: 'a=b', flags: 1 }],
                droppedLinksCount: 4,
                status: { code: 2, message: 'upstream reset' },
              },
              {
                traceId: hex('0af7651916cd43dd8448eb211c80319c'),
                spanId: hex('0000000000000001'),
                parentSpanId: new Uint8Array(0),
                name: '',
                kind: 0,
                startTimeUnixNano: 0,
                endTimeUnixNano: 0,
                attributes: [],
                status: { code: 0 },
              },
            ],
          },
        ],
      },
    ],
  };
}

/** Independent oracle: protobufjs' own JSON mapping, with IDs turned from base64 into hex. */
function oracle(td: TraceData): unknown {
  const msg = ExportTraceServiceRequest.decode(encodeTraceRequest(td));
  const o = ExportTraceServiceRequest.toObject(msg as protobuf.Message, { longs: String, enums: Number, bytes: String, defaults: false, json: true });
  const fixIds = (x: unknown, key?: string): unknown => {
    if (Array.isArray(x)) return x.map((v) => fixIds(v));
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) out[k] = fixIds(v, k);
      return out;
    }
    if (typeof x === 'string' && key && /^(traceId|spanId|parentSpanId)$/.test(key)) return Buffer.from(x, 'base64').toString('hex');
    return x;
  };
  return fixIds(o);
}

describe('encodeTracesJson (OTLP/JSON)', () => {
  const json = encodeTracesJson(rich());
  const parsed = JSON.parse(json);

  it('is one line of valid JSON', () => {
    expect(json.includes('\n')).toBe(false);
  });

  it('writes IDs as lower-case hex, not base64', () => {
    const s = parsed.resourceSpans[0].scopeSpans[0].spans[0];
    expect(s.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(s.spanId).toBe('b7ad6b7169203331');
    expect(s.parentSpanId).toBe('00f067aa0ba902b7');
    expect(s.links[0]).toEqual({ traceId: '11111111111111111111111111111111', spanId: '2222222222222222', traceState: 'a=b', flags: 1 });
  });

  it('writes enums as integers and 64-bit integers as decimal strings', () => {
    const s = parsed.resourceSpans[0].scopeSpans[0].spans[0];
    expect(s.kind).toBe(2);
    expect(s.status).toEqual({ code: 2, message: 'upstream reset' });
    expect(s.startTimeUnixNano).toBe('1700000000123456789');
    expect(s.endTimeUnixNano).toBe('1700000000223456000');
    expect(s.attributes[1]).toEqual({ key: 'neg', value: { intValue: '-9007199254740993' } });
    expect(s.attributes[2]).toEqual({ key: 'small', value: { intValue: '42' } });
    expect(s.attributes[4]).toEqual({ key: 'nan', value: { doubleValue: 'NaN' } });
    expect(s.attributes[5]).toEqual({ key: 'inf', value: { doubleValue: '-Infinity' } });
    expect(s.attributes[7]).toEqual({ key: 'raw', value: { bytesValue: 'AP8Q' } });
  });

  it('omits default values', () => {
    const s = parsed.resourceSpans[0].scopeSpans[0].spans[1];
    expect(s).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '0000000000000001', startTimeUnixNano: '0', endTimeUnixNano: '0', status: {} });
  });

  it('matches protobufjs’ JSON mapping field for field (IDs in hex)', () => {
    const want = oracle(rich()) as { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] };
    // The oracle omits zero times; we always write them (clearer for readers of the file).
    const got = JSON.parse(json);
    delete got.resourceSpans[0].scopeSpans[0].spans[1].startTimeUnixNano;
    delete got.resourceSpans[0].scopeSpans[0].spans[1].endTimeUnixNano;
    // protobufjs writes NaN/Infinity as numbers (not valid JSON); compare those two separately above.
    for (const o of [got, want]) o.resourceSpans[0].scopeSpans[0].spans[0].attributes.splice(4, 2);
    // `empty` AnyValue: both must be an empty object.
    expect(got).toEqual(want);
  });

  it('encodes data decoded by the protobuf codec (Long times, Buffers) identically', () => {
    expect(encodeTracesJson(decodeTraceRequest(encodeTraceRequest(rich())))).toBe(json);
  });

  it('empty request', () => {
    expect(encodeTracesJson({ resourceSpans: [] })).toBe('{}');
  });
});

describe('OtlpJsonWriter byte paths', () => {
  const oneAttr = (value: TraceData['resourceSpans'][number]['scopeSpans'][number]['spans'][number]['attributes'][number]['value'], key = 'k'): TraceData => ({
    resourceSpans: [{ resource: { attributes: [{ key, value }] }, scopeSpans: [] }],
  });
  const attrValue = (line: string) => JSON.parse(line).resourceSpans[0].resource.attributes[0].value;

  it.each([
    ['plain ASCII', 'reviews.default.svc.cluster.local'],
    ['empty', ''],
    ['quote and backslash', 'say "hi" \\ now'],
    ['control characters', 'a\u0000b\tc\nd\u001f'],
    ['DEL', 'x\u007fy'],
    ['Latin-1 and BMP', 'grüße → 東京'],
    ['astral plane (surrogate pair)', 'emoji \u{1F600} end'],
    ['lone surrogate', 'bad \ud800 half'],
  ])('string value %s round-trips through JSON.parse', (_name, value) => {
    const line = encodeTracesJson(oneAttr({ stringValue: value }, value));
    // Lossless, lone surrogates included: JSON.stringify escapes them as \\uD800.
    expect(attrValue(line)).toEqual({ stringValue: value });
    expect(JSON.parse(line).resourceSpans[0].resource.attributes[0].key).toBe(value);
  });

  it.each([
    [Long.fromInt(0), '0'],
    [Long.fromInt(-1), '-1'],
    [Long.fromInt(2147483647), '2147483647'],
    [Long.fromInt(-2147483648), '-2147483648'],
    [Long.fromString('2147483648'), '2147483648'],
    [Long.fromString('-9223372036854775808'), '-9223372036854775808'],
    [Long.fromString('18446744073709551615', true), '18446744073709551615'],
    [Long.fromString('18446744073709551000', true), '18446744073709551000'],
    [42, '42'],
  ])('intValue %s is written as the decimal string %s', (v, want) => {
    expect(attrValue(encodeTracesJson(oneAttr({ intValue: v })))).toEqual({ intValue: want });
  });

  it('grows past its initial buffer and leaves no stale bytes when reused for a shorter line', () => {
    const w = new OtlpJsonWriter(16);
    const big = oneAttr({ stringValue: 'x'.repeat(100_000) });
    const first = Buffer.from(w.encode(big, true));
    expect(first.length).toBeGreaterThan(100_000);
    expect(first[first.length - 1]).toBe(0x0a);
    expect(attrValue(first.toString('utf8')).stringValue).toHaveLength(100_000);
    const small = w.encode(oneAttr({ boolValue: true }));
    expect(small.toString('utf8')).toBe('{"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"boolValue":true}}]}}]}');
  });

  it('encodes the rich request to the same bytes as the string API', () => {
    const w = new OtlpJsonWriter(8);
    expect(w.encode(rich()).toString('utf8')).toBe(encodeTracesJson(rich()));
  });
});
