/**
 * Writes a segment within X-Ray's size limit (64 KB for PutTraceSegments; a little less in a
 * daemon datagram), counted on the document's JSON. An oversized document loses metadata
 * entries, largest first, then annotations (never otel_trace_id), then most of its SQL query,
 * then stack frames and chained exceptions, and is marked with the annotation
 * `meshtrace_trimmed: true`; only when even the bare document is too large is the span dropped.
 */
import type { DocumentWriter } from './document-writer.js';
import { OTEL_TRACE_ID_ANNOTATION, type SegmentDocument } from './segment.js';

export const XRAY_MAX_DOCUMENT_BYTES = 64 * 1024;
export const TRIMMED_ANNOTATION = 'meshtrace_trimmed';

export type FitResult = { ok: true; trimmed: false } | { ok: true; trimmed: true; removed: string[] } | { ok: false; bytes: number };

const FITS: FitResult = Object.freeze({ ok: true, trimmed: false });

/**
 * Appends `doc` to `out` (escaped, as PutTraceSegments carries it), trimmed as needed so that its
 * JSON is at most maxBytes; when even the bare document is larger, nothing is appended.
 */
export function writeWithinLimit(doc: SegmentDocument, maxBytes: number, out: DocumentWriter): FitResult {
  const start = out.length;
  out.writeSegment(doc);
  return withinLimit(out, start, maxBytes) ? FITS : trimToFit(doc, maxBytes, out, start);
}

/** The escaped form is never smaller than the JSON: only a large document needs counting. */
function withinLimit(out: DocumentWriter, start: number, maxBytes: number): boolean {
  return out.length - start <= maxBytes || out.jsonBytesSince(start) <= maxBytes;
}

function trimToFit(doc: SegmentDocument, maxBytes: number, out: DocumentWriter, start: number): FitResult {
  const fits = (d: SegmentDocument): boolean => {
    out.truncate(start);
    out.writeSegment(d);
    return withinLimit(out, start, maxBytes);
  };
  // Trimming works on a shallow copy: the documents of a split span share their parts.
  const d: SegmentDocument = { ...doc, annotations: { ...doc.annotations, [TRIMMED_ANNOTATION]: true } };
  const annotations = d.annotations!;
  const removed: string[] = [];

  if (doc.metadata) {
    const metadata: Record<string, Record<string, unknown>> = {};
    for (const ns of Object.keys(doc.metadata)) metadata[ns] = { ...doc.metadata[ns] };
    d.metadata = metadata;
    for (const [ns, key] of metadataBySize(metadata)) {
      delete metadata[ns]![key];
      removed.push(ns === 'default' ? `metadata.${key}` : `metadata.${ns}.${key}`);
      if (fits(d)) return { ok: true, trimmed: true, removed };
    }
    delete d.metadata;
  }
  for (const key of keysBySize(annotations)) {
    if (key === OTEL_TRACE_ID_ANNOTATION || key === TRIMMED_ANNOTATION) continue;
    delete annotations[key];
    removed.push(`annotations.${key}`);
    if (fits(d)) return { ok: true, trimmed: true, removed };
  }
  if (d.sql?.sanitized_query !== undefined && d.sql.sanitized_query.length > MAX_TRIMMED_QUERY) {
    d.sql = { ...d.sql, sanitized_query: d.sql.sanitized_query.slice(0, MAX_TRIMMED_QUERY) };
    removed.push('sql.sanitized_query');
    if (fits(d)) return { ok: true, trimmed: true, removed };
  }
  if (d.cause) {
    const first = d.cause.exceptions[0];
    if (first) {
      const ex = { ...first };
      if (ex.stack) ex.truncated = (ex.truncated ?? 0) + ex.stack.length;
      delete ex.stack;
      delete ex.cause;
      if (ex.message && ex.message.length > 1024) ex.message = ex.message.slice(0, 1024);
      d.cause = { exceptions: [ex] };
    }
    removed.push('cause.stack');
    if (fits(d)) return { ok: true, trimmed: true, removed };
  }
  const bytes = out.jsonBytesSince(start);
  out.truncate(start);
  return { ok: false, bytes };
}

/** A trimmed document keeps this much of its SQL query. */
const MAX_TRIMMED_QUERY = 1024;

function entrySize(key: string, value: unknown): number {
  return key.length + (JSON.stringify(value)?.length ?? 0);
}

function keysBySize(o: Record<string, unknown>): string[] {
  return Object.keys(o)
    .map((k) => [k, entrySize(k, o[k])] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([k]) => k);
}

/** [namespace, key] of every metadata entry, largest first. */
function metadataBySize(m: Record<string, Record<string, unknown>>): Array<[string, string]> {
  const all: Array<[string, string, number]> = [];
  for (const ns of Object.keys(m)) for (const k of Object.keys(m[ns]!)) all.push([ns, k, entrySize(k, m[ns]![k])]);
  return all.sort((a, b) => b[2] - a[2]).map(([ns, k]) => [ns, k]);
}
