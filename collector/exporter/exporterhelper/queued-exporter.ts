/**
 * The sending queue and retry loop between the pipeline and one exporter's send function — the
 * "delivery that loses nothing" half of every queued exporter (after the Collector's
 * exporterhelper: queue_sender + retry_sender + timeout_sender).
 *
 * - consumeTraces enqueues and resolves at once, or rejects with
 *   ConsumerError.retryable('sending queue is full', 'queue_full') so the receiver answers with
 *   back-pressure and the client keeps the data. hasCapacity() answers the same question
 *   beforehand, for the pipeline's fan-out.
 * - The queue is bounded three ways: batches (`queue_size`), spans and estimated bytes. Batches
 *   being sent or waiting for a retry still count, so memory is bounded even when the destination
 *   fails forever: the queue fills, then receivers refuse. An empty queue always admits one batch
 *   (however large — receivers bound request sizes), so no batch is refused forever.
 * - `num_consumers` senders take batches in order. Each attempt has its own `timeout`. Failures:
 *   PermanentError → dropped with its reason; RetryableError (and any other error, as in the
 *   Collector) → retried with exponential backoff and jitter, waiting at least the destination's
 *   retryAfterMs; a RetryableError with retryData retries only that part; when max_elapsed_time
 *   would be passed → dropped as `retry_exhausted`. A SendResult with rejectedSpans (OTLP
 *   partial_success) counts those as dropped with reason `rejected_by_destination`.
 * - shutdown(deadline): refuses new data, keeps sending and retrying what it holds until the queue
 *   is empty or the deadline aborts; then every span still held is dropped as `shutdown_deadline`.
 *
 * Every drop goes through CollectorMetrics.dropped (counted by reason and logged) with the
 * component label `exporter/<id>`.
 */
import type { CreateSettings, Host, TracesExporter } from '../../component/component.js';
import { ConsumerError } from '../../component/consumer-error.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CollectorMetrics } from '../../telemetry/metrics.js';
import { Backoff } from './backoff.js';
import { DEFAULT_TIMEOUT_MS, type QueueConfig, type RetryConfig } from './config.js';
import { PermanentError, RetryableError, type SendFn, type SendResult } from './errors.js';
import { estimateTraceBytes } from './sizes.js';

export interface QueuedExporterOptions {
  /** Bytes one TraceData counts for in the byte bound. Default: estimateTraceBytes. */
  sizeOf?: (td: TraceData) => number;
  /** Per-attempt timeout in ms (0 = none). Default 5000, the Collector's. */
  timeoutMs?: number;
  /** Runs in start() before the senders start (open connections, check credentials). */
  onStart?: (host: Host) => Promise<void> | void;
  /** Runs at the end of shutdown(), after the queue is drained or dropped (close connections). */
  onShutdown?: () => Promise<void> | void;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
}

/** What an encoded-mode exporter sends: the request bytes, already encoded once. */
export type SendEncodedFn = (payload: Uint8Array, signal: AbortSignal) => Promise<SendResult | void>;

/**
 * A batch turned, at enqueue time, into what the exporter will send (X-Ray: segment documents),
 * so the queue holds that compact form and the decoded objects die young.
 */
export interface PreparedBatch<P> {
  payload: P;
  /** Spans the payload carries: fewer than the TraceData's when `prepare` dropped some. */
  spans: number;
  /** What the payload counts for in the byte bound. */
  bytes: number;
  /**
   * Runs once the batch is accepted (queued, or sent when the queue is disabled) — not when a
   * full queue refuses it, since the client will send the same data again. For counting and
   * logging what `prepare` dropped exactly once.
   */
  onAccepted?: () => void;
}

/** Prepares a batch at enqueue time; throwing refuses the batch as invalid data (permanent). */
export type PrepareFn<P> = (td: TraceData) => PreparedBatch<P>;
/** Sends a prepared payload; a RetryableError's retryPayload retries only that part. */
export type SendPreparedFn<P> = (payload: P, signal: AbortSignal) => Promise<SendResult | void>;

