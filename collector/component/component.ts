/**
 * The component model, after the OpenTelemetry Collector's: receivers push TraceData into a
 * chain of processors that ends in a fan-out to exporters. Every component type lives in its
 * own folder (collector/receiver/<type>, collector/processor/<type>, collector/exporter/<type>,
 * collector/extension/<type>) with config.ts, factory.ts and tests, and is found by type name.
 */
import type { TraceData } from '../pdata/model.js';
import type { Logger } from '../telemetry/logger.js';
import type { CollectorMetrics } from '../telemetry/metrics.js';
import type { ConfigIssues } from '../config/issues.js';

export type ComponentKind = 'receiver' | 'processor' | 'exporter' | 'extension';

/** Pushes trace data downstream. Rejects with ConsumerError (consumer-error.ts) on failure. */
export interface TraceConsumer {
  consumeTraces(td: TraceData): Promise<void>;
}

export interface Component {
  start(host: Host): Promise<void>;
  /** Stops accepting, finishes or hands on what it holds, then resolves. `deadline` aborts waiting. */
  shutdown(deadline: AbortSignal): Promise<void>;
}

export interface TracesReceiver extends Component {}
export interface TracesProcessor extends Component, TraceConsumer {}
export interface TracesExporter extends Component, TraceConsumer {
  /**
   * Whether consumeTraces would accept this much now (sending queue not full). The pipeline's
   * fan-out asks every exporter first and refuses retryably when any lacks room, so a client's
   * retry never duplicates data into the exporters that did have room. Absent: always room.
   */
  hasCapacity?(spanCount: number, bytes: number): boolean;
}
export interface Extension extends Component {}

/** What the service gives every component. */
export interface Host {
  /** Health of the whole collector, for the health_check extension. */
  readonly health: { readonly state: 'starting' | 'ready' | 'stopping' };
  /** Memory pressure from memory_limiter: receivers refuse (retryably) while it is set. */
  readonly backpressure: { isRefusing(): boolean; retryAfterSeconds(): number };
}

export interface CreateSettings {
  /** The component ID as written in the config, e.g. `otlp` or `otlp/backend`. */
  id: string;
  logger: Logger;
  metrics: CollectorMetrics;
}

export interface Factory<Cfg = unknown, C extends Component = Component> {
  readonly kind: ComponentKind;
  /** The type name used in configs (`otlp`, `zipkin`, `batch`, `awsxray`, ...). */
  readonly type: string;
  /** Other names users write for the same type (`logging` for `debug`, `xray`, `otlp_http`). */
  readonly aliases?: readonly string[];
  /**
   * Validates the raw YAML value of this component at `path` (e.g. `exporters.otlp`), fills
   * in defaults and returns the typed config. Every problem goes to `issues` with its full path;
   * deprecated option names are accepted with a warning. Never throws on bad input.
   */
  parseConfig(raw: unknown, path: string, issues: ConfigIssues): Cfg;
  /** Receivers and processors get the next consumer; exporters and extensions get none. */
  create(cfg: Cfg, settings: CreateSettings, next?: TraceConsumer): C;
}
