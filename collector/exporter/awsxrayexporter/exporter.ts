/**
 * The awsxray exporter's two halves around the shared sending queue (exporterhelper, prepared
 * mode):
 * - prepare, at enqueue time: trace-ID epochs (cache → deterministic rule), translation of every
 *   span to a segment document, written as a PutTraceSegments body carries it. The queue then
 *   holds only these bytes (~1.2 KB per span, one buffer per batch, outside the JS heap) instead
 *   of the decoded objects (~4 KB, and long-lived objects make GC expensive).
 *   Spans that cannot become a document are counted as dropped with their reason once the batch
 *   is accepted.
 * - send, per attempt: with an epoch store (Redis), the epochs of traces the cache did not know
 *   are settled first (one round trip, first writer wins) and their documents' trace_id patched;
 *   then PutTraceSegments (or daemon UDP). Every document ends in exactly one place: accepted
 *   (the queue counts it as sent), to retry (RetryableError.retryPayload: unprocessed,
 *   throttled, failed or timed-out calls only — accepted calls are never sent again), or refused
 *   for good (`refused`, counted as dropped with X-Ray's reason, never as sent).
 * - xrayBatchCodec: a batch as bytes for the persistent queue (`sending_queue.storage`).
 */
import { Packr } from 'msgpackr';
import client from 'prom-client';
import type { CreateSettings } from '../../component/component.js';
import { RetryableError, type RefusedSpans, type SendResult } from '../exporterhelper/errors.js';
import type { PayloadCodec } from '../exporterhelper/persistent-store.js';
import type { PreparedBatch } from '../exporterhelper/queued-exporter.js';
import { idToHex, type TraceData } from '../../pdata/model.js';
import type { AwsXrayConfig } from './config.js';
import type { DocumentSender } from './send/api-sender.js';
import { XRAY_MAX_DOCUMENT_BYTES } from './translator/fit.js';
import { setTraceIdEpoch, spansIn, translateTraceData, type XrayDocument } from './translator/translate.js';
import type { EpochResolver } from './traceid/epoch-resolver.js';
import { normalizeTraceId } from './traceid/epoch.js';

export interface XrayMetrics {
  epochStoreFallbacks: client.Counter<'exporter'>;
  documentsTrimmed: client.Counter<'exporter'>;
  unprocessedSegments: client.Counter<'exporter'>;
}

/** Exporter-specific counters, registered once per registry (several awsxray exporters share them). */
export function xrayMetrics(settings: CreateSettings): XrayMetrics {
  const registry = settings.metrics.registry;
  const counter = (name: string, help: string): client.Counter<'exporter'> =>
    (registry.getSingleMetric(name) as client.Counter<'exporter'> | undefined) ??
    new client.Counter({ name, help, labelNames: ['exporter'] as const, registers: [registry] });
  return {
    epochStoreFallbacks: counter(
      'meshtrace_xray_epoch_store_fallbacks_total',
      'Traces whose epoch came from the deterministic rule because the epoch store (Redis) failed.',
    ),
    documentsTrimmed: counter('meshtrace_xray_documents_trimmed_total', 'Segment documents trimmed (metadata, then annotations) to fit 64 KB.'),
    unprocessedSegments: counter('meshtrace_xray_unprocessed_segments_total', 'Segments X-Ray returned as unprocessed (they are retried).'),
  };
}

export interface XrayExportDeps {
  cfg: AwsXrayConfig;
  settings: CreateSettings;
  resolver: EpochResolver;
  sender: DocumentSender;
  metrics: XrayMetrics;
  maxDocumentBytes?: number;
}

/** What the sending queue holds for one batch. */
export interface XrayBatch {
  docs: XrayDocument[];
  /**
   * With an epoch store: traces whose epoch the store must still settle (trace hex → candidate
   * epoch already in the documents) and the documents of each; cleared once settled.
   */
  pending?: { traces: Array<[string, number]>; docs: Map<string, XrayDocument[]> };
}

