/**
 * What a receiver tells its client when the pipeline does not take the data, decided once for
 * every protocol: ConsumerError retryable → "try again later" (the client keeps the data),
 * permanent → "this data is bad" (the client drops it). Memory pressure has its own answer
 * (gRPC RESOURCE_EXHAUSTED with RetryInfo, HTTP 429) because OTLP clients only retry
 * RESOURCE_EXHAUSTED when RetryInfo is present, and 429 is HTTP's "slow down".
 */
import { ConsumerError } from '../../component/consumer-error.js';
import type { AdmissionRefused } from '../../component/admission.js';
import type { Host, TraceConsumer } from '../../component/component.js';
import type { TraceData } from '../../pdata/model.js';
import { GrpcCode } from './rpc-status.js';
import { HttpError } from './http-error.js';

export interface Refusal {
  retryable: boolean;
  /** Metric label and log field (`queue_full`, `memory_limit`, `invalid_data`, `internal`, ...). */
  reason: string;
  message: string;
  retryAfterSeconds: number;
  grpcCode: number;
  httpStatus: number;
}

export const DEFAULT_RETRY_AFTER_SECONDS = 1;

export function refusalFromError(err: unknown): Refusal {
  if (err instanceof ConsumerError) {
    if (!err.retryable) {
      return { retryable: false, reason: err.reason, message: err.message, retryAfterSeconds: 0, grpcCode: GrpcCode.INVALID_ARGUMENT, httpStatus: 400 };
    }
    return retryableRefusal(err.reason, err.message, err.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS);
  }
  // An unexpected failure downstream is not the client's fault: let it retry (otelcol does the
  // same for errors not marked permanent) rather than lose the data.
  return retryableRefusal('internal', `internal error: ${(err as Error)?.message ?? String(err)}`, DEFAULT_RETRY_AFTER_SECONDS);
}

/** Retryable refusals that mean "memory": RESOURCE_EXHAUSTED + RetryInfo / HTTP 429. */
const MEMORY_REASONS = new Set(['memory_limit', 'waiting_limit', 'admission_timeout']);

export function retryableRefusal(reason: string, message: string, retryAfterSeconds: number): Refusal {
  const memory = MEMORY_REASONS.has(reason);
  return {
    retryable: true,
    reason,
    message,
    retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)),
    grpcCode: memory ? GrpcCode.RESOURCE_EXHAUSTED : GrpcCode.UNAVAILABLE,
    httpStatus: memory ? 429 : 503,
  };
}

/**
 * What the admission control's refusal tells the client: retryable ones as memory pressure;
 * `too_large` (the request alone exceeds the budget) for good: HTTP 413, gRPC
 * RESOURCE_EXHAUSTED without RetryInfo (which OTLP clients do not retry).
 */
export function admissionRefusal(r: AdmissionRefused): Refusal {
  if (r.retryable) return retryableRefusal(r.reason, `data refused to stay within the collector's memory budget (${r.reason}): ${r.message}`, r.retryAfterSeconds);
  return { retryable: false, reason: 'too_large', message: `request too large for the collector's memory budget: ${r.message}`, retryAfterSeconds: 0, grpcCode: GrpcCode.RESOURCE_EXHAUSTED, httpStatus: 413 };
}

/** A request carrying more spans than max_spans_per_request: refused for good, before decoding. */
export function tooManySpansRefusal(spans: number, max: number): Refusal {
  return {
    retryable: false,
    reason: 'too_many_spans',
    message: `request carries ${spans} spans, more than the limit of ${max} per request (max_spans_per_request); send smaller batches`,
    retryAfterSeconds: 0,
    grpcCode: GrpcCode.RESOURCE_EXHAUSTED,
    httpStatus: 413,
  };
}

/** The HTTP error answering a refusal (Retry-After and RetryInfo when retryable). */
export function refusalHttpError(r: Refusal, closeConnection = false): HttpError {
  const e = new HttpError(r.httpStatus, r.message, r.retryable ? { 'Retry-After': String(r.retryAfterSeconds) } : {}, closeConnection);
  if (r.retryable) e.retryAfterSeconds = r.retryAfterSeconds;
  e.reason = r.reason;
  return e;
}

/** The refusal to give before even reading a request, when memory_limiter says so. */
export function backpressureRefusal(host: Host | undefined): Refusal | undefined {
  if (!host || !host.backpressure.isRefusing()) return undefined;
  return retryableRefusal('memory_limit', 'data refused due to high memory usage', host.backpressure.retryAfterSeconds());
}

/** Pushes data on; resolves to the refusal to report, or undefined when accepted. */
export async function pushTraces(next: TraceConsumer, td: TraceData): Promise<Refusal | undefined> {
  try {
    await next.consumeTraces(td);
    return undefined;
  } catch (err) {
    return refusalFromError(err);
  }
}
