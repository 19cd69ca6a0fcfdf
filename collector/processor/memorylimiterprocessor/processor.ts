/**
 * memory_limiter: every `check_interval` it measures the process's live memory; above the soft
 * limit (limit − spike) it refuses data with a retryable ConsumerError ('memory_limit') and sets
 * the Host's back-pressure so receivers refuse before even decoding (gRPC RESOURCE_EXHAUSTED with
 * RetryInfo, HTTP 429/503 with Retry-After). It refuses until usage falls below the soft limit.
 *
 * It also measures on every consumeTraces call (about 1 µs), so it reacts within one request.
 *
 * What it measures: V8 `heapUsed + external` (external includes ArrayBuffers/Buffers, where request
 * bodies and decoded IDs live). That is the Node equivalent of the Go heap allocation the Collector
 * watches: it shrinks when garbage is collected, so refusing ends once the load drains. RSS is not
 * used because V8 and the allocator keep freed pages mapped, so RSS can stay above the limit long
 * after live data has gone, and the collector would refuse forever. Set limit_mib with headroom
 * below the container limit (RSS is reported as otelcol_process_memory_rss for that).
 */
import { liveMemoryBytes, systemMemory } from '../../telemetry/process-memory.js';
import type { CreateSettings, Host, TraceConsumer, TracesProcessor } from '../../component/component.js';
import { ConsumerError } from '../../component/consumer-error.js';
import { spanCount, type TraceData } from '../../pdata/model.js';
import type { MemoryLimiterConfig } from './config.js';

const MiB = 1024 * 1024;

/** Lets memory_limiter switch receivers' refusal on and off (implemented by the service's Host). */
export interface BackpressureControl {
  setRefusing(source: string, refusing: boolean, retryAfterSeconds: number): void;
}

export function hasBackpressureControl(b: unknown): b is BackpressureControl {
  return typeof (b as BackpressureControl | undefined)?.setRefusing === 'function';
}

/**
 * Memory the limiter's percentages apply to: the cgroup limit when there is one, else physical
 * memory, and never more than V8's heap limit (--max-old-space-size). The measured heap cannot
 * grow past that limit: Node dies with "JavaScript heap out of memory" first, so a percentage of
 * a larger machine's memory would never trigger.
 */
export function availableMemoryBytes(): number {
  const sys = systemMemory();
  return Math.min(sys.containerLimitBytes, sys.heapLimitBytes);
}

export class MemoryLimiterProcessor implements TracesProcessor {
  readonly hardLimitBytes: number;
  readonly softLimitBytes: number;
  private refusing = false;
  private interval: NodeJS.Timeout | undefined;
  private host: Host | undefined;

  constructor(
    private readonly cfg: MemoryLimiterConfig,
    private readonly settings: CreateSettings,
    private readonly next: TraceConsumer,
    /** Injectable for tests. */
    private readonly measure: () => number = liveMemoryBytes,
    total: number = availableMemoryBytes(),
  ) {
    if (cfg.limitMiB > 0) {
      this.hardLimitBytes = cfg.limitMiB * MiB;
      this.softLimitBytes = (cfg.limitMiB - cfg.spikeLimitMiB) * MiB;
    } else {
      this.hardLimitBytes = Math.floor((total * cfg.limitPercentage) / 100);
      this.softLimitBytes = Math.floor((total * (cfg.limitPercentage - cfg.spikeLimitPercentage)) / 100);
    }
  }

  get retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(this.cfg.checkIntervalMs / 1000));
  }

  get isRefusing(): boolean {
    return this.refusing;
  }

  async start(host: Host): Promise<void> {
    this.host = host;
    const heapLimit = systemMemory().heapLimitBytes;
    if (this.softLimitBytes > heapLimit) {
      this.settings.logger.warn(
        { component: this.settings.id, soft_limit_mib: Math.round(this.softLimitBytes / MiB), v8_heap_limit_mib: Math.round(heapLimit / MiB) },
        'memory_limiter soft limit is above the V8 heap limit: the process would run out of heap before refusing; raise --max-old-space-size (NODE_OPTIONS) or lower limit_mib',
      );
    }
    this.settings.logger.info(
      { component: this.settings.id, soft_limit_mib: Math.round(this.softLimitBytes / MiB), hard_limit_mib: Math.round(this.hardLimitBytes / MiB), check_interval_ms: this.cfg.checkIntervalMs },
      'memory limiter started (measures V8 heapUsed + external)',
    );
    this.check();
    this.interval = setInterval(() => this.check(), this.cfg.checkIntervalMs);
    this.interval.unref();
  }

  /** One measurement; public for tests. */
  check(): void {
    const used = this.measure();
    const above = used >= this.softLimitBytes;
    if (above !== this.refusing) {
      this.refusing = above;
      const mib = Math.round(used / MiB);
      if (above) this.settings.logger.warn({ component: this.settings.id, used_mib: mib, soft_limit_mib: Math.round(this.softLimitBytes / MiB) }, 'memory usage above soft limit; refusing data');
      else this.settings.logger.info({ component: this.settings.id, used_mib: mib }, 'memory usage back below soft limit; accepting data');
      const b = this.host?.backpressure;
      if (hasBackpressureControl(b)) b.setRefusing(this.settings.id, above, this.retryAfterSeconds);
    }
  }

  async consumeTraces(td: TraceData): Promise<void> {
    // Measured for every request (about 1 µs), not only every check_interval, so a burst is
    // refused within one request of passing the soft limit.
    this.check();
    if (this.refusing) {
      this.settings.metrics.processorRefused.inc({ processor: this.settings.id, reason: 'memory_limit' }, spanCount(td));
      throw ConsumerError.retryable('memory usage is above the memory_limiter soft limit', 'memory_limit', this.retryAfterSeconds);
    }
    return this.next.consumeTraces(td);
  }

  async shutdown(_deadline: AbortSignal): Promise<void> {
    if (this.interval) clearInterval(this.interval);
    this.interval = undefined;
    const b = this.host?.backpressure;
    if (this.refusing && hasBackpressureControl(b)) b.setRefusing(this.settings.id, false, 0);
    this.refusing = false;
  }
}
