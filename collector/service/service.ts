/**
 * The service: builds the pipelines of a LoadedConfig and runs them, in the Collector's order.
 *
 *   receiver ──▶ [PipelineFanOut when the receiver feeds several pipelines]
 *            ──▶ processor 1 ──▶ … ──▶ processor n ──▶ ExporterFanOut ──▶ exporters
 *
 * Receivers and exporters are one instance per ID, shared by the pipelines naming them; each
 * pipeline gets its own processor instances (as the Collector does). Start: own metrics server,
 * extensions, exporters, processors (last to first), receivers, then `ready`. Shutdown, within one
 * deadline: `stopping` (health answers 503), receivers stop accepting, processors flush (first to
 * last, so data flows on through components still running), exporters drain, extensions stop.
 * Components count what they still hold at the deadline as dropped (`shutdown_deadline`).
 */
import type { Component, CreateSettings, Extension, TraceConsumer, TracesExporter, TracesProcessor, TracesReceiver } from '../component/component.js';
import type { ComponentConfig, LoadedConfig } from '../config/load.js';
import type { Logger } from '../telemetry/logger.js';
import { CollectorMetrics } from '../telemetry/metrics.js';
import { MetricsServer } from '../telemetry/server.js';
import { ExporterFanOut, PipelineFanOut } from './fanout.js';
import { ServiceHost } from './host.js';
import { MemoryGuard } from './memory-guard.js';

/**
 * Default drain deadline. Kubernetes sends SIGKILL terminationGracePeriodSeconds (30 s by
 * default and in our manifests) after SIGTERM; 20 s leaves room for the endpoint removal to
 * propagate before and for process exit after.
 */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 20_000;
/** How long past the deadline we still wait for a component that ignores it. */
const GRACE_AFTER_DEADLINE_MS = 1_000;

export interface ServiceOptions {
  logger: Logger;
  metrics?: CollectorMetrics;
  /** Serve /metrics as configured (default true; tests of the pipeline alone turn it off). */
  serveMetrics?: boolean;
}

interface BuiltPipeline {
  id: string;
  processors: { id: string; processor: TracesProcessor }[];
  entry: TraceConsumer;
}

export class Service {
  readonly host = new ServiceHost();
  readonly metrics: CollectorMetrics;
  private readonly logger: Logger;
  private readonly receivers = new Map<string, TracesReceiver>();
  private readonly exporters = new Map<string, TracesExporter>();
  private readonly extensions = new Map<string, Extension>();
  private readonly pipelines: BuiltPipeline[] = [];
  private metricsServer: MetricsServer | undefined;
  private readonly memory: MemoryGuard;
  private started: { kind: string; id: string; c: Component }[] = [];
  private shuttingDown: Promise<void> | undefined;

  constructor(
    private readonly cfg: LoadedConfig,
    opts: ServiceOptions,
  ) {
    this.logger = opts.logger;
    this.metrics = opts.metrics ?? new CollectorMetrics();
    if (opts.serveMetrics !== false && cfg.service.telemetry.metrics.endpoint) {
      this.metricsServer = new MetricsServer(cfg.service.telemetry.metrics.endpoint, this.metrics, this.logger);
    }
    this.memory = new MemoryGuard(cfg, this.host, this.metrics, this.logger);
    this.build();
  }

  private settings(kind: string, c: ComponentConfig): CreateSettings {
    return { id: c.id, logger: this.logger.child({ kind, name: c.id }), metrics: this.metrics };
  }

  private build(): void {
    const { cfg } = this;
    for (const id of cfg.service.extensions) {
      const c = cfg.extensions.get(id)!;
      const ext = c.factory.create(c.config, this.settings('extension', c)) as Extension;
      this.extensions.set(id, ext);
      this.host.addExtension(id, ext);
    }
    for (const [id, c] of cfg.exporters) {
      this.exporters.set(id, c.factory.create(c.config, this.settings('exporter', c)) as TracesExporter);
    }
    const feeds = new Map<string, { id: string; entry: TraceConsumer }[]>();
    for (const p of cfg.service.pipelines) {
      const plogger = this.logger.child({ pipeline: p.id });
      let next: TraceConsumer = new ExporterFanOut(
        p.exporters.map((id) => ({ id, exporter: this.exporters.get(id)! })),
        plogger,
        this.metrics,
      );
      const processors: BuiltPipeline['processors'] = [];
      for (let i = p.processors.length - 1; i >= 0; i--) {
        const c = cfg.processors.get(p.processors[i])!;
        const proc = c.factory.create(c.config, this.settings('processor', c), next) as TracesProcessor;
        processors.unshift({ id: c.id, processor: proc });
        next = proc;
      }
      this.pipelines.push({ id: p.id, processors, entry: next });
      for (const r of p.receivers) {
        if (!feeds.has(r)) feeds.set(r, []);
        feeds.get(r)!.push({ id: p.id, entry: next });
      }
    }
    for (const [id, list] of feeds) {
      const c = cfg.receivers.get(id)!;
      const next = list.length === 1 ? list[0].entry : new PipelineFanOut(list, this.logger.child({ receiver: id }), this.metrics);
      this.receivers.set(id, c.factory.create(c.config, this.settings('receiver', c), next) as TracesReceiver);
    }
  }

