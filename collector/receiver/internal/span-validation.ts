/**
 * Rejects the spans no backend can store, so one bad span does not cost the client its whole
 * request: a trace ID that is not 16 bytes or is all zero, a span ID that is not 8 bytes or is
 * all zero, a parent span ID that is neither empty nor 8 bytes. Those spans are removed in place;
 * the rest go on. The receiver reports them (OTLP partial_success, metrics, log).
 * An all-zero 8-byte parent span ID is the same as "no parent" and is normalised to empty.
 */
import { isAllZero, type TraceData } from '../../pdata/model.js';

export interface Rejections {
  /** Spans removed. */
  count: number;
  /** Spans removed per reason (`invalid_trace_id`, `invalid_span_id`, `invalid_parent_span_id`). */
  byReason: Record<string, number>;
  /** Human-readable summary for partial_success.error_message and logs ('' when none). */
  message: string;
}

const EMPTY = new Uint8Array(0);

function reasonFor(traceId: Uint8Array | undefined, spanId: Uint8Array | undefined, parent: Uint8Array | undefined): string | undefined {
  if (!traceId || traceId.length !== 16 || isAllZero(traceId)) return 'invalid_trace_id';
  if (!spanId || spanId.length !== 8 || isAllZero(spanId)) return 'invalid_span_id';
  if (parent && parent.length !== 0 && parent.length !== 8) return 'invalid_parent_span_id';
  return undefined;
}

const DESCRIPTIONS: Record<string, string> = {
  invalid_trace_id: 'trace ID not 16 bytes or all zero',
  invalid_span_id: 'span ID not 8 bytes or all zero',
  invalid_parent_span_id: 'parent span ID neither empty nor 8 bytes',
};

/** Removes invalid spans from `td` (in place) and says how many and why. */
export function rejectInvalidSpans(td: TraceData): Rejections {
  let count = 0;
  const byReason: Record<string, number> = {};
  for (const rs of td.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      const spans = ss.spans;
      let w = 0;
      for (let r = 0; r < spans.length; r++) {
        const s = spans[r];
        const reason = reasonFor(s.traceId, s.spanId, s.parentSpanId);
        if (reason !== undefined) {
          count++;
          byReason[reason] = (byReason[reason] ?? 0) + 1;
          continue;
        }
        if (s.parentSpanId && s.parentSpanId.length === 8 && isAllZero(s.parentSpanId)) s.parentSpanId = EMPTY;
        if (w !== r) spans[w] = s;
        w++;
      }
      if (w !== spans.length) spans.length = w;
    }
  }
  const message =
    count === 0
      ? ''
      : `${count} span(s) rejected: ${Object.entries(byReason)
          .map(([k, n]) => `${n} with ${DESCRIPTIONS[k]}`)
          .join('; ')}`;
  return { count, byReason, message };
}
