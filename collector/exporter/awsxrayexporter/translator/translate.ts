/**
 * TraceData → X-Ray segment documents (pure, no I/O). Each document remembers which span it came
 * from, so that a sender can hand exactly the unprocessed spans back to the sending queue
 * (RetryableError.retryData). Spans that cannot become a document are reported with a reason for
 * CollectorMetrics.dropped — nothing disappears silently.
 */
import type { ResourceSpans, ScopeSpans, Span, TraceData } from '../../../pdata/model.js';
import { EpochResolver } from '../traceid/epoch-resolver.js';
import type { TraceIdEpochMode } from '../traceid/epoch.js';
import { XRAY_MAX_DOCUMENT_BYTES, serializeWithinLimit } from './fit.js';
import { makeSegments, prepareResource, type SegmentOptions } from './segment.js';

/** Where a document's span lives in the TraceData it was translated from. */
export interface SpanRef {
  rs: ResourceSpans;
  ss: ScopeSpans;
  span: Span;
}

/** A serialised segment document: what the sending queue holds and the senders send. */
export interface XrayDocument {
  json: string;
  bytes: number;
  /** Segment ID (span ID hex): X-Ray's UnprocessedTraceSegments name documents by it. */
  id: string;
  /**
   * Set on the second document of a split local root (its caller's segment): it carries no span
   * of its own, so counting documents with `spansIn` gives spans, each counted once.
   */
  extra?: true;
}

/** The spans a list of documents stands for (a split span's second document counts none). */
export function spansIn(docs: readonly XrayDocument[]): number {
  let n = 0;
  for (let i = 0; i < docs.length; i++) if (docs[i]!.extra !== true) n++;
  return n;
}

export interface TranslatedDocument extends XrayDocument {
  ref: SpanRef;
}

const TRACE_ID_KEY = '"trace_id":"1-';

/**
 * The document with the epoch digits of its trace_id replaced (`1-<epoch>-<24 hex>`): when an
 * epoch store settles a trace's epoch after its documents were serialised. The key is found as
 * the first `"trace_id":"1-` in the text: keys before it (name, id) are strings whose quotes
 * JSON escapes, so they cannot contain that sequence. Same length, so `bytes` is unchanged.
 */
export function withTraceIdEpoch(json: string, epoch: number): string {
  const at = json.indexOf(TRACE_ID_KEY);
  if (at < 0) throw new Error('segment document without a trace_id');
  const from = at + TRACE_ID_KEY.length;
  return json.slice(0, from) + (epoch >>> 0).toString(16).padStart(8, '0') + json.slice(from + 8);
}

export interface TranslateResult {
  /** In span order; a split local root gives two documents (its call, then its caller) with the same ref. */
  documents: TranslatedDocument[];
  /** Spans that became at least one document (documents.length counts a split span twice). */
  spans: number;
  /** Spans without a document, grouped by reason. */
  dropped: Map<string, { count: number; detail: string }>;
  /** Documents that had to be trimmed to fit the size limit. */
  trimmed: number;
  trimmedDetail?: string;
}

export interface TranslateOptions extends SegmentOptions {
  maxDocumentBytes: number;
}

export function translateTraceData(td: TraceData, opts: TranslateOptions): TranslateResult {
  const result: TranslateResult = { documents: [], spans: 0, dropped: new Map(), trimmed: 0 };
  const drop = (reason: string, detail: string): void => {
    const d = result.dropped.get(reason);
    if (d) d.count++;
    else result.dropped.set(reason, { count: 1, detail });
  };
  for (const rs of td.resourceSpans) {
    // Everything the resource contributes is worked out once for all its spans.
    const prepared = prepareResource(rs.resource, opts);
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        const seg = makeSegments(span, rs.resource, opts, prepared);
        if (!seg.ok) {
          drop(seg.reason, seg.detail);
          continue;
        }
        // A split span is sent whole or not at all: its two documents only make sense together.
        const fits = [];
        let tooLarge: string | undefined;
        for (const doc of seg.docs) {
          const fit = serializeWithinLimit(doc, opts.maxDocumentBytes);
          if (!fit.ok) {
            tooLarge = `segment ${doc.id} is ${fit.bytes} bytes even without metadata and annotations (limit ${opts.maxDocumentBytes})`;
            break;
          }
          if (fit.trimmed) {
            result.trimmed++;
            result.trimmedDetail = `segment ${doc.id}: removed ${fit.removed.slice(0, 5).join(', ')}${fit.removed.length > 5 ? ', …' : ''}`;
          }
          fits.push({ json: fit.json, bytes: fit.bytes, id: doc.id, ref: { rs, ss, span } });
        }
        if (tooLarge !== undefined) {
          drop('document_too_large', tooLarge);
          continue;
        }
        for (const d of fits) result.documents.push(d);
        result.spans++;
      }
    }
  }
  return result;
}

/** A TraceData holding exactly the given spans, under their original resources and scopes. */
export function traceDataOf(refs: readonly SpanRef[]): TraceData {
  const byRs = new Map<ResourceSpans, Map<ScopeSpans, Span[]>>();
  for (const { rs, ss, span } of refs) {
    let scopes = byRs.get(rs);
    if (!scopes) byRs.set(rs, (scopes = new Map()));
    let spans = scopes.get(ss);
    if (!spans) scopes.set(ss, (spans = []));
    spans.push(span);
  }
  const out: TraceData = { resourceSpans: [] };
  for (const [rs, scopes] of byRs) {
    out.resourceSpans.push({
      resource: rs.resource,
      schemaUrl: rs.schemaUrl,
      scopeSpans: [...scopes].map(([ss, spans]) => ({ scope: ss.scope, schemaUrl: ss.schemaUrl, spans })),
    });
  }
  return out;
}

export interface BenchTranslatorOptions {
  mode?: TraceIdEpochMode;
  windowSec?: number;
  indexedAttributes?: string[];
  indexAllAttributes?: boolean;
  now?: () => number;
}

/**
 * For the benchmark (OTLP in → X-Ray documents, no I/O): a function translating a TraceData into
 * the JSON documents PutTraceSegments would carry, with the exporter's defaults (epoch rewriting
 * through the in-process cache and deterministic rule).
 */
export function createDocumentTranslator(o: BenchTranslatorOptions = {}): (td: TraceData) => string[] {
  const resolver = new EpochResolver({
    mode: o.mode ?? 'rewrite',
    windowSec: o.windowSec ?? 3600,
    cacheMax: 100_000,
    cacheTtlMs: 5 * 60_000,
    now: o.now,
  });
  const indexed = new Set(o.indexedAttributes ?? []);
  return (td) => {
    const epochs = resolver.resolveSync(td);
    const r = translateTraceData(td, {
      mode: resolver.mode,
      epochs,
      windowSec: resolver.windowSec,
      nowSec: resolver.nowSec(),
      indexedAttributes: indexed,
      indexAllAttributes: o.indexAllAttributes ?? false,
      meshAnnotations: true,
      maxDocumentBytes: XRAY_MAX_DOCUMENT_BYTES,
    });
    return r.documents.map((d) => d.json);
  };
}
