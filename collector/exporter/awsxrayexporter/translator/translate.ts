/**
 * TraceData → X-Ray segment documents (pure, no I/O), written as PutTraceSegments carries them.
 * Spans that cannot become a document are reported with a reason for CollectorMetrics.dropped —
 * nothing disappears silently.
 */
import type { Span, TraceData } from '../../../pdata/model.js';
import { EpochResolver } from '../traceid/epoch-resolver.js';
import type { TraceIdEpochMode } from '../traceid/epoch.js';
import { DocumentWriter } from './document-writer.js';
import { XRAY_MAX_DOCUMENT_BYTES, writeWithinLimit } from './fit.js';
import { makeSegments, prepareResource, type SegmentOptions } from './segment.js';

/** A serialised segment document: what the sending queue holds and the senders send. */
export interface XrayDocument {
  /**
   * The document's JSON escaped as the content of a JSON string, in UTF-8: as a PutTraceSegments
   * body carries it (document-writer.ts). `data.length` is what it adds to a body.
   */
  data: Buffer;
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

/** `"trace_id":"1-` as it stands in a document's escaped form. */
const TRACE_ID_KEY = Buffer.from('\\"trace_id\\":\\"1-', 'latin1');
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/**
 * Replaces the epoch digits of a document's trace_id (`1-<epoch>-<24 hex>`) in place: when an
 * epoch store settles a trace's epoch after its documents were written. The key is found as the
 * first `"trace_id":"1-`: keys before it (name, id) are strings whose quotes JSON escapes, so they
 * cannot contain that sequence. Same length, so the document's size is unchanged.
 */
export function setTraceIdEpoch(data: Buffer, epoch: number): void {
  const at = data.indexOf(TRACE_ID_KEY);
  if (at < 0) throw new Error('segment document without a trace_id');
  const e = epoch >>> 0;
  for (let i = 0, p = at + TRACE_ID_KEY.length; i < 8; i++) data[p + i] = HEX[(e >>> (28 - 4 * i)) & 15]!;
}

export interface TranslateResult {
  /**
   * In span order; a split local root gives two documents (its call, then its caller, marked
   * `extra`). Their `data` are views into one buffer per batch.
   */
  documents: XrayDocument[];
  /** The span each document came from (same index): for the caller only, never kept with the documents. */
  sources: Span[];
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

/** Translation is synchronous: one writer serves every batch (its buffer grows once). */
const writer = new DocumentWriter();

export function translateTraceData(td: TraceData, opts: TranslateOptions): TranslateResult {
  const result: TranslateResult = { documents: [], sources: [], spans: 0, dropped: new Map(), trimmed: 0 };
  const drop = (reason: string, detail: string): void => {
    const d = result.dropped.get(reason);
    if (d) d.count++;
    else result.dropped.set(reason, { count: 1, detail });
  };
  // Where each document ends in the writer; the documents get their views once all are written.
  const ends: number[] = [];
  writer.truncate(0);
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
        const spanStart = writer.length;
        const first = result.documents.length;
        let tooLarge: string | undefined;
        for (const doc of seg.docs) {
          const fit = writeWithinLimit(doc, opts.maxDocumentBytes, writer);
          if (!fit.ok) {
            tooLarge = `segment ${doc.id} is ${fit.bytes} bytes even without metadata and annotations (limit ${opts.maxDocumentBytes})`;
            break;
          }
          if (fit.trimmed) {
            result.trimmed++;
            result.trimmedDetail = `segment ${doc.id}: removed ${fit.removed.slice(0, 5).join(', ')}${fit.removed.length > 5 ? ', …' : ''}`;
          }
          result.documents.push(result.documents.length > first ? { data: EMPTY, id: doc.id, extra: true } : { data: EMPTY, id: doc.id });
          result.sources.push(span);
          ends.push(writer.length);
        }
        if (tooLarge !== undefined) {
          drop('document_too_large', tooLarge);
          writer.truncate(spanStart);
          result.documents.length = first;
          result.sources.length = first;
          ends.length = first;
          continue;
        }
        result.spans++;
      }
    }
  }
  const all = writer.take();
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    result.documents[i]!.data = all.subarray(start, ends[i]);
    start = ends[i]!;
  }
  return result;
}

const EMPTY = Buffer.alloc(0);

export interface BenchTranslatorOptions {
  mode?: TraceIdEpochMode;
  windowSec?: number;
  indexedAttributes?: string[];
  indexAllAttributes?: boolean;
  now?: () => number;
}

/**
 * For the benchmark (OTLP in → X-Ray documents, no I/O): a function translating a TraceData into
 * the documents PutTraceSegments would carry (escaped, document-writer.ts), with the exporter's
 * defaults (epoch rewriting through the in-process cache and deterministic rule).
 */
export function createDocumentTranslator(o: BenchTranslatorOptions = {}): (td: TraceData) => Buffer[] {
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
    return r.documents.map((d) => d.data);
  };
}