/** The prepare (enqueue time) and send (per attempt) functions of the awsxray exporter. */
export function createXrayExportFns(d: XrayExportDeps): {
  prepare: (td: TraceData) => PreparedBatch<XrayBatch>;
  send: (batch: XrayBatch, signal: AbortSignal) => Promise<SendResult | void>;
} {
  const { cfg, settings, resolver, sender, metrics } = d;
  const component = `exporter/${settings.id}`;
  const indexed = new Set(cfg.indexedAttributes);
  const maxDocumentBytes = d.maxDocumentBytes ?? XRAY_MAX_DOCUMENT_BYTES;
  const labels = { exporter: settings.id };

  const prepare = (td: TraceData): PreparedBatch<XrayBatch> => {
    const { epochs, pending } = resolver.resolveLocal(td);
    const tr = translateTraceData(td, {
      mode: cfg.traceIdEpoch,
      epochs,
      windowSec: cfg.epochWindowMs / 1000,
      nowSec: resolver.nowSec(),
      indexedAttributes: indexed,
      indexAllAttributes: cfg.indexAllAttributes,
      meshAnnotations: cfg.meshAnnotations,
      maxDocumentBytes,
    });
    // The documents hold no reference to the spans: the decoded objects do not stay alive.
    const docs = tr.documents;
    let bytes = 0;
    for (let i = 0; i < docs.length; i++) bytes += docs[i]!.data.length;
    let pendingDocs: Map<string, XrayDocument[]> | undefined;
    if (pending.length > 0) {
      pendingDocs = new Map(pending.map(([hex]) => [hex, []]));
      for (let i = 0; i < docs.length; i++) {
        const id = normalizeTraceId(tr.sources[i]!.traceId);
        const list = id ? pendingDocs.get(idToHex(id)) : undefined;
        if (list) list.push(docs[i]!);
      }
    }
    const batch: XrayBatch = { docs };
    if (pendingDocs) batch.pending = { traces: pending, docs: pendingDocs };
    const onAccepted = tr.dropped.size > 0 || tr.trimmed > 0
      ? () => {
          for (const [reason, { count, detail }] of tr.dropped) settings.metrics.dropped(settings.logger, component, count, reason, detail);
          if (tr.trimmed > 0) {
            metrics.documentsTrimmed.inc(labels, tr.trimmed);
            settings.logger.warn({ exporter: settings.id, documents: tr.trimmed, detail: tr.trimmedDetail }, 'segment documents trimmed to fit the X-Ray size limit');
          }
        }
      : undefined;
    return { payload: batch, spans: tr.spans, bytes, onAccepted };
  };

  const settleEpochs = async (batch: XrayBatch): Promise<void> => {
    const p = batch.pending;
    if (!p) return;
    const settled = await resolver.settle(p.traces);
    for (const [hex, candidate] of p.traces) {
      const epoch = settled.get(hex);
      if (epoch === undefined || epoch === candidate) continue;
      for (const doc of p.docs.get(hex) ?? []) setTraceIdEpoch(doc.data, epoch);
    }
    batch.pending = undefined; // settled once: retries send the same trace IDs
  };

  const send = async (batch: XrayBatch, signal: AbortSignal): Promise<SendResult | void> => {
    await settleEpochs(batch);
    const total = batch.docs.length;
    const out = await sender.send(batch.docs, signal);
    if (out.unprocessed > 0) metrics.unprocessedSegments.inc(labels, out.unprocessed);
    // Every document is in exactly one place: accepted (counted as sent by the queue), to retry,
    // or refused for good (counted as dropped by the queue, with X-Ray's reason, never as sent).
    const refused: RefusedSpans[] = [];
    for (const [reason, { docs, detail }] of out.permanent) refused.push({ spans: spansIn(docs), reason, detail: `X-Ray refused the segments: ${detail}` });
    if (out.retry.length > 0) {
      throw new RetryableError(`${out.retry.length} of ${total} segments not accepted: ${out.lastError ?? 'unknown'}`, {
        retryPayload: { payload: { docs: out.retry } satisfies XrayBatch, spans: spansIn(out.retry) },
        retryAfterMs: out.retryAfterMs,
        refused,
      });
    }
    if (refused.length > 0) return { refused };
  };

  return { prepare, send };
}

const packr = new Packr({ useRecords: false });

/**
 * A batch on disk (persistent sending queue): MessagePack of the documents as `[data, id]`
 * (`[data, id, 1]` for the second document of a split span) and, while epochs are still to
 * settle, `[traceHex, candidateEpoch, [document indexes]]` per trace, so a restart settles them
 * as the first run would have.
 */
export const xrayBatchCodec: PayloadCodec<XrayBatch> = {
  encode(batch) {
    const index = new Map<XrayDocument, number>();
    const docs = batch.docs.map((d, i) => (index.set(d, i), d.extra ? [d.data, d.id, 1] : [d.data, d.id]));
    const pending = batch.pending?.traces.map(([hex, epoch]) => [hex, epoch, (batch.pending!.docs.get(hex) ?? []).map((d) => index.get(d)).filter((i) => i !== undefined)]);
    return packr.pack(pending ? [docs, pending] : [docs]);
  },
  decode(bytes) {
    const v = packr.unpack(bytes) as [unknown[][], Array<[string, number, number[]]>?];
    if (!Array.isArray(v) || !Array.isArray(v[0])) throw new Error('not an awsxray batch');
    const docs: XrayDocument[] = v[0].map(storedDocument);
    const batch: XrayBatch = { docs };
    if (v[1]) {
      batch.pending = {
        traces: v[1].map(([hex, epoch]) => [hex, epoch] as [string, number]),
        docs: new Map(v[1].map(([hex, , idx]) => [hex, idx.map((i) => docs[i]!)])),
      };
    }
    return batch;
  },
};

function storedDocument(d: unknown): XrayDocument {
  const [data, id, extra] = Array.isArray(d) ? (d as unknown[]) : [];
  if (!(data instanceof Uint8Array) || typeof id !== 'string') throw new Error('malformed awsxray document');
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return extra === 1 ? { data: buf, id, extra: true } : { data: buf, id };
}
