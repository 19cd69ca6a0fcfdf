/**
 * The sending queue and retry loop between the pipeline and one exporter's send function — the
 * "delivery that loses nothing" half of every queued exporter (after the Collector's
 * exporterhelper: queue_sender + retry_sender + timeout_sender, and its persistent queue).
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
 *   retryAfterMs; a RetryableError with retryData/retryPayload retries only that part, and its
 *   `refused` spans are dropped with their reasons; when max_elapsed_time would be passed →
 *   dropped as `retry_exhausted`. A SendResult with rejectedSpans (OTLP partial_success) counts
 *   those as dropped with reason `rejected_by_destination`. Every span of a batch is counted once:
 *   sent, or dropped with a reason.
 * - Backoff without starving: when the destination took part of a batch (progress, e.g. X-Ray
 *   leaving 15 % of the segments unprocessed), the remainder waits for its retry off the sender —
 *   the sender takes the next batch at once and the remainder comes back first when its wait is
 *   over. When an attempt made no progress at all (destination down), the sender itself waits,
 *   so a failing destination still sees at most `num_consumers` attempts per backoff interval.
 * - Persistent (`storage: <extension id>`): each batch is written to the storage extension's
 *   client before consumeTraces resolves and deleted once acknowledged or dropped; only the
 *   record's key and sizes stay in memory (the payload is read back when a sender takes it).
 *   Start restores what a previous process left, in order. Shutdown keeps what is unsent on disk
 *   instead of dropping it. A write that fails (disk full) refuses the batch retryably.
 * - shutdown(deadline): refuses new data, keeps sending and retrying what it holds until the queue
 *   is empty or the deadline aborts; then every span still held is dropped as `shutdown_deadline`
 *   (in memory) or left for the next start (persistent).
 *
 * Every drop goes through CollectorMetrics.dropped (counted by reason and logged) with the
 * component label `exporter/<id>`.
 */
import type { CreateSettings, Host, TracesExporter } from '../../component/component.js';
import { ConsumerError } from '../../component/consumer-error.js';
import { isStorageExtension } from '../../extension/storage/storage.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import { decodeTraceRequest, encodeTraceRequest } from '../../pdata/otlp-proto.js';
import { LogSampler } from '../../telemetry/log-sampler.js';
import type { Logger } from '../../telemetry/logger.js';
import type { CollectorMetrics } from '../../telemetry/metrics.js';
import { Backoff } from './backoff.js';
import { DEFAULT_TIMEOUT_MS, type QueueConfig, type RetryConfig } from './config.js';
import { PermanentError, RetryableError, type RefusedSpans, type SendFn, type SendResult } from './errors.js';
import { PersistentStore, type PayloadCodec } from './persistent-store.js';
import { estimateTraceBytes } from './sizes.js';

