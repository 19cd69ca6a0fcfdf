import { describe, expect, it } from 'vitest';
import Long from 'long';
import { decodeTraceRequestJson, OtlpJsonError } from './otlp-json-decode.js';
import { encodeTracesJson } from './otlp-json.js';
import { ExportTraceServiceRequest, decodeTraceRequest, encodeTraceRequest } from './otlp-proto.js';
import { anyValueToJs, idToHex, nanosToBigInt, type TraceData } from './model.js';

/** A request using every field of the model. */
const full: TraceData = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'reviews' } }], droppedAttributesCount: 1 },
      schemaUrl: 'https://opentelemetry.io/schemas/1.21.0',
      scopeSpans: [
        {
          scope: { name: 'envoy', version: '1.33', attributes: [{ key: 's', value: { boolValue: true } }], droppedAttributesCount: 2 },
          schemaUrl: 'https://x/1',
          spans: [
            {
              traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
              spanId: Buffer.from('b7ad6b7169203331', 'hex'),
              parentSpanId: Buffer.from('00f067aa0ba902b7', 'hex'),
              traceState: 'congo=t61rcWkgMzE',
              flags: 257,
              name: 'reviews.default.svc.cluster.local:9080/*',
              kind: 3,
              startTimeUnixNano: Long.fromString('1700000000123456789', true),
              endTimeUnixNano: Long.fromString('18446744073709551615', true),
              attributes: [
                { key: 'str', value: { stringValue: 'é ✓ "quoted"' } },
                { key: 'int', value: { intValue: Long.fromString('-9223372036854775808') } },
                { key: 'small', value: { intValue: 42 } },
                { key: 'dbl', value: { doubleValue: 0.1 } },
                { key: 'inf', value: { doubleValue: Infinity } },
                { key: 'bool', value: { boolValue: false } },
                { key: 'arr', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 1 }] } } },
                { key: 'kv', value: { kvlistValue: { values: [{ key: 'in', value: { doubleValue: 2.5 } }] } } },
                { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 254, 255]) } },
              ],
              droppedAttributesCount: 3,
              events: [{ timeUnixNano: Long.fromString('1700000000123456999', true), name: 'ss', attributes: [{ key: 'e', value: { stringValue: 'v' } }], droppedAttributesCount: 4 }],
              droppedEventsCount: 5,
              links: [
                {
                  traceId: Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex'),
                  spanId: Buffer.from('53995c3f42cd8ad8', 'hex'),
                  traceState: 'a=b',
                  attributes: [{ key: 'l', value: { intValue: 7 } }],
                  droppedAttributesCount: 6,
                  flags: 1,
                },
              ],
              droppedLinksCount: 7,
              status: { code: 2, message: 'upstream reset' },
            },
          ],
        },
      ],
    },
  ],
};

function protoBytes(td: TraceData): Buffer {
  return Buffer.from(encodeTraceRequest(td));
}