/**
 * How batches are sent: as TraceData, encoded once at enqueue time (then only bytes are held), or
 * prepared once at enqueue time into an exporter-specific payload.
 */
type Sender =
  | { kind: 'data'; send: SendFn }
  | { kind: 'encoded'; encode: (td: TraceData) => Uint8Array; send: SendEncodedFn }
  | { kind: 'prepared'; prepare: PrepareFn<unknown>; send: SendPreparedFn<unknown> };

/** One batch: the TraceData, or in encoded/prepared mode only its payload (the objects are freed at once). */
interface Item {
  td?: TraceData;
  payload?: unknown;
  spans: number;
  bytes: number;
  onAccepted?: () => void;
}

type Outcome = { ok: true } | { ok: false; reason: string; spans: number; detail: string; retryable: boolean };

export interface QueueStats {
  batches: number;
  spans: number;
  bytes: number;
}

export class QueuedTracesExporter implements TracesExporter {
  private readonly component: string;
  private readonly logger: Logger;
  private readonly metrics: CollectorMetrics;
  private readonly sizeOf: (td: TraceData) => number;
  private readonly timeoutMs: number;
  private readonly random: () => number;
  private readonly sender: Sender;

  // FIFO of waiting batches: array + head index, compacted now and then (no O(n) shift).
  private items: Item[] = [];
  private head = 0;
  // What is held, waiting or in flight; this is what the bounds limit.
  private heldBatches = 0;
  private heldSpans = 0;
  private heldBytes = 0;

