/**
 * What an exporter's send function reports, so the shared sending queue (exporterhelper) can
 * decide between retrying and dropping, exactly as the OTLP specification and the Collector's
 * exporterhelper do. A send function resolves when the destination accepted everything (or
 * reports a partial success), or throws one of these.
 */
import type { TraceData } from '../../pdata/model.js';

/**
 * Spans the destination refused for good inside an answer that was otherwise a success or a
 * "retry the rest" (X-Ray: some chunks refused as malformed): counted as dropped with `reason`,
 * never as sent, and never retried.
 */
export interface RefusedSpans {
  spans: number;
  /** Short label for the `reason` metric label, e.g. `xray_400`. */
  reason: string;
  detail?: string;
}

/** Worth trying again later (gRPC UNAVAILABLE, HTTP 503, X-Ray throttling, a network error). */
export class RetryableError extends Error {
  readonly retryAfterMs?: number;
  /** When only part of the data must be retried (X-Ray UnprocessedTraceSegments): that part. */
  readonly retryData?: TraceData;
  /**
   * The same for exporters that queue a prepared payload (createQueuedPreparedTracesExporter):
   * the part of the payload to send again and how many spans it carries.
   */
  readonly retryPayload?: { payload: unknown; spans: number };
  /**
   * Spans of this attempt refused for good (counted as dropped, not retried). The queue counts
   * the attempt's other spans that are neither to retry nor refused as sent.
   */
  readonly refused?: readonly RefusedSpans[];

  constructor(
    message: string,
    opts: {
      retryAfterMs?: number;
      retryData?: TraceData;
      retryPayload?: { payload: unknown; spans: number };
      refused?: readonly RefusedSpans[];
      cause?: unknown;
    } = {},
  ) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'RetryableError';
    this.retryAfterMs = opts.retryAfterMs;
    this.retryData = opts.retryData;
    this.retryPayload = opts.retryPayload;
    this.refused = opts.refused;
  }
}

/** Never worth retrying (HTTP 400, gRPC INVALID_ARGUMENT): the data is dropped and counted. */
export class PermanentError extends Error {
  /** Short label for the `reason` metric label, e.g. `http_400`, `invalid_argument`. */
  readonly reason: string;

  constructor(message: string, reason: string, opts: { cause?: unknown } = {}) {
    super(message, opts.cause !== undefined ? { cause: opts.cause } : undefined);
    this.name = 'PermanentError';
    this.reason = reason;
  }
}

/** The destination took the request but rejected some spans (OTLP partial_success). */
export interface SendResult {
  rejectedSpans?: number;
  message?: string;
  /** Spans refused for good, each group with its own reason (instead of `rejected_by_destination`). */
  refused?: readonly RefusedSpans[];
}

export type SendFn = (td: TraceData, signal: AbortSignal) => Promise<SendResult | void>;
