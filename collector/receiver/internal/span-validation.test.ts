import { describe, expect, it } from 'vitest';
import { rejectInvalidSpans } from './span-validation.js';
import { idToHex, spanCount, type Span, type TraceData } from '../../pdata/model.js';

const T = Buffer.from('0af7651916cd43dd8448eb211c80319c', 'hex');
const S = Buffer.from('b7ad6b7169203331', 'hex');

function td(spans: Partial<Span>[][]): TraceData {
  return {
    resourceSpans: spans.map((group) => ({
      scopeSpans: [{ spans: group.map((s, i) => ({ traceId: T, spanId: S, name: `s${i}`, kind: 1, startTimeUnixNano: 0, endTimeUnixNano: 0, attributes: [], ...s })) }],
    })),
  };
}

describe('rejectInvalidSpans', () => {
  it.each([
    ['valid', {}, undefined],
    ['trace ID all zero', { traceId: Buffer.alloc(16) }, 'invalid_trace_id'],
    ['trace ID 8 bytes', { traceId: T.subarray(8) }, 'invalid_trace_id'],
    ['trace ID empty', { traceId: new Uint8Array(0) }, 'invalid_trace_id'],
    ['trace ID 17 bytes', { traceId: Buffer.concat([T, Buffer.from([1])]) }, 'invalid_trace_id'],
    ['span ID all zero', { spanId: Buffer.alloc(8) }, 'invalid_span_id'],
    ['span ID 4 bytes', { spanId: S.subarray(4) }, 'invalid_span_id'],
    ['span ID empty', { spanId: new Uint8Array(0) }, 'invalid_span_id'],
    ['parent 3 bytes', { parentSpanId: Buffer.from([1, 2, 3]) }, 'invalid_parent_span_id'],
    ['parent empty', { parentSpanId: new Uint8Array(0) }, undefined],
    ['parent all zero (= root)', { parentSpanId: Buffer.alloc(8) }, undefined],
  ])('%s', (_name, fields, reason) => {
    const data = td([[fields]]);
    const r = rejectInvalidSpans(data);
    expect(r.count).toBe(reason ? 1 : 0);
    expect(r.byReason).toEqual(reason ? { [reason]: 1 } : {});
    expect(spanCount(data)).toBe(reason ? 0 : 1);
    if (!reason) expect(data.resourceSpans[0].scopeSpans[0].spans[0].parentSpanId?.length ?? 0).toBe(0);
  });

  it('keeps the valid spans in order across resources and says why others went', () => {
    const data = td([
      [{ name: 'a' }, { traceId: Buffer.alloc(16) }, { name: 'b' }],
      [{ spanId: Buffer.alloc(8) }, { spanId: Buffer.alloc(8) }, { name: 'c', parentSpanId: S }],
    ]);
    const r = rejectInvalidSpans(data);
    expect(r.count).toBe(3);
    expect(r.message).toBe('3 span(s) rejected: 1 with trace ID not 16 bytes or all zero; 2 with span ID not 8 bytes or all zero');
    expect(data.resourceSpans.map((rs) => rs.scopeSpans[0].spans.map((s) => s.name))).toEqual([['a', 'b'], ['c']]);
    expect(idToHex(data.resourceSpans[1].scopeSpans[0].spans[0].parentSpanId)).toBe(idToHex(S));
  });
});
