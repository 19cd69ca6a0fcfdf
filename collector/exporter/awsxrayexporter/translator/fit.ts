/**
 * Serialises a segment within X-Ray's size limit (64 KB for PutTraceSegments; a little less in a
 * daemon datagram). An oversized document loses metadata entries, largest first, then
 * annotations (never otel_trace_id), then stack frames, and is marked with the annotation
 * `meshtrace_trimmed: true`; only when even the bare document is too large is the span dropped.
 */
import { OTEL_TRACE_ID_ANNOTATION, type SegmentDocument } from './segment.js';

export const XRAY_MAX_DOCUMENT_BYTES = 64 * 1024;
export const TRIMMED_ANNOTATION = 'meshtrace_trimmed';

export type FitResult =
  | { ok: true; json: string; bytes: number; trimmed: false }
  | { ok: true; json: string; bytes: number; trimmed: true; removed: string[] }
  | { ok: false; bytes: number };

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

export function serializeWithinLimit(doc: SegmentDocument, maxBytes: number): FitResult {
  let json = JSON.stringify(doc);
  let bytes = byteLength(json);
  if (bytes <= maxBytes) return { ok: true, json, bytes, trimmed: false };

  const removed: string[] = [];
  const annotations = doc.annotations ?? (doc.annotations = {});
  annotations[TRIMMED_ANNOTATION] = true;
  const fits = (): boolean => {
    json = JSON.stringify(doc);
    bytes = byteLength(json);
    return bytes <= maxBytes;
  };

  const meta = doc.metadata?.default;
  if (meta) {
    for (const key of keysBySize(meta)) {
      delete meta[key];
      removed.push(`metadata.${key}`);
      if (fits()) return { ok: true, json, bytes, trimmed: true, removed };
    }
    delete doc.metadata;
  }
  for (const key of keysBySize(annotations)) {
    if (key === OTEL_TRACE_ID_ANNOTATION || key === TRIMMED_ANNOTATION) continue;
    delete annotations[key];
    removed.push(`annotations.${key}`);
    if (fits()) return { ok: true, json, bytes, trimmed: true, removed };
  }
  if (doc.cause) {
    for (const ex of doc.cause.exceptions) {
      if (ex.stack) ex.truncated = (ex.truncated ?? 0) + ex.stack.length;
      delete ex.stack;
      if (ex.message && ex.message.length > 1024) ex.message = ex.message.slice(0, 1024);
    }
    doc.cause.exceptions.length = Math.min(doc.cause.exceptions.length, 1);
    removed.push('cause.stack');
    if (fits()) return { ok: true, json, bytes, trimmed: true, removed };
  }
  return { ok: false, bytes };
}

function keysBySize(o: Record<string, unknown>): string[] {
  return Object.keys(o)
    .map((k) => [k, k.length + (JSON.stringify(o[k])?.length ?? 0)] as const)
    .sort((a, b) => b[1] - a[1])
    .map(([k]) => k);
}
