import { describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest, decodeTraceRequest, encodeTraceRequest } from './otlp-proto.js';
import type { TraceData } from './model.js';

const ascii64 = 'a'.repeat(64);
const ascii65 = 'b'.repeat(65);

function request(values: string[], key = 'k'): TraceData {
  return {
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
      scopeSpans: [{
        scope: { name: 'scope' },
        spans: [{
          traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: values[0] ?? '', kind: 2,
          startTimeUnixNano: 1, endTimeUnixNano: 2,
          attributes: values.map((v, i) => ({ key: `${key}${i}`, value: { stringValue: v } })),
        }],
      }],
    }],
  } as unknown as TraceData;
}

const strings = (td: TraceData): string[] => td.resourceSpans[0].scopeSpans[0].spans[0].attributes.map((kv) => kv.value!.stringValue!);

/** protobufjs' own decoding (its default reader), the reference. */
const reference = (buf: Uint8Array) => ExportTraceServiceRequest.decode(buf) as unknown as TraceData;

describe('decodeTraceRequest with the interning reader', () => {
  it.each([
    ['empty', ['']],
    ['short ASCII', ['GET', 'http.method', '200']],
    ['control characters', ['a\tb\nc\u0000d']],
    ['64 ASCII bytes (cached)', [ascii64]],
    ['65 ASCII bytes (not cached)', [ascii65]],
    ['short non-ASCII', ['café', 'Ωmega', '日本語', '😀']],
    ['non-ASCII at byte 63/64', ['x'.repeat(62) + 'é', 'x'.repeat(63) + 'é']],
    ['long non-ASCII', ['é'.repeat(200)]],
    ['many distinct (cache collisions)', Array.from({ length: 5000 }, (_, i) => `value-${i}`)],
  ])('%s: same result as protobufjs', (_n, values) => {
    const buf = encodeTraceRequest(request(values));
    const got = decodeTraceRequest(buf);
    expect(strings(got)).toEqual(values);
    expect(JSON.stringify(got)).toEqual(JSON.stringify(reference(buf)));
  });

  it('repeated strings decode to equal values, across requests too', () => {
    const buf = encodeTraceRequest(request(['same', 'same', 'other']));
    const a = strings(decodeTraceRequest(buf));
    const b = strings(decodeTraceRequest(Uint8Array.from(buf))); // a plain Uint8Array works too
    expect(a).toEqual(['same', 'same', 'other']);
    expect(b).toEqual(a);
  });

  it.each([
    ['short', Buffer.from([0x61, 0xc3, 0x28])],
    ['lone continuation', Buffer.from([0x80])],
    ['long', Buffer.concat([Buffer.alloc(100, 0x61), Buffer.from([0xff])])],
  ])('invalid UTF-8 (%s) is refused with protobufjs’ error', (_n, bad) => {
    const marker = 'Z'.repeat(bad.length);
    const buf = Buffer.from(encodeTraceRequest(request([marker])));
    const at = buf.indexOf(marker);
    bad.copy(buf, at);
    const want = (() => {
      try {
        reference(buf);
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    })();
    expect(want).not.toBe('no error');
    expect(() => decodeTraceRequest(buf)).toThrow(want);
  });

  it('a string length past the end is refused with protobufjs’ RangeError', () => {
    const buf = Buffer.from(encodeTraceRequest(request(['abcdef'])));
    const cut = buf.subarray(0, buf.indexOf('abcdef') + 3);
    expect(() => reference(cut)).toThrow(RangeError);
    expect(() => decodeTraceRequest(cut)).toThrow(RangeError);
  });
});
