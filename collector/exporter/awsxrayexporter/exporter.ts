/**
 * The awsxray exporter's send function: resolve trace-ID epochs (cache → Redis → deterministic),
 * translate spans to documents, send them (PutTraceSegments or daemon UDP) and report to the
 * shared sending queue which spans must be retried (RetryableError.retryData) — everything else
 * the service refused or the translator could not turn into a document is counted as dropped
 * with its reason.
 */
import client from 'prom-client';
import type { CreateSettings } from '../../component/component.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import { PermanentError, RetryableError, type SendFn } from '../exporterhelper/errors.js';
import type { AwsXrayConfig } from './config.js';
import type { DocumentSender } from './send/api-sender.js';
import { XRAY_MAX_DOCUMENT_BYTES } from './translator/fit.js';
import { traceDataOf, translateTraceData, type SpanRef } from './translator/translate.js';
import type { EpochResolver } from './traceid/epoch-resolver.js';

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

export interface SendFunctionDeps {
  cfg: AwsXrayConfig;
  settings: CreateSettings;
  resolver: EpochResolver;
  sender: DocumentSender;
  metrics: XrayMetrics;
  maxDocumentBytes?: number;
}

export function createXraySendFn(d: SendFunctionDeps): SendFn {
  const { cfg, settings, resolver, sender, metrics } = d;
  const component = `exporter/${settings.id}`;
  const indexed = new Set(cfg.indexedAttributes);
  const maxDocumentBytes = d.maxDocumentBytes ?? XRAY_MAX_DOCUMENT_BYTES;
  const labels = { exporter: settings.id };

  return async (td: TraceData, signal: AbortSignal) => {
    const total = spanCount(td);
    const epochs = await resolver.resolve(td);
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
    for (const [reason, { count, detail }] of tr.dropped) settings.metrics.dropped(settings.logger, component, count, reason, detail);
    if (tr.trimmed > 0) {
      metrics.documentsTrimmed.inc(labels, tr.trimmed);
      settings.logger.warn({ exporter: settings.id, documents: tr.trimmed, detail: tr.trimmedDetail }, 'segment documents trimmed to fit the X-Ray size limit');
    }
    if (tr.documents.length === 0) return;

    const out = await sender.send(tr.documents, signal);
    if (out.unprocessed > 0) metrics.unprocessedSegments.inc(labels, out.unprocessed);

    let permanentSpans = 0;
    for (const { refs } of out.permanent.values()) permanentSpans += refs.length;
    if (permanentSpans === total && out.retry.length === 0) {
      // The whole batch was refused: the queue counts it, once, under this reason.
      const [reason, { detail }] = out.permanent.entries().next().value as [string, { refs: SpanRef[]; detail: string }];
      throw new PermanentError(`X-Ray refused the segments: ${detail}`, reason);
    }
    for (const [reason, { refs, detail }] of out.permanent) settings.metrics.dropped(settings.logger, component, refs.length, reason, detail);
    if (out.retry.length > 0) {
      throw new RetryableError(`${out.retry.length} of ${tr.documents.length} segments not accepted: ${out.lastError ?? 'unknown'}`, {
        retryData: traceDataOf(out.retry),
        retryAfterMs: out.retryAfterMs,
      });
    }
  };
}