export interface QueuedExporterOptions {
  /** Bytes one TraceData counts for in the byte bound. Default: estimateTraceBytes. */
  sizeOf?: (td: TraceData) => number;
  /**
   * Per-attempt timeout in ms (0 = none). Default 5000, the Collector's. An exporter that bounds
   * each of its own calls and reports per-call results (awsxray) passes 0: cutting the attempt
   * would throw away which calls succeeded.
   */
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
 * prepared once at enqueue time into an exporter-specific payload (with a codec for disk).
 */
type Sender =
  | { kind: 'data'; send: SendFn }
  | { kind: 'encoded'; encode: (td: TraceData) => Uint8Array; send: SendEncodedFn }
  | { kind: 'prepared'; prepare: PrepareFn<unknown>; send: SendPreparedFn<unknown>; codec?: PayloadCodec<unknown> };

/** Where a remainder stands in its retries while it waits off the senders. */
interface RetryState {
  backoff: Backoff;
  started: number;
  lastError: string;
}

/**
 * One batch: the TraceData, or in encoded/prepared mode only its payload (the objects are freed
 * at once). Persistent: `key` of its record, and no payload while it waits (read back on take).
 */
interface Item {
  td?: TraceData;
  payload?: unknown;
  spans: number;
  bytes: number;
  onAccepted?: () => void;
  key?: string;
  /** Persistent: the payload is also kept in memory (counted in hotBytes). */
  hot?: boolean;
  retry?: RetryState;
}

type Outcome =
  | { ok: true }
  | { ok: false; deferred: true }
  | { ok: false; deferred?: false; reason: string; spans: number; detail: string; retryable: boolean };

export interface QueueStats {
  batches: number;
  spans: number;
  bytes: number;
}

/** Persistent queue: at most this many bytes of stored batches are also kept in memory. */
export const PERSISTENT_HOT_BYTES = 16 * 1024 * 1024;

const IDENTITY_CODEC: PayloadCodec<Uint8Array> = { encode: (b) => b, decode: (b) => b };
const TRACE_DATA_CODEC: PayloadCodec<TraceData> = { encode: encodeTraceRequest, decode: decodeTraceRequest };

export class QueuedTracesExporter implements TracesExporter {
  private readonly component: string;
  private readonly logger: Logger;
  /** A failing disk refuses every batch: the operator must see why, but not once per batch. */
  private readonly storageErrorLog = new LogSampler();
  private readonly metrics: CollectorMetrics;
  private readonly sizeOf: (td: TraceData) => number;
  private readonly timeoutMs: number;
  private readonly random: () => number;
  private readonly sender: Sender;
  // FIFO of waiting batches: array + head index, compacted now and then (no O(n) shift).
  private items: Item[] = [];
  private head = 0;
  /** Remainders whose retry wait is over: taken before `items`. */
  private readyRetries: Item[] = [];
  /** Remainders waiting for their retry, with their timers. */
  private readonly waiting = new Map<Item, NodeJS.Timeout>();
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
  private readonly writesInFlight = new Set<Promise<unknown>>();
  /** Set in start() when `sending_queue.storage` names a storage extension. */
  private store?: PersistentStore<unknown>;
  /** Persistent: bytes of the batches whose payload is kept in memory as well. */
  private hotBytes = 0;

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
    if (this.queue.storage !== undefined) await this.openStore(host, this.queue.storage);
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
    if (this.queue.storage !== undefined && !this.store) {
      throw ConsumerError.retryable(`exporter ${this.settings.id}: the persistent queue is not open yet`, 'storage_unavailable');
    }
    // Span/batch bounds first: measuring bytes may cost an encode, wasted on a full queue.
    if (!this.fits(spans, 0)) throw this.queueFull();
    const item = this.makeItem(td, spans);
    const promised = this.promised === spans;
    this.promised = -1;
    if (!promised && !this.fits(item.spans, item.bytes)) throw this.queueFull();
    if (item.spans === 0) {
      item.onAccepted?.(); // prepare dropped (and counts) every span
      return;
    }
    this.hold(item);
    if (this.store) {
      try {
        await this.persist(item);
      } catch (e) {
        this.release(item);
        const message = `exporter ${this.settings.id} cannot write its persistent queue: ${errorText(e)}`;
        // The receiver logs retryable refusals at debug level only; a full or failing disk needs
        // the operator, so it is a (sampled) error line here.
        const suppressed = this.storageErrorLog.take('write');
        if (suppressed >= 0) {
          this.logger.error({ exporter: this.settings.id, spans: item.spans, ...(suppressed > 0 ? { suppressed_since_last: suppressed } : {}) }, `${message}; batches are refused retryably until it can write again`);
        }
        throw ConsumerError.retryable(message, 'storage_unavailable');
      }
    }
    item.onAccepted?.();
    item.onAccepted = undefined;
    this.items.push(item);
    this.wakeOne();
  }

