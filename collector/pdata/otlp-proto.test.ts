import { describe, expect, it } from 'vitest';
import Long from 'long';
import { decodeTraceRequest, encodeTraceRequest } from './otlp-proto.js';
import { anyValueToJs, getStringAttr, idToHex, nanosToBigInt, spanCount, type TraceData } from './model.js';

const td: TraceData = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'reviews' } }] },
      scopeSpans: [
        {
          spans: [
            {
              traceId: Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex'),
              spanId: Buffer.from('b7ad6b7169203331', 'hex'),
              name: 'reviews.default.svc.cluster.local:9080/*',
              kind: 3,
              startTimeUnixNano: Long.fromString('1700000000123456789', true),
              endTimeUnixNano: Long.fromString('1700000000223456789', true),
              attributes: [
                { key: 'n', value: { intValue: 5 } },
                { key: 'b', value: { boolValue: false } },
                { key: 's', value: { stringValue: '' } },
                { key: 'd', value: { doubleValue: 0 } },
              ],
            },
          ],
        },
      ],
    },
  ],
};

describe('OTLP protobuf codec', () => {
  it('round-trips and exposes only the oneof member that is set', () => {
    const back = decodeTraceRequest(encodeTraceRequest(td));
    expect(spanCount(back)).toBe(1);
    const span = back.resourceSpans[0].scopeSpans[0].spans[0];
    expect(idToHex(span.traceId)).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(span.parentSpanId?.length ?? 0).toBe(0);
    expect(nanosToBigInt(span.startTimeUnixNano)).toBe(1700000000123456789n);
    const [n, b, s, d] = span.attributes.map((a) => a.value!);
    expect(n.stringValue).toBeUndefined();
    expect(n.boolValue).toBeUndefined();
    expect(anyValueToJs(n)).toBe(5);
    expect(b.boolValue).toBe(false);
    expect(b.intValue).toBeUndefined();
    expect(anyValueToJs(s)).toBe('');
    expect(d.doubleValue).toBe(0);
    expect(getStringAttr(back.resourceSpans[0].resource?.attributes, 'service.name')).toBe('reviews');
    expect(getStringAttr(span.attributes, 'n')).toBeUndefined();
  });

  it('re-encodes a decoded message byte for byte', () => {
    const bytes = encodeTraceRequest(td);
    expect(Buffer.from(encodeTraceRequest(decodeTraceRequest(bytes))).equals(Buffer.from(bytes))).toBe(true);
  });

  it('throws on malformed protobuf', () => {
    expect(() => decodeTraceRequest(Buffer.from([0x0a, 0xff, 0xff, 0xff]))).toThrow();
  });
});