  /** The consumer at the head of a pipeline (tests feed data here without a receiver). */
  pipelineEntry(pipelineId: string): TraceConsumer | undefined {
    return this.pipelines.find((p) => p.id === pipelineId)?.entry;
  }

  component(kind: 'receiver' | 'exporter' | 'extension', id: string): Component | undefined {
    return kind === 'receiver' ? this.receivers.get(id) : kind === 'exporter' ? this.exporters.get(id) : this.extensions.get(id);
  }

  /** The memory budget's sizes, once started (memory-budget.ts). */
  memoryBudget() {
    return this.memory.sizes;
  }

  metricsAddress(): { address: string; port: number } | undefined {
    return this.metricsServer?.address();
  }

  async start(): Promise<void> {
    const order: { kind: string; id: string; c: Component }[] = [];
    for (const [id, c] of this.extensions) order.push({ kind: 'extension', id, c });
    for (const [id, c] of this.exporters) order.push({ kind: 'exporter', id, c });
    for (const p of this.pipelines) {
      for (let i = p.processors.length - 1; i >= 0; i--) order.push({ kind: 'processor', id: p.processors[i].id, c: p.processors[i].processor });
    }
    for (const [id, c] of this.receivers) order.push({ kind: 'receiver', id, c });
    try {
      if (this.metricsServer) await this.metricsServer.start();
      for (const o of order) {
        // The budget is sized when everything that holds data is up, just before the receivers.
        if (o.kind === 'receiver' && !this.memory.sizes) this.memory.start();
        try {
          await o.c.start(this.host);
        } catch (err) {
          throw new Error(`cannot start ${o.kind} "${o.id}": ${(err as Error).message}`, { cause: err });
        }
        this.started.push(o);
      }
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'start-up failed; stopping what was started');
      await this.shutdown(5_000);
      throw err;
    }
    this.host.setState('ready');
    this.logger.info(
      { pipelines: this.pipelines.map((p) => p.id), receivers: [...this.receivers.keys()], exporters: [...this.exporters.keys()] },
      'Everything is ready. Begin running and processing data.',
    );
  }

  /** Graceful shutdown within `timeoutMs` (idempotent: a second call waits for the first). */
  shutdown(timeoutMs = DEFAULT_SHUTDOWN_TIMEOUT_MS): Promise<void> {
    this.shuttingDown ??= this.doShutdown(timeoutMs);
    return this.shuttingDown;
  }

  private async doShutdown(timeoutMs: number): Promise<void> {
    this.host.setState('stopping');
    this.logger.info({ deadline_ms: timeoutMs }, 'shutting down: stop accepting, flush, drain');
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new Error('shutdown deadline')), timeoutMs);
    timer.unref();
    const deadline = ctl.signal;
    const isStarted = (c: Component) => this.started.some((s) => s.c === c);
    const stop = async (kind: string, id: string, c: Component) => {
      if (!isStarted(c)) return;
      try {
        await withGrace(c.shutdown(deadline), deadline);
      } catch (err) {
        this.logger.error({ kind, name: id, err: (err as Error).message }, 'error while shutting down component');
      }
    };
    await Promise.all([...this.receivers].map(([id, c]) => stop('receiver', id, c)));
    this.memory.stop();
    await Promise.all(
      this.pipelines.map(async (p) => {
        for (const { id, processor } of p.processors) await stop('processor', id, processor);
      }),
    );
    await Promise.all([...this.exporters].map(([id, c]) => stop('exporter', id, c)));
    await Promise.all([...this.extensions].map(([id, c]) => stop('extension', id, c)));
    clearTimeout(timer);
    await this.metricsServer?.shutdown();
    this.started = [];
    this.logger.info({ deadline_passed: deadline.aborted }, 'shutdown complete');
  }
}

/** Waits for `p`, but no longer than GRACE_AFTER_DEADLINE_MS after the deadline fired. */
function withGrace(p: Promise<void>, deadline: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let t: NodeJS.Timeout | undefined;
    const onAbort = () => {
      t = setTimeout(() => reject(new Error('did not stop within the shutdown deadline')), GRACE_AFTER_DEADLINE_MS);
      t.unref();
    };
    if (deadline.aborted) onAbort();
    else deadline.addEventListener('abort', onAbort, { once: true });
    p.then(
      () => {
        if (t) clearTimeout(t);
        deadline.removeEventListener('abort', onAbort);
        resolve();
      },
      (e) => {
        if (t) clearTimeout(t);
        deadline.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
