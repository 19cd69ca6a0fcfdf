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
import type { Admission } from './admission.js';

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

/**
 * What an extension offers other components, as the OpenTelemetry Collector's extension
 * interfaces do: `client_auth` authenticates outgoing HTTP requests (`extensionauth.HTTPClient`;
 * collector/extension/extensionauth), `grpc_client_auth` outgoing gRPC calls
 * (`extensionauth.GRPCClient`), `storage` persists (`storage.Extension`). `otlphttp`'s
 * `auth.authenticator` must name a `client_auth` extension, `otlp`'s a `grpc_client_auth` one
 * (so an HTTP-only signer such as sigv4auth on `otlp` is a config error), a
 * `sending_queue.storage` a `storage` one.
 */
export type ExtensionCapability = 'client_auth' | 'grpc_client_auth' | 'storage';

/** A component's reference to an extension, checked when the config is loaded. */
export interface ExtensionRef {
  /** Full config path of the referencing key, e.g. `exporters.otlphttp.auth.authenticator`. */
  path: string;
  /** The extension ID as written, e.g. `sigv4auth` or `file_storage/queue`. */
  id: string;
  capability: ExtensionCapability;
}

/** What the service gives every component. */
export interface Host {
  /** Health of the whole collector, for the health_check extension. */
  readonly health: { readonly state: 'starting' | 'ready' | 'stopping' };
  /** Memory pressure from memory_limiter: receivers refuse (retryably) while it is set. */
  readonly backpressure: { isRefusing(): boolean; retryAfterSeconds(): number };
  /**
   * The receivers' shared admission control in bytes (the memory budget, set by the service when
   * it starts). Receivers acquire a request's bytes before reading its body; absent in tests of
   * single components, where nothing is limited.
   */
  readonly admission?: Admission;
  /**
   * A started extension by its ID (otelcol's `host.GetExtensions()[id]`). Extensions start
   * before every other component, so exporters and receivers can resolve theirs in start().
   * The config loader has already checked that each ExtensionRef names an enabled extension
   * of the right capability.
   */
  getExtension(id: string): Extension | undefined;
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
  /** Extension factories: what their extensions offer to other components. */
  readonly capabilities?: readonly ExtensionCapability[];
  /** Components that use extensions: the references in a parsed config (path is the component's). */
  extensionRefs?(cfg: Cfg, path: string): ExtensionRef[];
  /** Receivers and processors get the next consumer; exporters and extensions get none. */
  create(cfg: Cfg, settings: CreateSettings, next?: TraceConsumer): C;
}
