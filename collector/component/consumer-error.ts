/**
 * Why a consumer refused data, so that each receiver can answer its client as the OTLP
 * specification says: retryable refusals (queue full, memory limit, backend unavailable) become
 * gRPC UNAVAILABLE / RESOURCE_EXHAUSTED with RetryInfo or HTTP 429/503 with Retry-After, and the
 * client keeps the data; permanent ones become INVALID_ARGUMENT / HTTP 400.
 */
export type RefusalReason = 'queue_full' | 'memory_limit' | 'shutting_down' | 'backend_unavailable' | 'invalid_data' | 'storage_unavailable';

export class ConsumerError extends Error {
  constructor(
    message: string,
    readonly reason: RefusalReason,
    readonly retryable: boolean,
    /** Suggested client back-off, when known. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ConsumerError';
  }

  static retryable(message: string, reason: RefusalReason, retryAfterSeconds = 1): ConsumerError {
    return new ConsumerError(message, reason, true, retryAfterSeconds);
  }

  static permanent(message: string, reason: RefusalReason = 'invalid_data'): ConsumerError {
    return new ConsumerError(message, reason, false);
  }
}

export function isRetryable(err: unknown): boolean {
  return err instanceof ConsumerError ? err.retryable : false;
}
