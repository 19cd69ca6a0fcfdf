/** Spans for the X-Ray limit tests: unique IDs, a start time relative to a given "now", optional bulk. */
import { spanCount, type KeyValue, type ResourceSpans, type Span, type TraceData } from '../../../pdata/model.js';
import { spanIds } from '../../exporterhelper/testutil.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;

export interface SpanOptions {
  /** Start time in ms (default: a minute before `nowMs`). */
  startMs?: number;
  /** An ASCII attribute of this many characters. */
  attrBytes?: number;
  /** An attribute with this text (e.g. multi-byte characters). */
  text?: string;
  name?: string;
}

let seq = 0;

export function testSpan(nowMs: number, opts: SpanOptions = {}): Span {
  const n = ++seq;
  const id = Buffer.alloc(8);
  id.writeUInt32BE(n, 4);
  const trace = Buffer.alloc(16, 0xab);
  trace.writeUInt32BE(n, 12);
  const start = (opts.startMs ?? nowMs - MIN) * 1e6;
  const attributes: KeyValue[] = [{ key: 'http.method', value: { stringValue: 'GET' } }];
  if (opts.attrBytes) attributes.push({ key: 'blob', value: { stringValue: 'x'.repeat(opts.attrBytes) } });
  if (opts.text) attributes.push({ key: 'text', value: { stringValue: opts.text } });
  return { traceId: trace, spanId: id, name: opts.name ?? `span-${n}`, kind: 2, startTimeUnixNano: start, endTimeUnixNano: start + 1e6, attributes };
}

export function many(nowMs: number, n: number, opts: SpanOptions = {}): Span[] {
  return Array.from({ length: n }, () => testSpan(nowMs, opts));
}

export function resource(service: string, spans: Span[], extra: KeyValue[] = []): ResourceSpans {
  return {
    resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }, ...extra] },
    scopeSpans: [{ scope: { name: 'envoy' }, spans }],
  };
}

export const td = (...rs: ResourceSpans[]): TraceData => ({ resourceSpans: rs });
export const ids = spanIds;
export const count = spanCount;
