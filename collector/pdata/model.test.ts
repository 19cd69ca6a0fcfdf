import { describe, expect, it } from 'vitest';
import { ExportTraceServiceRequest } from './otlp-proto.js';
import { idToHex } from './model.js';

describe('idToHex', () => {
  it.each<[string, Uint8Array | null | undefined, string]>([
    ['a Buffer', Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736', 'hex'), '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['a Uint8Array', Uint8Array.from([0, 1, 0xab, 0xff]), '0001abff'],
    ['a view into a larger buffer', Buffer.from('00112233445566778899', 'hex').subarray(2, 6), '22334455'],
    ['a Uint8Array view with an offset', new Uint8Array(Uint8Array.from([9, 9, 0xde, 0xad]).buffer, 2, 2), 'dead'],
    ['empty', new Uint8Array(0), ''],
    ['undefined', undefined, ''],
    ['null', null, ''],
  ])('%s', (_n, id, hex) => {
    expect(idToHex(id)).toBe(hex);
  });

  it('an absent bytes field as protobufjs decodes it (an empty plain array) gives ""', () => {
    const span = (ExportTraceServiceRequest.decode(ExportTraceServiceRequest.encode({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 'x' }] }] }] } as never).finish()) as unknown as {
      resourceSpans: Array<{ scopeSpans: Array<{ spans: Array<{ parentSpanId: Uint8Array }> }> }>;
    }).resourceSpans[0]!.scopeSpans[0]!.spans[0]!;
    expect(idToHex(span.parentSpanId)).toBe('');
    expect(idToHex([0xab, 0x01] as unknown as Uint8Array)).toBe('ab01');
  });
});
