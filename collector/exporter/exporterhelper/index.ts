/**
 * exporterhelper — what every queued exporter shares (after the Collector's exporterhelper).
 * An exporter supplies only a send function and its own config keys:
 *
 *   // config.ts
 *   import { readQueueConfig, readRetryConfig, readTimeout } from '../exporterhelper/index.js';
 *   const queue = readQueueConfig(o.sending_queue, join(path, 'sending_queue'), issues);
 *   const retry = readRetryConfig(o.retry_on_failure, join(path, 'retry_on_failure'), issues);
 *   const timeoutMs = readTimeout(o.timeout, join(path, 'timeout'), issues);   // default 5s
 *
 *   // factory.ts
 *   create(cfg, settings) {
 *     return createQueuedTracesExporter(settings, cfg.queue, cfg.retry, async (td, signal) => {
 *       ... send td; honour `signal` (per-attempt timeout and shutdown deadline) ...
 *       // throw new RetryableError(msg, { retryAfterMs, retryData })  → retried with backoff
 *       //   (retryData: only that part is retried, e.g. X-Ray UnprocessedTraceSegments)
 *       // throw new PermanentError(msg, 'http_400')                  → dropped, counted by reason
 *       // return { rejectedSpans, message }                            → partial success
 *       // any other error is retried, as in the Collector
 *     }, { timeoutMs: cfg.timeoutMs, sizeOf?, onStart?, onShutdown? });
 *   }
 *
 * Exporters whose wire format is the OTLP request (otlp, otlphttp) use
 * createQueuedEncodedTracesExporter(settings, queue, retry, encodeTraceRequest, sendBytes, opts):
 * batches are encoded once at enqueue and only the bytes are queued. Exporters with another wire
 * format computed per batch (awsxray) use createQueuedPreparedTracesExporter(settings, queue,
 * retry, prepare, sendPayload, opts): `prepare` runs at enqueue, the queue holds its payload, and
 * RetryableError's `retryPayload` retries a part of it.
 *
 * A persistent queue (`sending_queue.storage: file_storage`) needs nothing more from otlp/otlphttp
 * (their payload is bytes already); a prepared-mode exporter passes `codec` (payload ↔ bytes).
 * The factory declares the reference so the config loader checks it:
 *   extensionRefs: (cfg, path) => queueExtensionRefs(cfg.queue, path),
 *
 * The returned QueuedTracesExporter implements TracesExporter (consumeTraces enqueues or refuses
 * with ConsumerError 'queue_full'; hasCapacity(spans, bytes); shutdown(deadline) drains then
 * drops the rest as `shutdown_deadline`). Drop reasons (meshtrace_spans_dropped_total{component=
 * "exporter/<id>"}): the PermanentError's reason, `retry_exhausted`, `retry_disabled`,
 * `rejected_by_destination`, `shutdown_deadline`.
 */
export { RetryableError, PermanentError, type RefusedSpans, type SendFn, type SendResult } from './errors.js';
export { type PayloadCodec } from './persistent-store.js';
export {
  DEFAULT_QUEUE,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  SHARED_EXPORTER_KEYS,
  readQueueConfig,
  readRetryConfig,
  readTimeout,
  queueExtensionRefs,
  type QueueConfig,
  type RetryConfig,
} from './config.js';
export { Backoff } from './backoff.js';
export { estimateTraceBytes } from './sizes.js';
export {
  QueuedTracesExporter,
  createQueuedTracesExporter,
  createQueuedEncodedTracesExporter,
  createQueuedPreparedTracesExporter,
  type PreparedBatch,
  type PrepareFn,
  type SendPreparedFn,
  type QueuedExporterOptions,
  type QueueStats,
  type SendEncodedFn,
} from './queued-exporter.js';