  private accepting = true;
  /** Span count of the batch a hasCapacity() "yes" was just given for (-1: none). */
  private promised = -1;
  private draining = false;
  private readonly hardStop = new AbortController();
  private idleWaiters: Array<() => void> = [];
  private loops: Promise<void>[] = [];
  private readonly syncInFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly settings: CreateSettings,
    private readonly queue: QueueConfig,
    private readonly retry: RetryConfig,
    send: SendFn | Sender,
    private readonly opts: QueuedExporterOptions = {},
  ) {
    this.sender = typeof send === 'function' ? { kind: 'data', send } : send;
    this.component = `exporter/${settings.id}`;
    this.logger = settings.logger;
    this.metrics = settings.metrics;
    this.sizeOf = opts.sizeOf ?? estimateTraceBytes;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.random = opts.random ?? Math.random;
    this.metrics.queueCapacity.set({ exporter: settings.id }, queue.enabled ? queue.maxSpans : 0);
    this.metrics.queueSize.set({ exporter: settings.id }, 0);
  }

  async start(host: Host): Promise<void> {
    await this.opts.onStart?.(host);
    if (!this.queue.enabled) return;
    for (let i = 0; i < this.queue.numConsumers; i++) this.loops.push(this.senderLoop());
  }

  hasCapacity(spanCount: number, bytes: number): boolean {
    if (!this.accepting) return false;
    if (!this.queue.enabled) return true;
    const ok = this.fits(spanCount, bytes);
    // The fan-out's byte estimate may differ from sizeOf's: a "yes" holds for the consumeTraces
    // of the same batch that follows in the same tick, so the fan-out never sees a surprise refusal.
    this.promised = ok ? spanCount : -1;
    if (ok) queueMicrotask(() => (this.promised = -1));
    return ok;
  }

  async consumeTraces(td: TraceData): Promise<void> {
    if (!this.accepting) {
      throw ConsumerError.retryable(`exporter ${this.settings.id} is shutting down`, 'shutting_down');
    }
    const spans = spanCount(td);
    if (spans === 0) return;
    if (!this.queue.enabled) return this.sendNow(td, spans);
    // Span/batch bounds first: measuring bytes may cost an encode, wasted on a full queue.
    if (!this.fits(spans, 0)) throw this.queueFull();
    const item = this.makeItem(td, spans);
    const promised = this.promised === spans;
    this.promised = -1;
    if (!promised && !this.fits(item.spans, item.bytes)) throw this.queueFull();
    item.onAccepted?.();
    item.onAccepted = undefined;
    if (item.spans === 0) return; // prepare dropped (and counted) every span
    this.items.push(item);
    this.heldBatches++;
    this.heldSpans += item.spans;
    this.heldBytes += item.bytes;
    this.metrics.queueSize.set({ exporter: this.settings.id }, this.heldSpans);
    this.wakeOne();
  }

  async shutdown(deadline: AbortSignal): Promise<void> {
    this.accepting = false;
    this.draining = true;
    const onDeadline = () => this.hardStop.abort();
    if (deadline.aborted) onDeadline();
    else deadline.addEventListener('abort', onDeadline, { once: true });
    // Idle senders see "draining and empty" and end; busy ones finish the queue first.
    for (const w of this.idleWaiters.splice(0)) w();
    await Promise.all(this.loops);
    await Promise.allSettled([...this.syncInFlight]);
    deadline.removeEventListener('abort', onDeadline);
    // Never started, or stopped before everything was taken: count what is left.
    for (let it = this.takeNow(); it; it = this.takeNow()) {
      this.metrics.dropped(this.logger, this.component, it.spans, 'shutdown_deadline', 'exporter shut down before sending');
      this.release(it);
    }
    await this.opts.onShutdown?.();
  }

  /** What the queue holds now (waiting and in flight). */
  stats(): QueueStats {
    return { batches: this.heldBatches, spans: this.heldSpans, bytes: this.heldBytes };
  }

  // ---- queue -----------------------------------------------------------------------------

  private fits(spans: number, bytes: number): boolean {
    if (this.heldBatches === 0) return true;
    const q = this.queue;
    return this.heldBatches < q.maxBatches && this.heldSpans + spans <= q.maxSpans && this.heldBytes + bytes <= q.maxBytes;
  }

  /** Encodes (encoded mode) or measures the batch; data that cannot be encoded is refused as invalid. */
  private makeItem(td: TraceData, spans: number): Item {
    try {
      if (this.sender.kind === 'encoded') {
        const payload = this.sender.encode(td);
        return { payload, spans, bytes: payload.byteLength };
      }
      if (this.sender.kind === 'prepared') {
        const p = this.sender.prepare(td);
        return { payload: p.payload, spans: p.spans, bytes: p.bytes, onAccepted: p.onAccepted };
      }
      return { td, spans, bytes: this.sizeOf(td) };
    } catch (e) {
      throw ConsumerError.permanent(`exporter ${this.settings.id} cannot encode the data: ${errorText(e)}`, 'invalid_data');
    }
  }

  private queueFull(): ConsumerError {
    return ConsumerError.retryable(`sending queue is full (exporter ${this.settings.id})`, 'queue_full');
  }

  private takeNow(): Item | undefined {
    if (this.head >= this.items.length) return undefined;
    const it = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Item;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return it;
  }

  private release(it: Item): void {
    this.heldBatches--;
    this.heldSpans -= it.spans;
    this.heldBytes -= it.bytes;
    this.metrics.queueSize.set({ exporter: this.settings.id }, this.heldSpans);
  }

  private wakeOne(): void {
    const w = this.idleWaiters.pop();
    if (w) w();
  }

  private async senderLoop(): Promise<void> {
    for (;;) {
      const it = this.takeNow();
      if (!it) {
        if (this.draining) return;
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        continue;
      }
      let outcome: Outcome;
      try {
        outcome = await this.deliver(it);
      } catch (e) {
        // A bug (e.g. retryData that cannot be encoded) must not kill the sender: count the loss.
        outcome = { ok: false, reason: 'internal_error', spans: it.spans, detail: errorText(e), retryable: false };
      }
      if (!outcome.ok) this.metrics.dropped(this.logger, this.component, outcome.spans, outcome.reason, outcome.detail);
      this.release(it);
    }
  }

  /** Queue disabled (`sending_queue.enabled: false`): send within consumeTraces, as otelcol does. */
  private async sendNow(td: TraceData, spans: number): Promise<void> {
    const item = this.makeItem(td, spans);
    item.onAccepted?.();
    if (item.spans === 0) return;
    const p = this.deliver(item);
    this.syncInFlight.add(p);
    let outcome: Outcome;
    try {
      outcome = await p;
    } finally {
      this.syncInFlight.delete(p);
    }
    if (outcome.ok) return;
    if (outcome.retryable) {
      // The caller still holds the data: refuse retryably instead of dropping it here.
      throw ConsumerError.retryable(`export failed: ${outcome.detail}`, 'backend_unavailable');
    }
    this.metrics.dropped(this.logger, this.component, outcome.spans, outcome.reason, outcome.detail);
    throw ConsumerError.permanent(`export failed permanently: ${outcome.detail}`);
  }

  // ---- sending and retrying ----------------------------------------------------------------

  private async deliver(item: Item): Promise<Outcome> {
    let { td, payload, spans } = item;
    const started = Date.now();
    const backoff = new Backoff(this.retry, this.random);
    const id = this.settings.id;
    let lastError = '';
    for (;;) {
      if (this.hardStop.signal.aborted) {
        return { ok: false, reason: 'shutdown_deadline', spans, detail: lastError || 'shutdown deadline passed before sending', retryable: true };
      }
      let err: unknown;
      try {
        const res = await this.attempt(td, payload);
        this.recordSuccess(spans, res);
        return { ok: true };
      } catch (e) {
        err = e;
      }
      lastError = errorText(err);
      if (err instanceof PermanentError) {
        this.metrics.exporterSendFailed.inc({ exporter: id, reason: err.reason }, spans);
        return { ok: false, reason: err.reason, spans, detail: lastError, retryable: false };
      }
      this.metrics.exporterSendFailed.inc({ exporter: id, reason: 'retryable' }, spans);
      if (this.hardStop.signal.aborted) {
        return { ok: false, reason: 'shutdown_deadline', spans, detail: lastError, retryable: true };
      }
      const retryable = err instanceof RetryableError ? err : undefined;
      if (retryable?.retryPayload && this.sender.kind === 'prepared') {
        const rest = Math.max(0, Math.min(spans, retryable.retryPayload.spans));
        if (spans > rest) this.metrics.exporterSent.inc({ exporter: id }, spans - rest);
        spans = rest;
        if (spans === 0) return { ok: true };
        payload = retryable.retryPayload.payload;
      } else if (retryable?.retryData) {
        const rest = spanCount(retryable.retryData);
        if (spans > rest) this.metrics.exporterSent.inc({ exporter: id }, spans - rest);
        spans = rest;
        if (spans === 0) return { ok: true };
        if (this.sender.kind === 'encoded') {
          try {
            payload = this.sender.encode(retryable.retryData);
          } catch (e) {
            return { ok: false, reason: 'internal_error', spans, detail: `cannot encode the part to retry: ${errorText(e)}`, retryable: false };
          }
        } else if (this.sender.kind === 'data') {
          td = retryable.retryData;
        } else {
          return { ok: false, reason: 'internal_error', spans, detail: 'retryData from a prepared-payload exporter (use retryPayload)', retryable: false };
        }
      }
      if (!this.retry.enabled) return { ok: false, reason: 'retry_disabled', spans, detail: lastError, retryable: true };
      const delay = backoff.next(Date.now() - started, retryable?.retryAfterMs);
      if (delay === undefined) {
        return {
          ok: false,
          reason: 'retry_exhausted',
          spans,
          detail: `no more retries left after ${Math.round((Date.now() - started) / 1000)}s: ${lastError}`,
          retryable: true,
        };
      }
      this.logger.info({ exporter: id, error: lastError, interval_ms: delay, spans }, 'Exporting failed. Will retry the request after interval.');
      await sleep(delay, this.hardStop.signal);
    }
  }

  private recordSuccess(spans: number, res: SendResult | void): void {
    const rejected = Math.min(spans, Math.max(0, Number(res?.rejectedSpans ?? 0)));
    if (spans > rejected) this.metrics.exporterSent.inc({ exporter: this.settings.id }, spans - rejected);
    if (rejected > 0 || res?.message) {
      // partial_success: the destination accepted the request but not these spans. Not retryable.
      this.metrics.dropped(this.logger, this.component, rejected, 'rejected_by_destination', res?.message);
      if (rejected === 0) this.logger.warn({ exporter: this.settings.id, message: res?.message }, 'destination returned a partial_success warning');
    }
  }

  /** One attempt, bounded by the timeout and the shutdown deadline even if `send` ignores its signal. */
  private attempt(td: TraceData | undefined, payload: unknown): Promise<SendResult | void> {
    const ctrl = new AbortController();
    const stop = this.hardStop.signal;
    return new Promise<SendResult | void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onStop = () => ctrl.abort(new RetryableError('shutdown deadline passed during the send'));
      const finish = () => {
        if (timer) clearTimeout(timer);
        stop.removeEventListener('abort', onStop);
      };
      ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true });
      if (this.timeoutMs > 0) {
        timer = setTimeout(() => ctrl.abort(new RetryableError(`request timed out after ${this.timeoutMs}ms`)), this.timeoutMs);
      }
      if (stop.aborted) onStop();
      else stop.addEventListener('abort', onStop, { once: true });
      let p: Promise<SendResult | void>;
      try {
        const sender = this.sender;
        if (sender.kind === 'encoded') p = sender.send(payload as Uint8Array, ctrl.signal);
        else if (sender.kind === 'prepared') p = sender.send(payload, ctrl.signal);
        else p = sender.send(td!, ctrl.signal);
      } catch (e) {
        finish();
        reject(e);
        return;
      }
      p.then(
        (r) => {
          finish();
          resolve(r);
        },
        (e) => {
          finish();
          reject(e);
        },
      );
    });
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Like createQueuedTracesExporter, for exporters whose wire format is the OTLP request itself
 * (otlp, otlphttp): each batch is encoded once when it is enqueued and only the bytes are held,
 * so the decoded objects die young (cheap GC), the queue holds ~4x less memory per span, and the
 * byte bound is exact. A RetryableError's retryData is encoded and retried likewise.
 */
