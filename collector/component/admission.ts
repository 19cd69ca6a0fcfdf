/**
 * What receivers see of the collector's memory budget (collector/service/admission.ts): one
 * admission controller shared by every receiver, in bytes, after the OTel-Arrow receiver's
 * `admission` (a bounded semaphore with a bounded waiting line) and the Collector's
 * memory_limiter extension (refuse before decoding). Types only, so components depend on the
 * contract and not on the service.
 */

/** Why a request was not admitted. */
export type AdmissionRefusalReason =
  /** The request alone is larger than the whole admission pool: it can never be admitted. */
  | 'too_large'
  /** The pool is full and the waiting line is full too. */
  | 'waiting_limit'
  /** The request waited for room until its deadline. */
  | 'admission_timeout'
  /** Live memory (V8 heap used + external buffers) is above the budget's soft limit. */
  | 'memory_limit';

export class AdmissionRefused {
  constructor(
    readonly reason: AdmissionRefusalReason,
    readonly message: string,
    /** Suggested client back-off (seconds); 0 for `too_large`, which is permanent. */
    readonly retryAfterSeconds: number,
  ) {}

  get retryable(): boolean {
    return this.reason !== 'too_large';
  }
}

/** Bytes held by one request, from admission until it is released. */
export interface AdmissionGrant {
  readonly bytes: number;
  /**
   * Holds `bytes` more, now or never (no waiting: the request already holds memory, and waiting
   * while holding is how semaphores deadlock). Returns the refusal, or undefined when granted.
   */
  grow(bytes: number): AdmissionRefused | undefined;
  /** Gives everything back (idempotent). */
  release(): void;
}

export interface Admission {
  /** Spans one request may carry (counted before decoding); more is refused as too large. */
  readonly maxSpansPerRequest: number;
  /** The pool's size in bytes (a request needing more can never be admitted). */
  readonly requestLimitBytes: number;
  /**
   * Admits `bytes` now, or waits in line (FIFO) while the waiting line has room, until there is
   * room or the wait ends: `wait` is a signal, or milliseconds (a timer is only set when the
   * request has to wait). Rejects with AdmissionRefused.
   */
  acquire(bytes: number, wait?: AbortSignal | number): Promise<AdmissionGrant>;
  /**
   * Counts bytes a transport has already buffered before any handler ran (gRPC messages being
   * received), even past the limit, or gives them back (negative). `over()` then tells the
   * transport to stop reading until `onRoom` fires.
   */
  holdBytes(delta: number): void;
  /** Whether the pool is at or past its limit. */
  over(): boolean;
  /** Calls `cb` once, the next time held bytes are released while the pool is no longer over. */
  onRoom(cb: () => void): void;
}