  async shutdown(deadline: AbortSignal): Promise<void> {
    this.accepting = false;
    this.draining = true;
    const onDeadline = () => {
      this.hardStop.abort();
      for (const w of this.idleWaiters.splice(0)) w();
    };
    if (deadline.aborted) onDeadline();
    else deadline.addEventListener('abort', onDeadline, { once: true });
    // Idle senders see "draining and nothing left" and end; busy ones finish the queue first.
    for (const w of this.idleWaiters.splice(0)) w();
    await Promise.all(this.loops);
    await Promise.allSettled([...this.syncInFlight]);
    deadline.removeEventListener('abort', onDeadline);
    for (const [it, timer] of this.waiting) {
      clearTimeout(timer);
      this.readyRetries.push(it);
    }
    this.waiting.clear();
    // Never started, or stopped before everything was taken: count (or keep) what is left.
    let kept = 0;
    for (let it = this.takeNow(); it; it = this.takeNow()) {
      if (it.key !== undefined) kept += it.spans;
      else this.metrics.dropped(this.logger, this.component, it.spans, 'shutdown_deadline', 'exporter shut down before sending');
      this.release(it);
    }
    await Promise.allSettled([...this.writesInFlight]);
    if (this.store) {
      if (kept > 0) this.logger.warn({ exporter: this.settings.id, spans: kept }, 'unsent spans stay in the persistent queue; they are sent at the next start');
      await this.store.client.close().catch((e) => this.logger.error({ exporter: this.settings.id, error: errorText(e) }, 'closing the persistent queue failed'));
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
    if (this.readyRetries.length > 0) return this.readyRetries.shift();
    if (this.head >= this.items.length) return undefined;
    const it = this.items[this.head]!;
    this.items[this.head++] = undefined as unknown as Item;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return it;
  }

  private hold(it: Item): void {
    this.heldBatches++;
    this.heldSpans += it.spans;
    this.heldBytes += it.bytes;
    this.metrics.queueSize.set({ exporter: this.settings.id }, this.heldSpans);
  }

  /** The queue no longer holds the batch: its counts and any in-memory copy (hot bytes) go. */
  private release(it: Item): void {
    if (it.hot) {
      this.hotBytes -= it.bytes;
      it.hot = false;
    }
    it.payload = undefined;
    it.td = undefined;
    this.heldBatches--;
    this.heldSpans -= it.spans;
    this.heldBytes -= it.bytes;
    this.metrics.queueSize.set({ exporter: this.settings.id }, this.heldSpans);
  }

  /** The item now carries only `spans` of what it held (the rest was sent or dropped). */
  private shrink(it: Item, spans: number): void {
    const bytes = it.spans > 0 ? Math.round((it.bytes * spans) / it.spans) : 0;
    if (it.hot) this.hotBytes -= it.bytes - bytes;
    this.heldSpans -= it.spans - spans;
    this.heldBytes -= it.bytes - bytes;
    it.spans = spans;
    it.bytes = bytes;
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
        if (this.hardStop.signal.aborted || (this.draining && this.waiting.size === 0)) return;
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
        continue;
      }
      let outcome: Outcome;
      try {
        outcome = await this.deliver(it, true);
      } catch (e) {
        // A bug (e.g. retryData that cannot be encoded) must not kill the sender: count the loss.
        outcome = { ok: false, reason: 'internal_error', spans: it.spans, detail: errorText(e), retryable: false };
      }
      if (!outcome.ok && outcome.deferred) continue; // the remainder waits for its retry, still held
      this.finish(it, outcome);
    }
  }

  /** A batch is done: counted if dropped, its record deleted (or kept when the process stops). */
  private finish(it: Item, outcome: Outcome): void {
    const stopping = !outcome.ok && !outcome.deferred && outcome.reason === 'shutdown_deadline';
    if (!outcome.ok && !outcome.deferred && !(stopping && it.key !== undefined)) {
      this.metrics.dropped(this.logger, this.component, outcome.spans, outcome.reason, outcome.detail);
    }
    if (it.key !== undefined && !stopping) this.trackWrite(this.store!.remove(it.key), 'deleting a sent batch');
    this.release(it);
  }

  /** Queue disabled (`sending_queue.enabled: false`): send within consumeTraces, as otelcol does. */
  private async sendNow(td: TraceData, spans: number): Promise<void> {
    const item = this.makeItem(td, spans);
    item.onAccepted?.();
    if (item.spans === 0) return;
    const p = this.deliver(item, false);
    this.syncInFlight.add(p);
    let outcome: Outcome;
    try {
      outcome = await p;
    } finally {
      this.syncInFlight.delete(p);
    }
    if (outcome.ok || outcome.deferred) return;
    if (outcome.retryable) {
      // The caller still holds the data: refuse retryably instead of dropping it here.
      throw ConsumerError.retryable(`export failed: ${outcome.detail}`, 'backend_unavailable');
    }
    this.metrics.dropped(this.logger, this.component, outcome.spans, outcome.reason, outcome.detail);
    throw ConsumerError.permanent(`export failed permanently: ${outcome.detail}`);
  }

  // ---- persistence -------------------------------------------------------------------------

  private async openStore(host: Host, extId: string): Promise<void> {
    const ext = host.getExtension(extId);
    if (!isStorageExtension(ext)) {
      throw new Error(`sending_queue.storage: extension "${extId}" is ${ext ? 'not a storage extension' : 'not running'}`);
    }
    const s = this.sender;
    const codec: PayloadCodec<unknown> | undefined =
      s.kind === 'encoded' ? (IDENTITY_CODEC as PayloadCodec<unknown>) : s.kind === 'data' ? (TRACE_DATA_CODEC as PayloadCodec<unknown>) : s.codec;
    if (!codec) throw new Error(`sending_queue.storage: exporter ${this.settings.id} cannot store its batches (no codec)`);
    const client = await ext.getClient('exporter', this.settings.id, 'traces');
    const store = new PersistentStore(client, codec);
    const restored = await store.restore((key, _spans, problem) =>
      this.logger.error({ exporter: this.settings.id, key, problem }, 'persistent queue: an unreadable batch record was removed'),
    );
    let spans = 0;
    for (const b of restored) {
      const it: Item = { key: b.key, spans: b.spans, bytes: b.bytes };
      this.hold(it);
      this.items.push(it);
      spans += b.spans;
    }
    this.store = store;
    if (restored.length > 0) {
      this.logger.info({ exporter: this.settings.id, batches: restored.length, spans, storage: extId }, 'persistent queue: resuming the batches a previous run left');
    }
  }

  /**
   * Writes a new batch to disk. Its in-memory copy is kept while the copies held stay within
   * PERSISTENT_HOT_BYTES, so a queue that drains as fast as it fills never reads back from disk;
   * beyond that (a backlog) the payload lives only on disk until a sender reads it.
   */
  private async persist(it: Item): Promise<void> {
    const payload = this.sender.kind === 'data' ? it.td : it.payload;
    it.key = await this.store!.append(payload, it.spans, it.bytes);
    if (this.hotBytes + it.bytes <= PERSISTENT_HOT_BYTES) {
      this.hotBytes += it.bytes;
      it.hot = true;
    } else {
      it.payload = undefined;
      it.td = undefined;
    }
  }

  private trackWrite(p: Promise<unknown>, what: string): void {
    const tracked = p.catch((e) => this.logger.error({ exporter: this.settings.id, error: errorText(e) }, `persistent queue: ${what} failed (the batch may be sent again after a restart)`));
    this.writesInFlight.add(tracked);
    void tracked.finally(() => this.writesInFlight.delete(tracked));
  }

  // ---- sending and retrying ----------------------------------------------------------------

  /**
   * Sends a batch until it is delivered, dropped, or — with `mayDefer`, once the destination took
   * part of it — handed to a retry timer (`deferred`), so the sender can take the next batch.
   */
  private async deliver(item: Item, mayDefer: boolean): Promise<Outcome> {
    let { td, payload } = item;
    if (item.key !== undefined && td === undefined && payload === undefined) {
      try {
        const loaded = await this.store!.load(item.key);
        if (this.sender.kind === 'data') td = loaded as TraceData;
        else payload = loaded;
      } catch (e) {
        return { ok: false, reason: 'storage_unreadable', spans: item.spans, detail: errorText(e), retryable: false };
      }
    }
    const state: RetryState = item.retry ?? { backoff: new Backoff(this.retry, this.random), started: Date.now(), lastError: '' };
    item.retry = undefined;
    const id = this.settings.id;
    for (;;) {
      if (this.hardStop.signal.aborted) {
        return { ok: false, reason: 'shutdown_deadline', spans: item.spans, detail: state.lastError || 'shutdown deadline passed before sending', retryable: true };
      }
      let err: unknown;
      try {
        const res = await this.attempt(td, payload);
        this.recordSuccess(item.spans, res);
        return { ok: true };
      } catch (e) {
        err = e;
      }
      state.lastError = errorText(err);
      const spans = item.spans;
      if (err instanceof PermanentError) {
        this.metrics.exporterSendFailed.inc({ exporter: id, reason: err.reason }, spans);
        return { ok: false, reason: err.reason, spans, detail: state.lastError, retryable: false };
      }
      this.metrics.exporterSendFailed.inc({ exporter: id, reason: 'retryable' }, spans);
      if (this.hardStop.signal.aborted) {
        return { ok: false, reason: 'shutdown_deadline', spans, detail: state.lastError, retryable: true };
      }
      const retryable = err instanceof RetryableError ? err : undefined;
      let rest = spans;
      if (retryable?.retryPayload && this.sender.kind === 'prepared') {
        rest = Math.max(0, Math.min(spans, retryable.retryPayload.spans));
        payload = retryable.retryPayload.payload;
      } else if (retryable?.retryData) {
        rest = Math.min(spans, spanCount(retryable.retryData));
        if (this.sender.kind === 'encoded') {
          try {
            payload = this.sender.encode(retryable.retryData);
          } catch (e) {
            this.countSettled(spans - rest, retryable.refused);
            this.shrink(item, rest);
            return { ok: false, reason: 'internal_error', spans: rest, detail: `cannot encode the part to retry: ${errorText(e)}`, retryable: false };
          }
        } else if (this.sender.kind === 'data') {
          td = retryable.retryData;
        } else {
          return { ok: false, reason: 'internal_error', spans, detail: 'retryData from a prepared-payload exporter (use retryPayload)', retryable: false };
        }
      }
      const progressed = this.countSettled(spans - rest, retryable?.refused);
      if (rest < spans) this.shrink(item, rest);
      if (rest === 0) return { ok: true };
      if (!this.retry.enabled) return { ok: false, reason: 'retry_disabled', spans: rest, detail: state.lastError, retryable: true };
      const delay = state.backoff.next(Date.now() - state.started, retryable?.retryAfterMs);
      if (delay === undefined) {
        return {
          ok: false,
          reason: 'retry_exhausted',
          spans: rest,
          detail: `no more retries left after ${Math.round((Date.now() - state.started) / 1000)}s: ${state.lastError}`,
          retryable: true,
        };
      }
      this.logger.info({ exporter: id, error: state.lastError, interval_ms: delay, spans: rest }, 'Exporting failed. Will retry the request after interval.');
      if (mayDefer && progressed) {
        this.defer(item, td, payload, state, delay);
        return { ok: false, deferred: true };
      }
      await sleep(delay, this.hardStop.signal);
    }
  }

  /**
   * Counts the part of an attempt that is settled although the attempt "failed": `settled` spans
   * are no longer to send, of which `refused` were refused for good (dropped with their reasons)
   * and the rest taken by the destination (sent). True when anything was settled (progress).
   */
  private countSettled(settled: number, refused: readonly RefusedSpans[] | undefined): boolean {
    if (settled <= 0) return false;
    let dropped = 0;
    for (const r of refused ?? []) {
      const n = Math.min(r.spans, settled - dropped);
      if (n <= 0) continue;
      dropped += n;
      this.metrics.exporterSendFailed.inc({ exporter: this.settings.id, reason: r.reason }, n);
      this.metrics.dropped(this.logger, this.component, n, r.reason, r.detail);
    }
    if (settled > dropped) this.metrics.exporterSent.inc({ exporter: this.settings.id }, settled - dropped);
    return true;
  }

  /** Parks a remainder until its retry is due; persistent: its record becomes the remainder. */
  private defer(item: Item, td: TraceData | undefined, payload: unknown, state: RetryState, delayMs: number): void {
    item.retry = state;
    item.td = td;
    item.payload = payload;
    if (item.key !== undefined) {
      const key = item.key;
      const write = this.store!.rewrite(key, this.sender.kind === 'data' ? td : payload, item.spans, item.bytes).then(() => {
        // On disk now: drop a cold in-memory copy unless a sender already took it back.
        if (this.waiting.has(item) && !item.hot) {
          item.payload = undefined;
          item.td = undefined;
        }
      });
      this.trackWrite(write, 'storing the part of a batch still to send');
    }
    const timer = setTimeout(() => {
      this.waiting.delete(item);
      this.readyRetries.push(item);
      this.wakeOne();
    }, delayMs);
    this.waiting.set(item, timer);
  }

  private recordSuccess(spans: number, res: SendResult | void): void {
    let refused = 0;
    for (const r of res?.refused ?? []) refused += r.spans;
    if (refused > 0) this.countSettled(Math.min(spans, refused), res!.refused);
    spans -= Math.min(spans, refused);
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
 * payload, and a RetryableError's retryPayload (a part of it) retries only that part. `codec`
 * turns the payload into bytes and back for a persistent queue (`sending_queue.storage`).
 */
export function createQueuedPreparedTracesExporter<P>(
  settings: CreateSettings,
  queue: QueueConfig,
  retry: RetryConfig,
  prepare: PrepareFn<P>,
  send: SendPreparedFn<P>,
  opts: Omit<QueuedExporterOptions, 'sizeOf'> & { codec?: PayloadCodec<P> } = {},
): QueuedTracesExporter {
  const { codec, ...rest } = opts;
  return new QueuedTracesExporter(
    settings,
    queue,
    retry,
    { kind: 'prepared', prepare, send: send as SendPreparedFn<unknown>, codec: codec as PayloadCodec<unknown> | undefined },
    rest,
  );
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