export function createQueuedEncodedTracesExporter(
  settings: CreateSettings,
  queue: QueueConfig,
  retry: RetryConfig,
  encode: (td: TraceData) => Uint8Array,
  send: SendEncodedFn,
  opts: Omit<QueuedExporterOptions, 'sizeOf'> = {},
): QueuedTracesExporter {
  return new QueuedTracesExporter(settings, queue, retry, { kind: 'encoded', encode, send }, opts);
}

/**
 * For exporters whose wire format is not OTLP but is computed per batch (awsxray: segment
 * documents): `prepare` runs once at enqueue time and the queue holds only its payload (the
 * decoded objects die young, the byte bound counts what is really held); `send` gets that
 * payload, and a RetryableError's retryPayload (a part of it) retries only that part.
 */
export function createQueuedPreparedTracesExporter<P>(
  settings: CreateSettings,
  queue: QueueConfig,
  retry: RetryConfig,
  prepare: PrepareFn<P>,
  send: SendPreparedFn<P>,
  opts: Omit<QueuedExporterOptions, 'sizeOf'> = {},
): QueuedTracesExporter {
  return new QueuedTracesExporter(settings, queue, retry, { kind: 'prepared', prepare, send: send as SendPreparedFn<unknown> }, opts);
}

/**
 * The one-liner for exporters: a TracesExporter with the shared sending queue and retry loop
 * around `send`. Example (an exporter's factory.ts):
 *
 *   create(cfg, settings) {
 *     const client = new MyClient(cfg);
 *     return createQueuedTracesExporter(settings, cfg.queue, cfg.retry, (td, signal) => client.send(td, signal), {
 *       timeoutMs: cfg.timeoutMs, onShutdown: () => client.close(),
 *     });
 *   }
 */
export function createQueuedTracesExporter(
  settings: CreateSettings,
  queue: QueueConfig,
  retry: RetryConfig,
  send: SendFn,
  opts: QueuedExporterOptions = {},
): QueuedTracesExporter {
  return new QueuedTracesExporter(settings, queue, retry, send, opts);
}
