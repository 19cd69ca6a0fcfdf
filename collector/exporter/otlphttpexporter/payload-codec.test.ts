import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { otlpHttpPayloadCodec } from './payload-codec.js';
import type { OtlpHttpPayload } from './http-sender.js';

const bytes = (...v: number[]) => Uint8Array.from(v);

describe('otlphttp payload codec (persistent sending queue)', () => {
  it.each<[string, OtlpHttpPayload]>([
    ['one request', { parts: [bytes(1, 2, 3)], spans: [3] }],
    ['an X-Ray split batch', { parts: [bytes(1), bytes(2, 2), bytes()], spans: [10_000, 10_000, 1] }],
    ['a remainder carrying earlier refusals', { parts: [bytes(9, 9)], spans: [2], refused: { spans: 7, message: 'http 400: bad span' } }],
  ])('%s comes back as it went in', (_name, payload) => {
    const back = otlpHttpPayloadCodec.decode(otlpHttpPayloadCodec.encode(payload));
    expect(back.spans).toEqual(payload.spans);
    expect(back.parts.map((p) => [...p])).toEqual(payload.parts.map((p) => [...p]));
    expect(back.refused).toEqual(payload.refused);
  });

  const packr = new Packr({ useRecords: false });
  it.each<[string, unknown, RegExp]>([
    ['not a list', { parts: [] }, /not an otlphttp batch/],
    ['parts that are not bytes', [['x'], [1]], /parts/],
    ['span counts not matching the parts', [[bytes(1)], [1, 2]], /span counts/],
    ['a negative span count', [[bytes(1)], [-1]], /span counts/],
    ['a malformed refusal', [[bytes(1)], [1], ['x', 1]], /refused/],
  ])('refuses a record that is %s, with a specific message', (_name, value, message) => {
    expect(() => otlpHttpPayloadCodec.decode(packr.pack(value))).toThrow(message);
  });
});
