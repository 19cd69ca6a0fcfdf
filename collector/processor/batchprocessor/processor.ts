/**
 * The batch processor: collects spans and sends them on in batches of `send_batch_size` or after
 * `timeout`, split at `send_batch_max_size`. Delivery semantics (TEAM.md): data is acknowledged
 * once it is in the buffer; a batch the next consumer refuses retryably is kept and retried with
 * backoff (order kept); while the buffer is over its bound new data is refused retryably, so the
 * back-pressure reaches the client, which keeps its data. Shutdown flushes everything; what is
 * still held when the deadline fires is counted as dropped (`shutdown_deadline`).
 */
import type { Host, TraceConsumer, TracesProcessor, CreateSettings } from '../../component/component.js';
import { ConsumerError } from '../../component/consumer-error.js';
import type { ResourceSpans, TraceData } from '../../pdata/model.js';
import type { BatchConfig } from './config.js';
import { resourceSpanCount, takeSpans } from './split.js';

const RETRY_INITIAL_MS = 50;
const RETRY_MAX_MS = 2000;

export class BatchProcessor implements TracesProcessor {
  private readonly buffer: ResourceSpans[] = [];
  private pendingSpans = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private timeoutFired = false;
  private stopping = false;
  private deadline: AbortSignal | undefined;
  /** Spans the buffer may hold before new data is refused. */
  readonly bound: number;

  constructor(
    private readonly cfg: BatchConfig,
    private readonly settings: CreateSettings,
    private readonly next: TraceConsumer,
  ) {
    this.bound = Math.max(4 * cfg.sendBatchSize, cfg.sendBatchMaxSize, 1024);
  }

  async start(_host: Host): Promise<void> {}

  /** Spans held (buffered or being sent). */
  get held(): number {
    return this.pendingSpans;
  }

  async consumeTraces(td: TraceData): Promise<void> {
    let n = 0;
    for (const rs of td.resourceSpans) n += resourceSpanCount(rs);
    if (this.stopping) {
      this.refuse('shutting_down', n);
      throw ConsumerError.retryable('collector is shutting down', 'shutting_down');
    }
    if (n === 0) return;
    if (this.pendingSpans > 0 && this.pendingSpans + n > this.bound) {
      this.refuse('queue_full', n);
      throw ConsumerError.retryable(`batch processor ${this.settings.id} holds ${this.pendingSpans} spans (bound ${this.bound})`, 'queue_full');
    }
    for (const rs of td.resourceSpans) this.buffer.push(rs);
    this.pendingSpans += n;
    if (this.cfg.timeoutMs === 0 || this.pendingSpans >= this.cfg.sendBatchSize) this.kick();
    else this.armTimer();
  }

  private refuse(reason: string, n: number): void {
    if (n > 0) this.settings.metrics.processorRefused.inc({ processor: this.settings.id, reason }, n);
  }

  private armTimer(): void {
    if (this.timer || this.flushing) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timeoutFired = true;
      this.kick();
    }, this.cfg.timeoutMs);
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flushLoop().finally(() => {
      this.flushing = undefined;
      if (this.pendingSpans > 0) {
        if (this.stopping || this.cfg.timeoutMs === 0 || this.pendingSpans >= this.cfg.sendBatchSize) this.kick();
        else this.armTimer();
      }
    });
  }

  private shouldSend(): boolean {
    if (this.pendingSpans === 0) return false;
    return this.stopping || this.timeoutFired || this.cfg.timeoutMs === 0 || this.pendingSpans >= this.cfg.sendBatchSize;
  }

  private async flushLoop(): Promise<void> {
    while (this.shouldSend()) {
      const bySize = this.pendingSpans >= this.cfg.sendBatchSize;
      const max = this.cfg.sendBatchMaxSize > 0 ? this.cfg.sendBatchMaxSize : this.pendingSpans;
      const { td, count } = takeSpans(this.buffer, max);
      if (this.buffer.length === 0) this.timeoutFired = false;
      if (bySize) this.settings.metrics.batchSizeTriggerSend.inc({ processor: this.settings.id });
      else this.settings.metrics.batchTimeoutTriggerSend.inc({ processor: this.settings.id });
      await this.send(td, count);
      this.pendingSpans -= count;
    }
    this.timeoutFired = false;
  }

  /** Sends one batch, retrying retryable refusals until it is taken, refused for good, or the shutdown deadline passes. */
  private async send(td: TraceData, count: number): Promise<void> {
    const { id, logger, metrics } = this.settings;
    let delay = RETRY_INITIAL_MS;
    for (;;) {
      if (this.deadline?.aborted) {
        metrics.dropped(logger, id, count, 'shutdown_deadline', 'batch still held when the shutdown deadline passed');
        return;
      }
      try {
        await this.raceDeadline(this.next.consumeTraces(td));
        metrics.batchSendSize.observe({ processor: id }, count);
        return;
      } catch (err) {
        if (err === DEADLINE) {
          metrics.dropped(logger, id, count, 'shutdown_deadline', 'downstream did not take the batch before the shutdown deadline');
          return;
        }
        if (err instanceof ConsumerError && err.retryable) {
          logger.debug({ component: id, spans: count, reason: err.reason, retry_in_ms: delay }, 'batch refused downstream; keeping it and retrying');
          await this.sleep(delay);
          delay = Math.min(delay * 2, RETRY_MAX_MS);
          continue;
        }
        const reason = err instanceof ConsumerError ? err.reason : 'downstream_error';
        metrics.dropped(logger, id, count, reason, (err as Error)?.message);
        return;
      }
    }
  }

  private raceDeadline<T>(p: Promise<T>): Promise<T> {
    const d = this.deadline;
    if (!d) return p;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(DEADLINE);
      if (d.aborted) return onAbort();
      d.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          d.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (e) => {
          d.removeEventListener('abort', onAbort);
          reject(e);
        },
      );
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const d = this.deadline;
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        d?.removeEventListener('abort', done);
        resolve();
      }
      d?.addEventListener('abort', done, { once: true });
    });
  }

  async shutdown(deadline: AbortSignal): Promise<void> {
    this.stopping = true;
    this.deadline = deadline;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Wake a flush loop that is sleeping between retries so it sees the deadline.
    while (this.pendingSpans > 0 || this.flushing) {
      if (!this.flushing) this.kick();
      await this.flushing;
      if (deadline.aborted && this.pendingSpans > 0 && !this.flushing) {
        const rest = this.pendingSpans;
        this.buffer.length = 0;
        this.pendingSpans = 0;
        this.settings.metrics.dropped(this.settings.logger, this.settings.id, rest, 'shutdown_deadline', 'buffered spans not sent before the shutdown deadline');
      }
    }
  }
}

const DEADLINE = Symbol('shutdown deadline');
