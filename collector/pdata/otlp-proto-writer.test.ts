import { describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest, decodeTraceRequest, encodeTraceRequest } from './otlp-proto.js';
import type { TraceData } from './model.js';

function td(name: string, attrs = 1, valueSize = 10): TraceData {
  return {
    resourceSpans: [{
      resource: { attributes: [] },
      scopeSpans: [{
        spans: [{
          traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name, kind: 1, startTimeUnixNano: 1, endTimeUnixNano: 2,
          attributes: Array.from({ length: attrs }, (_, i) => ({ key: `k${i}`, value: { stringValue: 'v'.repeat(valueSize) } })),
        }],
      }],
    }],
  } as unknown as TraceData;
}

const reference = (t: TraceData) => ExportTraceServiceRequest.encode(t as never).finish();

describe('encodeTraceRequest (reused writer)', () => {
  it('each call returns its own buffer: a later encode does not overwrite an earlier result', () => {
    const a = encodeTraceRequest(td('first', 50));
    const copyOfA = Buffer.from(a);
    const b = encodeTraceRequest(td('second', 3));
    expect(Buffer.from(a)).toEqual(copyOfA);
    expect(decodeTraceRequest(a).resourceSpans[0].scopeSpans[0].spans[0].name).toBe('first');
    expect(decodeTraceRequest(b).resourceSpans[0].scopeSpans[0].spans[0].name).toBe('second');
  });

  it.each([
    ['small', td('s')],
    ['large (grows the writer)', td('l', 2000, 100)],
    ['small after large', td('s2', 2)],
    ['beyond the kept size (5 MiB)', td('huge', 1, 5 * 1024 * 1024)],
    ['small after huge', td('s3', 2)],
  ])('%s: bytes equal protobufjs’ own encoding', (_n, t) => {
    const got = Buffer.from(encodeTraceRequest(t));
    const want = Buffer.from(reference(t));
    expect(got.length).toBe(want.length);
    expect(got.equals(want)).toBe(true); // Buffer#equals: a deep toEqual of 5 MiB takes seconds
  });

  it('a failed encode leaves the next one correct', () => {
    const bad = td('bad');
    (bad.resourceSpans[0].scopeSpans[0].spans[0] as unknown as { attributes: unknown }).attributes = [{ key: 'k', value: { kvlistValue: { values: [null] } } }];
    expect(() => encodeTraceRequest(bad)).toThrow();
    const t = td('after');
    expect(Buffer.from(encodeTraceRequest(t))).toEqual(Buffer.from(reference(t)));
  });
});
