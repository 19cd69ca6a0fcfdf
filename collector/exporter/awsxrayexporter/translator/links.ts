/**
 * Span links → the segment's `links` (`trace_id` in X-Ray form, `id`, `attributes`), as upstream
 * writes them. The linked trace's ID gets the epoch the exporter gave that trace when it knows it
 * (same batch, epoch cache), else the deterministic rule applied at the linking span's start — the
 * linked trace usually started shortly before, so both land in the same window with probability
 * 1 − Δt / W. A link whose IDs are not valid is kept in metadata (`otel.invalid_links`) instead of
 * making the whole span fail as upstream does.
 */
import type { Span } from '../../../pdata/model.js';
import { idToHex, isAllZero } from '../../../pdata/model.js';
import { normalizeTraceId } from '../traceid/epoch.js';
import { metadataValue, setEntry } from './values.js';

export interface SegmentLink {
  trace_id: string;
  id: string;
  attributes?: Record<string, unknown>;
}

export interface LinksResult {
  links?: SegmentLink[];
  invalid?: Array<{ trace_id: string; span_id: string }>;
}

/** `toXrayTraceId` converts a valid 16-byte trace ID as the span's own is converted. */
export function makeLinks(span: Span, toXrayTraceId: (traceId: Uint8Array) => string): LinksResult {
  const out: LinksResult = {};
  for (const link of span.links ?? []) {
    const traceId = normalizeTraceId(link.traceId);
    if (!traceId || !link.spanId || link.spanId.length !== 8 || isAllZero(link.spanId)) {
      (out.invalid ??= []).push({ trace_id: idToHex(link.traceId), span_id: idToHex(link.spanId) });
      continue;
    }
    const l: SegmentLink = { trace_id: toXrayTraceId(traceId), id: idToHex(link.spanId) };
    if (link.attributes && link.attributes.length > 0) {
      const a: Record<string, unknown> = {};
      for (const kv of link.attributes) setEntry(a, kv.key, metadataValue(kv.value));
      l.attributes = a;
    }
    (out.links ??= []).push(l);
  }
  return out;
}
