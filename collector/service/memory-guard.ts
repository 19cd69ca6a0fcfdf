/**
 * Runs the memory budget in the service: sizes it once the components that hold data exist
 * (memory-budget.ts), hands the receivers their admission controller (admission.ts) through the
 * Host, exports the sizes as metrics, and every `check_interval` looks at live memory: above the
 * soft limit it turns the Host's back-pressure on (receivers then refuse before reading a body)
 * and forces a collection as the admission controller does.
 */
import type { LoadedConfig } from '../config/load.js';
import { defaultMemoryBudgetConfig, type MemoryBudgetConfig } from '../extension/memorylimiterextension/config.js';
import type { Logger } from '../telemetry/logger.js';
import type { CollectorMetrics } from '../telemetry/metrics.js';
import { ADMISSION_RETRY_AFTER_SECONDS, AdmissionController } from './admission.js';
import type { ServiceHost } from './host.js';
import { heldMemoryBounds, mib, sizeBudget, type BudgetSizes } from './memory-budget.js';
import { garbageCollector, liveMemoryBytes, systemMemory } from '../telemetry/process-memory.js';

const BACKPRESSURE_SOURCE = 'memory_budget';

/** The budget's config: the enabled `memory_limiter` extension's, else the defaults. */
export function memoryBudgetConfigOf(cfg: LoadedConfig): MemoryBudgetConfig {
  for (const id of cfg.service.extensions) {
    const c = cfg.extensions.get(id);
    if (c?.type === 'memory_limiter') return c.config as MemoryBudgetConfig;
  }
  return defaultMemoryBudgetConfig();
}

export class MemoryGuard {
  private timer: NodeJS.Timeout | undefined;
  private admission: AdmissionController | undefined;
  private refusing = false;

  constructor(
    private readonly loaded: LoadedConfig,
    private readonly host: ServiceHost,
    private readonly metrics: CollectorMetrics,
    private readonly logger: Logger,
  ) {}

  private sized: BudgetSizes | undefined;

  /** The budget's sizes once started. */
  get sizes(): BudgetSizes | undefined {
    return this.sized;
  }

  start(): void {
    const cfg = memoryBudgetConfigOf(this.loaded);
    const sys = systemMemory();
    const held = heldMemoryBounds(this.loaded);
    const sizes = sizeBudget(cfg, sys, held, { rssBytes: process.memoryUsage.rss(), liveBytes: liveMemoryBytes() });
    this.sized = sizes;
    const collectGarbage = garbageCollector();
    this.admission = new AdmissionController(
      {
        requestLimitBytes: sizes.requestLimitBytes,
        waitingLimitBytes: sizes.waitingLimitBytes,
        softLimitBytes: sizes.liveSoftLimitBytes,
        hardLimitBytes: sizes.liveSoftLimitBytes + (sizes.totalBytes - sizes.softLimitBytes),
        maxSpansPerRequest: cfg.maxSpansPerRequest,
        minGcIntervalSoftMs: cfg.minGcIntervalSoftMs,
        minGcIntervalHardMs: cfg.minGcIntervalHardMs,
      },
      { liveMemory: liveMemoryBytes, collectGarbage },
    );
    this.host.admission = this.admission;
    const g = this.metrics.memoryBudget;
    g.set({ part: 'total' }, sizes.totalBytes);
    g.set({ part: 'soft_limit' }, sizes.softLimitBytes);
    g.set({ part: 'live_soft_limit' }, sizes.liveSoftLimitBytes);
    g.set({ part: 'reserved' }, sizes.reservedBytes);
    g.set({ part: 'baseline' }, sizes.baselineBytes);
    g.set({ part: 'admission' }, sizes.requestLimitBytes);
    g.set({ part: 'waiting' }, sizes.waitingLimitBytes);
    const a = this.admission;
    this.metrics.admissionProbe = () => ({ inFlight: a.inFlightBytes, waiting: a.waitingLineBytes });
    this.logger.info(
      {
        total_mib: mib(sizes.totalBytes),
        soft_limit_mib: mib(sizes.softLimitBytes),
        live_soft_limit_mib: mib(sizes.liveSoftLimitBytes),
        container_limit_mib: mib(sys.containerLimitBytes),
        container_limit_source: sys.containerLimitSource,
        v8_heap_limit_mib: mib(sys.heapLimitBytes),
        reserved_mib: mib(sizes.reservedBytes),
        reserved_by: Object.fromEntries(held.map((h) => [h.component, mib(h.bytes)])),
        baseline_mib: mib(sizes.baselineBytes),
        admission_mib: mib(sizes.requestLimitBytes),
        waiting_mib: mib(sizes.waitingLimitBytes),
        max_spans_per_request: cfg.maxSpansPerRequest,
        forced_gc: collectGarbage !== undefined,
      },
      'memory budget',
    );
    for (const w of sizes.warnings) this.logger.warn({ component: 'memory_budget' }, w);
    this.timer = setInterval(() => this.check(), cfg.checkIntervalMs);
    this.timer.unref();
  }

  /** The background check: back-pressure on while live memory is above the soft limit. */
  check(): void {
    const sizes = this.sized!;
    const live = this.admission!.liveMemory();
    const above = live >= sizes.liveSoftLimitBytes;
    if (above === this.refusing) return;
    this.refusing = above;
    this.host.backpressure.setRefusing(BACKPRESSURE_SOURCE, above, ADMISSION_RETRY_AFTER_SECONDS);
    const fields = { component: 'memory_budget', live_mib: mib(live), live_soft_limit_mib: mib(sizes.liveSoftLimitBytes) };
    if (above) this.logger.warn(fields, 'memory usage above the soft limit; receivers refuse data until it falls');
    else this.logger.info(fields, 'memory usage back below the soft limit; receivers accept data');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.refusing) this.host.backpressure.setRefusing(BACKPRESSURE_SOURCE, false, 0);
    this.refusing = false;
  }
}
