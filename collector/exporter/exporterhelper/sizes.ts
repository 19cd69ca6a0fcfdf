/**
 * A cheap estimate of a TraceData's OTLP protobuf size, for the sending queue's byte bound when
 * an exporter has no encoded form at hand (X-Ray). It walks the spans once without allocating;
 * it is meant to be within a few tens of percent of the real size, not exact — the bound is
 * about memory, and the in-memory objects are several times larger than the wire bytes anyway.
 */
import type { AnyValue, InstrumentationScope, KeyValue, Resource, Span, TraceData } from '../../pdata/model.js';

function valueBytes(v: AnyValue | null | undefined): number {
  if (!v) return 2;
  if (typeof v.stringValue === 'string') return v.stringValue.length + 3;
  if (v.bytesValue) return v.bytesValue.length + 3;
  if (v.arrayValue) {
    let n = 3;
    for (const x of v.arrayValue.values) n += valueBytes(x) + 2;
    return n;
  }
  if (v.kvlistValue) return attrsBytes(v.kvlistValue.values) + 3;
  return 11; // int, double or bool: tag + up to 10 varint bytes
}

function attrsBytes(attrs: readonly KeyValue[] | null | undefined): number {
  if (!attrs) return 0;
  let n = 0;
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    n += kv.key.length + 6 + valueBytes(kv.value);
  }
  return n;
}

/** One span's estimated encoded size (strings counted in UTF-16 units: ≤ 3x off for non-ASCII text). */
export function estimateSpanBytes(s: Span): number {
  // ids (16 + 8 + 8) + two fixed64 times + kind/flags/status + framing
  let n = 70 + s.name.length + (s.traceState?.length ?? 0) + attrsBytes(s.attributes) + (s.status?.message?.length ?? 0);
  if (s.events) for (const e of s.events) n += 16 + e.name.length + attrsBytes(e.attributes);
  if (s.links) for (const l of s.links) n += 32 + attrsBytes(l.attributes) + (l.traceState?.length ?? 0);
  return n;
}

export function estimateResourceBytes(resource: Resource | null | undefined): number {
  return 8 + attrsBytes(resource?.attributes);
}

export function estimateScopeBytes(scope: InstrumentationScope | null | undefined): number {
  return 8 + (scope?.name?.length ?? 0) + (scope?.version?.length ?? 0) + attrsBytes(scope?.attributes);
}

export function estimateTraceBytes(td: TraceData): number {
  let n = 0;
  for (const rs of td.resourceSpans) {
    n += estimateResourceBytes(rs.resource) + (rs.schemaUrl?.length ?? 0);
    for (const ss of rs.scopeSpans) {
      n += estimateScopeBytes(ss.scope);
      for (const s of ss.spans) n += estimateSpanBytes(s);
    }
  }
  return n;
}