describe('OTLP/JSON decoder', () => {
  it("round-trips the encoder's output to the same protobuf bytes", () => {
    const json = encodeTracesJson(full);
    expect(protoBytes(decodeTraceRequestJson(json)).equals(protoBytes(full))).toBe(true);
  });

  it('reads proto3 JSON as protobufjs writes it (base64 IDs, enum names, string int64)', () => {
    const msg = ExportTraceServiceRequest.decode(encodeTraceRequest(full));
    const obj = ExportTraceServiceRequest.toObject(msg, { longs: String, enums: String, bytes: String, json: true });
    const json = JSON.stringify(obj);
    expect(json).toContain('"kind":"SPAN_KIND_CLIENT"');
    expect(json).toContain('"traceId":"CvdlGRbNQ92ESOshHIAxnA=="');
    expect(protoBytes(decodeTraceRequestJson(json)).equals(protoBytes(full))).toBe(true);
  });

  it('reads snake_case field names', () => {
    const msg = ExportTraceServiceRequest.decode(encodeTraceRequest(full));
    const camel = ExportTraceServiceRequest.toObject(msg, { longs: String, enums: Number, bytes: String, json: true });
    const toSnake = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(toSnake);
      if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), toSnake(x)]));
      return v;
    };
    const json = JSON.stringify(toSnake(camel));
    expect(json).toContain('"start_time_unix_nano"');
    expect(protoBytes(decodeTraceRequestJson(json)).equals(protoBytes(full))).toBe(true);
  });

  it('reads the pre-1.0 instrumentationLibrarySpans layout and ignores unknown fields', () => {
    const td = decodeTraceRequestJson(
      JSON.stringify({
        resourceSpans: [
          {
            futureField: { x: 1 },
            instrumentationLibrarySpans: [{ instrumentationLibrary: { name: 'old' }, spans: [{ traceId: '0AF7651916CD43DD8448EB211C80319C', spanId: 'B7AD6B7169203331', name: 'n', extra: true }] }],
          },
        ],
      }),
    );
    const ss = td.resourceSpans[0].scopeSpans[0];
    expect(ss.scope?.name).toBe('old');
    expect(idToHex(ss.spans[0].traceId)).toBe('0af7651916cd43dd8448eb211c80319c');
  });

  it.each([
    ['numbers for int64 and uint64', { startTimeUnixNano: 1700000000000, attributes: [{ key: 'i', value: { intValue: 5 } }] }, (s: any) => {
      expect(nanosToBigInt(s.startTimeUnixNano)).toBe(1700000000000n);
      expect(anyValueToJs(s.attributes[0].value)).toBe(5);
    }],
    ['null means not set', { parentSpanId: null, status: null, events: null, kind: null }, (s: any) => {
      expect(s.parentSpanId.length).toBe(0);
      expect(s.status).toBeUndefined();
      expect(s.kind).toBe(0);
    }],
    ['"NaN" and numeric-string doubles', { attributes: [{ key: 'a', value: { doubleValue: 'NaN' } }, { key: 'b', value: { doubleValue: '1.5' } }] }, (s: any) => {
      expect(Number.isNaN(s.attributes[0].value.doubleValue)).toBe(true);
      expect(s.attributes[1].value.doubleValue).toBe(1.5);
    }],
    ['empty AnyValue and missing value', { attributes: [{ key: 'a', value: {} }, { key: 'b' }] }, (s: any) => {
      expect(s.attributes.map((a: any) => a.key)).toEqual(['a', 'b']);
    }],
    ['status code by name', { status: { code: 'STATUS_CODE_ERROR', message: 'x' } }, (s: any) => expect(s.status).toEqual({ code: 2, message: 'x' })],
    ['flags as a string', { flags: '769' }, (s: any) => expect(s.flags).toBe(769)],
    ['an empty ID stays empty (rejected later, per span)', { spanId: '' }, (s: any) => expect(s.spanId.length).toBe(0)],
  ])('accepts %s', (_name, fields, check) => {
    const td = decodeTraceRequestJson(JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', ...fields }] }] }] }));
    check(td.resourceSpans[0].scopeSpans[0].spans[0]);
  });

  const SPAN = 'resourceSpans[0].scopeSpans[1].spans[3]';
  it.each([
    [{ traceId: 'abc' }, `${SPAN}.traceId: expected 32 hex digits (or 24 base64 characters), got "abc"`],
    [{ traceId: 'zf7651916cd43dd8448eb211c80319c0' }, `${SPAN}.traceId: expected 32 hex digits (or 24 base64 characters), got "zf7651916cd43dd8448eb211c80319c0"`],
    [{ spanId: 'b7ad6b716920333' }, `${SPAN}.spanId: expected 16 hex digits (or 12 base64 characters), got "b7ad6b716920333"`],
    [{ spanId: 12 }, `${SPAN}.spanId: expected 16 hex digits (or 12 base64 characters), got 12`],
    [{ parentSpanId: '!!!!!!!!!!!!' }, `${SPAN}.parentSpanId: expected 16 hex digits (or 12 base64 characters), got "!!!!!!!!!!!!"`],
    [{ kind: 'SERVER' }, `${SPAN}.kind: expected an integer or one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER, got "SERVER"`],
    [{ kind: -1 }, `${SPAN}.kind: expected an integer or one of SPAN_KIND_UNSPECIFIED, SPAN_KIND_INTERNAL, SPAN_KIND_SERVER, SPAN_KIND_CLIENT, SPAN_KIND_PRODUCER, SPAN_KIND_CONSUMER, got -1`],
    [{ startTimeUnixNano: '-5' }, `${SPAN}.startTimeUnixNano: expected an unsigned 64-bit integer (decimal string or number), got "-5"`],
    [{ endTimeUnixNano: '18446744073709551616' }, `${SPAN}.endTimeUnixNano: expected an unsigned 64-bit integer (decimal string or number), got "18446744073709551616"`],
    [{ endTimeUnixNano: 1.5 }, `${SPAN}.endTimeUnixNano: expected an unsigned integer, got 1.5`],
    [{ name: 5 }, `${SPAN}.name: expected a string, got 5`],
    [{ attributes: {} }, `${SPAN}.attributes: expected an array, got an object`],
    [{ attributes: [{ key: 'a', value: { intValue: '9223372036854775808' } }] }, `${SPAN}.attributes[0].value.intValue: expected a signed 64-bit integer (decimal string or number), got "9223372036854775808"`],
    [{ attributes: [{ key: 'a', value: { boolValue: 'true' } }] }, `${SPAN}.attributes[0].value.boolValue: expected true or false, got "true"`],
    [{ attributes: [{ key: 'a', value: { arrayValue: { values: [{ doubleValue: 'x' }] } } }] }, `${SPAN}.attributes[0].value.arrayValue.values[0].doubleValue: expected a number, got "x"`],
    [{ attributes: [{ key: 'a', value: { bytesValue: '***' } }] }, `${SPAN}.attributes[0].value.bytesValue: expected base64 bytes, got "***"`],
    [{ events: [{ timeUnixNano: 'soon' }] }, `${SPAN}.events[0].timeUnixNano: expected an unsigned 64-bit integer (decimal string or number), got "soon"`],
    [{ links: [{ traceId: 'x' }] }, `${SPAN}.links[0].traceId: expected 32 hex digits (or 24 base64 characters), got "x"`],
    [{ status: { code: 'ERROR' } }, `${SPAN}.status.code: expected an integer or one of STATUS_CODE_UNSET, STATUS_CODE_OK, STATUS_CODE_ERROR, got "ERROR"`],
    [{ droppedAttributesCount: -1 }, `${SPAN}.droppedAttributesCount: expected an unsigned 32-bit integer, got -1`],
  ])('rejects %j with its path', (fields, message) => {
    const spans = [{}, {}, {}, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', ...fields }];
    const body = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [] }, { spans }] }] });
    let err: unknown;
    try {
      decodeTraceRequestJson(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OtlpJsonError);
    expect((err as Error).message).toBe(message);
  });

  it.each([
    ['not JSON', '{', /^invalid JSON: /],
    ['not an object', '[]', /^expected an object, got an array$/],
    ['resourceSpans not a list', '{"resourceSpans":{}}', /^resourceSpans: expected an array, got an object$/],
    ['a resource that is a string', '{"resourceSpans":[{"resource":"x"}]}', /^resourceSpans\[0\]\.resource: expected an object, got "x"$/],
    ['values nested too deep', JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ key: 'k', value: nest(31) }] } }] }), /nested deeper than 30 levels/],
  ])('rejects a body that is %s', (_n, body, message) => {
    expect(() => decodeTraceRequestJson(body)).toThrow(message);
  });

  it('the deepest values it accepts still encode to protobuf (protobufjs refuses depth > 100)', () => {
    const kv = (d: number): unknown => (d === 0 ? { stringValue: 'leaf' } : { kvlistValue: { values: [{ key: 'k', value: kv(d - 1) }] } });
    const body = JSON.stringify({
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', events: [{ name: 'e', attributes: [{ key: 'deep', value: kv(30) }] }] }] }] }],
    });
    const td = decodeTraceRequestJson(body);
    expect(() => decodeTraceRequest(encodeTraceRequest(td))).not.toThrow();
    expect(() => decodeTraceRequestJson(body.replace('{"stringValue":"leaf"}', '{"kvlistValue":{"values":[{"key":"k","value":{"stringValue":"leaf"}}]}}'))).toThrow(/nested deeper than 30 levels/);
  });

  it('an empty request is valid', () => {
    expect(decodeTraceRequestJson('{}')).toEqual({ resourceSpans: [] });
  });

  it('decodes to the same model the protobuf codec produces', () => {
    const fromJson = decodeTraceRequestJson(encodeTracesJson(full));
    const fromProto = decodeTraceRequest(encodeTraceRequest(full));
    expect(encodeTracesJson(fromJson)).toBe(encodeTracesJson(fromProto));
  });
});

function nest(depth: number): unknown {
  let v: unknown = { stringValue: 'leaf' };
  for (let i = 0; i < depth; i++) v = { arrayValue: { values: [v] } };
  return v;
}
