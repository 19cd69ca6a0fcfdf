/**
 * ProxyWasmHost: the host side of proxy-wasm ABI 0.2.1 in TypeScript. It runs a compiled
 * filter the way Envoy (source/extensions/common/wasm/context.cc) and proxy-wasm-cpp-host run
 * it, in every place the filter can notice:
 * - refuses modules Envoy would refuse, with Envoy's wording (module-check.ts);
 * - drives contexts like Envoy: _initialize, root context create, vm start, configure, then per
 *   request create → request headers → response headers → log → done → delete; timers fire
 *   proxy_on_tick when their period has passed on the host's clock;
 * - keeps header maps as Envoy does (header-map.ts), and only while Envoy has them: the request
 *   map until proxy_on_request_headers returns Continue, the response map until
 *   proxy_on_response_headers does; in proxy_on_log both are read-only access-log copies;
 * - serialises properties as Envoy does (properties.ts), the root context seeing only the node
 *   and the plugin_* properties; the plugin configuration is readable only while configuring;
 * - metrics (metrics.ts) and shared data (shared-data.ts, shared by every host given the same
 *   SharedDataStore and vm_id) with Envoy's ids, CAS and status codes;
 * - a trap fails the VM: nothing is rolled back; with fail-open the request continues as the
 *   filter left it, with fail-close it is answered 503 (wasm_fail_stream); the next request gets
 *   a fresh VM (Envoy's reload), or bypasses the filter;
 * - records logs, http calls, local responses, host calls per request (by import name) and the
 *   bytes and time crossing the boundary.
 * Its API takes and returns header names and values as bytes (strings accepted and offered).
 */
import { readFileSync } from 'node:fs';
import { ENVOY_ENV_IMPORTS, ENVOY_WASI_IMPORTS, WASI_MODULES } from './envoy-abi.js';
import { checkModuleLikeEnvoy, ProxyWasmLoadError } from './module-check.js';
import { WA, type WasmImports, type WasmMemory, type WasmModule } from './wasm-api.js';
import { marshalPairs, unmarshalPairs, type BytePair } from './pairs.js';
import { buildPropertyTree, lookupProperty, type PropertyTree, type PropertyValue } from './properties.js';
import { EnvoyHeaderMap, asciiLower, type HeaderMapKind } from './header-map.js';
import { toBytePairs, toHeaderList, type HeaderList, type HeadersInput } from './headers-input.js';
import { MetricStore, type MetricRecord } from './metrics.js';
import { SharedDataStore, type SharedDataEntry } from './shared-data.js';
import { ModuleMemory, Status, emptyStats, type BoundaryStats } from './module-memory.js';
import { wasiFunctions, wasiUnsupported, ProcExit } from './wasi.js';
import { hostCallOverheadNanos } from './call-overhead.js';

export { ProxyWasmLoadError, checkModuleLikeEnvoy } from './module-check.js';
export { Status, type BoundaryStats } from './module-memory.js';
export type { HeaderList, HeadersInput, HeaderText } from './headers-input.js';
export type { MetricRecord } from './metrics.js';

// ---- enums (FACTS.md §1) -----------------------------------------------------------------------
/** proxy-wasm FilterHeadersStatus. */
export const Action = { Continue: 0, StopIteration: 1, ContinueAndEndStream: 2, StopAllIterationAndBuffer: 3, StopAllIterationAndWatermark: 4 } as const;
export const MapType = {
  RequestHeaders: 0, RequestTrailers: 1, ResponseHeaders: 2, ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4, GrpcReceiveTrailingMetadata: 5, HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export const BufferType = { HttpRequestBody: 0, HttpResponseBody: 1, HttpCallResponseBody: 4, VmConfiguration: 6, PluginConfiguration: 7 } as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

// ---- public types ----------------------------------------------------------------------------
export interface LogEntry { level: LogLevelName; message: string }
export interface LocalResponse { statusCode: number; details: string; body: string; headers: HeaderList; grpcStatus: number }
export interface HttpCallRecord { token: number; contextId: number; upstream: string; headers: HeaderList; body: string; trailers: HeaderList; timeoutMs: number }

export interface HostOptions {
  /** Root id (WasmPlugin pluginName). Default 'meshtrace'. */
  rootId?: string;
  /** The plugin's name (property plugin_name). Istio names it <namespace>.<WasmPlugin name>; default `istio-system.<rootId>`. */
  pluginName?: string;
  /** The VM id (property plugin_vm_id; shared data is per vm_id). Default ''. */
  vmId?: string;
  /** VM configuration (bytes delivered to proxy_on_vm_start). Default empty. */
  vmConfig?: string | Uint8Array;
  /** Plugin configuration: bytes or a string as is, anything else JSON-encoded (WasmPlugin pluginConfig). */
  pluginConfig?: unknown;
  /** Envoy's Wasm log level (proxy_get_log_level; lower-level logs are still recorded). Default 'info'. */
  logLevel?: LogLevelName;
  /** Properties present on every request (per-request ones override). */
  properties?: Record<string, PropertyValue | undefined>;
  /** VM environment (vmConfig.env of the WasmPlugin) for WASI environ_get. */
  env?: Record<string, string>;
  /** Clock for proxy_get_current_time_nanoseconds, WASI clock_time_get and the timers. */
  nowNanos?: () => bigint;
  /** Randomness for WASI random_get (default: crypto). */
  randomFill?: (buf: Uint8Array) => void;
  /** Known upstream clusters for proxy_http_call; unset = any cluster is accepted. */
  clusters?: string[];
  /** After a trap, start a fresh VM for the next request (Envoy's reload). Default true. */
  reloadOnFailure?: boolean;
  /** failStrategy FAIL_OPEN (default true): a failed filter lets the request through; false = FAIL_CLOSE (503). */
  failOpen?: boolean;
  /** The process's shared data; give several hosts the same store to emulate worker threads. Default: a store of its own. */
  sharedData?: SharedDataStore;
  /** Fire proxy_on_tick before a request when the tick period has passed on the clock, as Envoy's timer does. Default true. */
  autoTick?: boolean;
}

export interface RequestInput {
  properties?: Record<string, PropertyValue | undefined>;
  /** The request as the downstream codec delivers it (names lower-cased, inline headers joined). */
  requestHeaders?: HeadersInput;
  /** The upstream's response. Default `:status: 200`. */
  responseHeaders?: HeadersInput;
  /**
   * The router: called when the request goes upstream (after proxy_on_request_headers let it
   * through, before proxy_on_response_headers), with Envoy's live request map, which it may
   * change (Envoy's router writes the tracer's context into it, host/tracing). Returns the
   * upstream's response, or undefined for `responseHeaders`. Not called for a local reply.
   */
  upstream?: (request: EnvoyHeaderMap) => HeadersInput | undefined;
  /** end_of_stream on the request headers (no body). Default true. */
  requestEndOfStream?: boolean;
  responseEndOfStream?: boolean;
}

export interface RequestResult extends BoundaryStats {
  contextId: number;
  /** The request headers as forwarded upstream (or as the filter left them), as text and as bytes. */
  requestHeaders: HeaderList;
  requestHeaderBytes: BytePair[];
  /** The response headers as sent downstream. */
  responseHeaders: HeaderList;
  responseHeaderBytes: BytePair[];
  /** Envoy's FilterHeadersStatus after cpp-host's conversion (null when the callback did not run). */
  requestAction: number | null;
  responseAction: number | null;
  /** The request went upstream (Continue, or continued with proxy_continue_stream). */
  forwarded: boolean;
  logs: LogEntry[];
  localResponse: LocalResponse | null;
  httpCalls: HttpCallRecord[];
  /** A callback trapped: the filter failed (fail-open: the request went on as the filter left it). */
  trapped: boolean;
  /** Trap message in Envoy's form "Function: NAME failed: ...". */
  error: string | null;
  /** The VM had failed before this request and could not be reloaded: the filter was skipped. */
  bypassed: boolean;
}

export interface ConfigureResult extends BoundaryStats {
  vmStarted: boolean;
  accepted: boolean;
  logs: LogEntry[];
  trapped: boolean;
  error: string | null;
}

class Trap extends Error {}

interface Exports {
  memory: WasmMemory;
  malloc: (size: number) => number;
  _initialize?: () => void;
  _start?: () => void;
  main?: (a: number, b: number) => number;
  [name: string]: unknown;
}

type Fn = (...args: number[]) => number | undefined;

/** One HTTP stream and the maps Envoy holds for it. */
interface StreamState {
  contextId: number;
  properties: PropertyTree;
  request: EnvoyHeaderMap;
  response: EnvoyHeaderMap | null;
  /** Envoy's request_headers_ / response_headers_ are set (readable and writable). */
  requestLive: boolean;
  responseLive: boolean;
  /** proxy_on_log: the maps are access-log copies (readable, not writable). */
  logPhase: boolean;
  continueRequested: boolean;
  localResponse: LocalResponse | null;
}

const bytesOf = (v: string | Uint8Array | undefined): Buffer =>
  v === undefined ? Buffer.alloc(0) : typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);

function pluginConfigBytes(pc: unknown): Buffer {
  if (pc === undefined) return Buffer.alloc(0);
  if (typeof pc === 'string' || pc instanceof Uint8Array) return bytesOf(pc);
  return Buffer.from(JSON.stringify(pc), 'utf8');
}

/** Root-context property paths (no stream info there: context.cc findValue / XDSWrapper). */
const ROOT_VISIBLE = (path: string) => path === 'xds\0node' || path.startsWith('xds\0node\0') || path === 'node' || path.startsWith('node\0');

export class ProxyWasmHost {
  readonly rootId: string;
  readonly pluginName: string;
  readonly vmId: string;
  readonly options: HostOptions;
  /** Every log line the module wrote (also per request in RequestResult.logs). */
  readonly logs: LogEntry[] = [];
  readonly metricStore = new MetricStore();
  readonly sharedDataStore: SharedDataStore;
  readonly httpCalls: HttpCallRecord[] = [];
  readonly localResponses: LocalResponse[] = [];
  tickPeriodMs = 0;
  /** How many times a failed VM was replaced. */
  reloads = 0;

  private readonly module: WasmModule;
  private exports!: Exports;
  private mem!: ModuleMemory;
  private failed: string | null = null;
  private nextContextId = 1;
  private rootContextId = 0;
  private vmStarted = false;
  private configured = false;
  private configuring = false;
  private pluginConfigBytes: Buffer;
  private readonly vmConfigBytes: Buffer;
  private readonly baseProperties: PropertyTree;
  private current: StreamState | null = null;
  private callbackContext = 0;
  private callHttp: HttpCallRecord[] = [];
  private nextHttpToken = 1;
  private lastTickNanos = 0n;
  private pendingHttpResponse: { headers: EnvoyHeaderMap; trailers: EnvoyHeaderMap; body: Buffer } | null = null;
  private readonly logLevel: number;

  private constructor(module: WasmModule, options: HostOptions) {
    this.module = module;
    this.options = options;
    this.rootId = options.rootId ?? 'meshtrace';
    this.pluginName = options.pluginName ?? `istio-system.${this.rootId}`;
    this.vmId = options.vmId ?? '';
    this.sharedDataStore = options.sharedData ?? new SharedDataStore();
    this.logLevel = LOG_LEVELS.indexOf(options.logLevel ?? 'info');
    this.pluginConfigBytes = pluginConfigBytes(options.pluginConfig);
    this.vmConfigBytes = bytesOf(options.vmConfig);
    this.baseProperties = buildPropertyTree(options.properties);
  }

  /**
   * Loads a module like Envoy: validates it (throws ProxyWasmLoadError), instantiates it, runs
   * _initialize (+ main) or _start, creates the root context and calls proxy_on_vm_start.
   * Call configure() next.
   */
  static load(wasm: Uint8Array | string, options: HostOptions = {}): ProxyWasmHost {
    const bytes = typeof wasm === 'string' ? readFileSync(wasm) : wasm;
    checkModuleLikeEnvoy(bytes);
    let module: WasmModule;
    try {
      module = new WA.Module(bytes);
    } catch {
      throw new ProxyWasmLoadError('Failed to load Wasm bytecode', 'UnableToInitializeCode');
    }
    const host = new ProxyWasmHost(module, options);
    host.startVm();
    return host;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  private startVm(): void {
    let instance;
    try {
      instance = new WA.Instance(this.module, this.imports());
    } catch (e) {
      throw new ProxyWasmLoadError(`Failed to create new Wasm instance: ${(e as Error).message}`, 'UnableToInitializeCode');
    }
    const ex = instance.exports as unknown as Exports;
    if (typeof ex.malloc !== 'function' && typeof ex.proxy_on_memory_allocate === 'function') {
      ex.malloc = ex.proxy_on_memory_allocate as Exports['malloc'];
    }
    this.exports = ex;
    this.mem = new ModuleMemory(ex.memory, (size) => ex.malloc(size));
    this.failed = null;
    this.vmStarted = false;
    this.tickPeriodMs = 0;
    if (ex._initialize) {
      this.invoke('_initialize', () => ex._initialize!());
      if (ex.main) this.invoke('main', () => ex.main!(0, 0));
    } else if (ex._start) {
      this.invoke('_start', () => ex._start!());
    }
    if (this.failed) throw new ProxyWasmLoadError(this.failed, 'StartFailed');
    this.rootContextId = this.nextContextId++;
    this.callCallback('proxy_on_context_create', this.rootContextId, 0);
    const r = this.callCallback('proxy_on_vm_start', this.rootContextId, this.vmConfigBytes.length);
    this.vmStarted = !this.failed && (r === undefined || r !== 0);
  }

  /**
   * proxy_on_configure with the plugin configuration. accepted=false means Envoy would reject
   * the configuration (the WasmPlugin does not become active). The configuration is readable
   * by the module only during this call (Envoy's temp_plugin_).
   */
  configure(pluginConfig?: unknown): ConfigureResult {
    if (pluginConfig !== undefined) this.pluginConfigBytes = pluginConfigBytes(pluginConfig);
    this.mem.stats = emptyStats();
    const logsBefore = this.logs.length;
    let accepted = false;
    if (this.vmStarted && !this.failed) {
      this.configuring = true;
      try {
        const r = this.callCallback('proxy_on_configure', this.rootContextId, this.pluginConfigBytes.length);
        accepted = !this.failed && (r === undefined || r !== 0);
      } finally {
        this.configuring = false;
      }
    }
    this.configured = accepted;
    return {
      ...this.takeStats(),
      vmStarted: this.vmStarted,
      accepted,
      logs: this.logs.slice(logsBefore),
      trapped: this.failed !== null,
      error: this.failed,
    };
  }

  /** One HTTP request through the filter: create → request headers → response headers → log → done → delete. */
  request(input: RequestInput = {}): RequestResult {
    const bypassed = this.ensureHealthyVm();
    if (!bypassed) this.fireDueTick();
    let upstreamResponse = EnvoyHeaderMap.fromPairs('response', toBytePairs(input.responseHeaders ?? { ':status': '200' }));
    this.mem.stats = emptyStats();
    this.callHttp = [];
    const logsBefore = this.logs.length;
    const contextId = this.nextContextId++;
    const s: StreamState = {
      contextId,
      properties: buildPropertyTree(this.baseProperties as Record<string, PropertyValue>, input.properties),
      request: EnvoyHeaderMap.fromPairs('request', toBytePairs(input.requestHeaders)),
      response: null,
      requestLive: false,
      responseLive: false,
      logPhase: false,
      continueRequested: false,
      localResponse: null,
    };
    let requestAction: number | null = null;
    let responseAction: number | null = null;
    let forwarded = true;
    let upstreamCalled = false;
    let trapped = false;
    let error: string | null = null;
    // Envoy's router: the request goes upstream once, with the live request map.
    const goUpstream = (upstream: NonNullable<RequestInput['upstream']>): void => {
      upstreamCalled = true;
      const answer = upstream(s.request);
      if (answer !== undefined) upstreamResponse = EnvoyHeaderMap.fromPairs('response', toBytePairs(answer));
    };
    if (!bypassed) {
      this.current = s;
      try {
        const step = (name: string, ...args: number[]): number | undefined => {
          const r = this.callCallback(name, ...args);
          if (this.failed) throw new Trap(this.failed);
          return r;
        };
        step('proxy_on_context_create', contextId, this.rootContextId);
        // Context::decodeHeaders: the map is Envoy's only while the callback runs and while the
        // filter holds the request; a Continue drops it.
        s.requestLive = true;
        requestAction = this.headersStatus(step('proxy_on_request_headers', contextId, s.request.size, input.requestEndOfStream === false ? 0 : 1), s);
        forwarded = requestAction === Action.Continue || s.continueRequested;
        s.requestLive = !forwarded && s.localResponse === null;
        if (forwarded && s.localResponse === null && input.upstream) goUpstream(input.upstream);
        if (forwarded || s.localResponse) {
          s.response = s.localResponse ? this.localResponseMap(s.localResponse) : upstreamResponse;
          s.responseLive = true;
          responseAction = this.headersStatus(step('proxy_on_response_headers', contextId, s.response.size, input.responseEndOfStream === false ? 0 : 1), s);
          s.responseLive = false;
        }
        // Context::log: read-only access-log copies of the final maps.
        s.requestLive = false;
        s.logPhase = true;
        step('proxy_on_log', contextId);
        s.logPhase = false;
        step('proxy_on_done', contextId);
        step('proxy_on_delete', contextId);
      } catch (e) {
        if (!(e instanceof Trap)) throw e;
        trapped = true;
        error = e.message;
        // CHECK_FAIL_HTTP: nothing is rolled back. Fail-open: the stream goes on as the filter
        // left it; fail-close: Envoy answers 503 wasm_fail_stream.
        if (this.options.failOpen === false) {
          s.localResponse = { statusCode: 503, details: 'wasm_fail_stream', body: '', headers: [], grpcStatus: -1 };
          forwarded = false;
        } else if (requestAction === null) {
          forwarded = true;
        }
      } finally {
        this.current = null;
        s.requestLive = s.responseLive = s.logPhase = false;
      }
    }
    // A filter that was skipped (failed VM) or trapped before the request went on (fail-open):
    // Envoy's router still forwards the request.
    if (forwarded && s.localResponse === null && input.upstream && !upstreamCalled) goUpstream(input.upstream);
    const finalResponse = s.response ?? (s.localResponse ? this.localResponseMap(s.localResponse) : forwarded ? upstreamResponse : new EnvoyHeaderMap('response'));
    const requestPairs = s.request.pairs();
    const responsePairs = finalResponse.pairs();
    return {
      ...this.takeStats(),
      contextId,
      requestHeaders: toHeaderList(requestPairs),
      requestHeaderBytes: requestPairs,
      responseHeaders: toHeaderList(responsePairs),
      responseHeaderBytes: responsePairs,
      requestAction,
      responseAction,
      forwarded,
      logs: this.logs.slice(logsBefore),
      localResponse: s.localResponse,
      httpCalls: this.callHttp,
      trapped,
      error,
      bypassed,
    };
  }

  /** proxy_on_tick on the root context now (a due tick also fires before each request). */
  tick(): { logs: LogEntry[]; trapped: boolean; error: string | null } {
    this.ensureHealthyVm();
    const before = this.logs.length;
    this.lastTickNanos = this.now();
    this.callCallback('proxy_on_tick', this.rootContextId);
    return { logs: this.logs.slice(before), trapped: this.failed !== null, error: this.failed };
  }

  /** Delivers the answer to an outgoing proxy_http_call (proxy_on_http_call_response). */
  respondToHttpCall(token: number, response: { headers?: HeadersInput; body?: string | Uint8Array; trailers?: HeadersInput }): { logs: LogEntry[]; trapped: boolean; error: string | null } {
    const call = this.httpCalls.find((c) => c.token === token);
    if (!call) throw new Error(`no outstanding http call with token ${token}`);
    const before = this.logs.length;
    const headers = EnvoyHeaderMap.fromPairs('response', toBytePairs(response.headers ?? { ':status': '200' }));
    const trailers = EnvoyHeaderMap.fromPairs('response-trailers', toBytePairs(response.trailers));
    const body = bytesOf(response.body);
    this.pendingHttpResponse = { headers, trailers, body };
    try {
      this.callCallback('proxy_on_http_call_response', call.contextId, token, headers.size, body.length, trailers.size);
    } finally {
      this.pendingHttpResponse = null;
    }
    return { logs: this.logs.slice(before), trapped: this.failed !== null, error: this.failed };
  }

  /** Current size of the module's linear memory in bytes. */
  memorySize(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** The stat a module defined under `name` (all ids of that name share it). */
  metric(name: string): MetricRecord | undefined {
    return this.metricStore.byName(name);
  }

  /** All metrics as name → value (histograms: number of samples). */
  metricValues(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (const m of this.metricStore.all()) out[m.name] = m.type === 'histogram' ? BigInt(m.samples.length) : m.value;
    return out;
  }

  /** The shared data of this host's vm_id (the same map for every host on the same store and vm_id). */
  get sharedData(): Map<string, SharedDataEntry> {
    return this.sharedDataStore.entries(this.vmId);
  }

  get isFailed(): boolean {
    return this.failed !== null;
  }

  get isConfigured(): boolean {
    return this.configured;
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * ContextBase::convertVmCallResultToFilterHeadersStatus: StopIteration from an ABI 0.2.x
   * module becomes StopAllIterationAndWatermark, as does anything above it and any result after
   * a local response (stopNextIteration).
   */
  private headersStatus(result: number | undefined, s: StreamState): number {
    const r = (result ?? Action.Continue) >>> 0;
    if (s.localResponse || r === Action.StopIteration || r > Action.StopAllIterationAndWatermark) return Action.StopAllIterationAndWatermark;
    return r;
  }

  /** Returns true when the filter must be bypassed for this request. */
  private ensureHealthyVm(): boolean {
    if (!this.failed) return false;
    if (this.options.reloadOnFailure === false) return true;
    const wasConfigured = this.configured;
    this.reloads++;
    try {
      this.startVm();
    } catch {
      return true;
    }
    if (wasConfigured) this.configure();
    return this.failed !== null;
  }

  /** Envoy's timer: proxy_on_tick once the period has passed since the last tick. */
  private fireDueTick(): void {
    if (this.options.autoTick === false || this.tickPeriodMs === 0) return;
    const now = this.now();
    if (now - this.lastTickNanos < BigInt(this.tickPeriodMs) * 1_000_000n) return;
    this.lastTickNanos = now;
    this.callCallback('proxy_on_tick', this.rootContextId);
  }

  private localResponseMap(lr: LocalResponse): EnvoyHeaderMap {
    return EnvoyHeaderMap.fromPairs('response', toBytePairs([[':status', String(lr.statusCode)], ...lr.headers]));
  }

  private takeStats(): BoundaryStats {
    const s = this.mem.stats;
    this.mem.stats = emptyStats();
    return s;
  }

  private invoke<T>(name: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (e instanceof WA.RuntimeError || e instanceof ProcExit || e instanceof RangeError) {
        this.failed = `Function: ${name} failed: ${(e as Error).message}`;
        this.record('critical', `wasm log: ${this.failed}`);
        return undefined;
      }
      throw e;
    }
  }

  private callCallback(name: string, ...args: number[]): number | undefined {
    if (this.failed) return undefined;
    const fn = this.exports[name] as Fn | undefined;
    if (typeof fn !== 'function') return undefined; // every callback is optional
    this.callbackContext = args[0] ?? 0;
    const t0 = process.hrtime.bigint();
    const r = this.invoke(name, () => fn(...args));
    this.mem.stats.callbackNanos += Number(process.hrtime.bigint() - t0);
    return r;
  }

  private count(name: string): void {
    const stats = this.mem.stats;
    stats.hostCalls[name] = (stats.hostCalls[name] ?? 0) + 1;
    stats.hostCallCount++;
  }

  private record(level: LogLevelName, message: string): void {
    this.logs.push({ level, message });
  }

  private unimplemented(name: string): number {
    this.record('debug', `host: ${name} is not emulated (UNIMPLEMENTED)`);
    return Status.UNIMPLEMENTED;
  }

  /** The stream whose context the running callback is (null: the root context, or no stream). */
  private callbackStream(): StreamState | null {
    const s = this.current;
    return s && this.callbackContext === s.contextId ? s : null;
  }

  /**
   * Context::getConstMap: the map a read sees (null: Envoy has none, so reading pairs gives an
   * empty map and reading one value BAD_ARGUMENT).
   */
  private readableMap(type: number): EnvoyHeaderMap | null {
    if (type === MapType.HttpCallResponseHeaders) return this.pendingHttpResponse?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return this.pendingHttpResponse?.trailers ?? null;
    const s = this.callbackStream();
    if (!s) return null;
    if (type === MapType.RequestHeaders) return s.requestLive || s.logPhase ? s.request : null;
    if (type === MapType.ResponseHeaders) return (s.responseLive || s.logPhase) && s.response ? s.response : null;
    return null; // no trailers or gRPC metadata on the emulated streams
  }

  /** Context::getMap: the map a write changes (null = BAD_ARGUMENT). */
  private writableMap(type: number): EnvoyHeaderMap | null {
    const s = this.callbackStream();
    if (!s) return null;
    if (type === MapType.RequestHeaders) return s.requestLive ? s.request : null;
    if (type === MapType.ResponseHeaders) return s.responseLive ? s.response : null;
    return null;
  }

  private imports(): WasmImports {
    const env: Record<string, (...a: never[]) => number | void> = {};
    const overhead = hostCallOverheadNanos();
    const wrap = (name: string, impl: (...a: number[]) => number): ((...a: number[]) => number) => (...a: number[]) => {
      const t0 = process.hrtime.bigint();
      this.count(name);
      try {
        return impl(...a);
      } finally {
        this.mem.stats.hostNanos += Number(process.hrtime.bigint() - t0) + overhead;
      }
    };
    const S = Status;
    const m = () => this.mem;

    const impl: Record<string, (...a: any[]) => number> = {
      proxy_log: (level: number, ptr: number, size: number) => {
        const msg = m().read(ptr, size);
        if (!msg) return S.INVALID_MEMORY_ACCESS;
        if (level < 0 || level > 5) return S.BAD_ARGUMENT;
        this.record(LOG_LEVELS[level]!, msg.toString('utf8'));
        return S.OK;
      },
      proxy_get_log_level: (ptr: number) => (m().writeU32(ptr, this.logLevel) ? S.OK : S.INVALID_MEMORY_ACCESS),
      proxy_get_property: (pathPtr: number, pathSize: number, ptrPtr: number, sizePtr: number) => {
        const path = m().read(pathPtr, pathSize);
        if (!path) return S.INVALID_MEMORY_ACCESS;
        const key = path.toString('utf8');
        const builtins: Record<string, string> = { plugin_root_id: this.rootId, plugin_name: this.pluginName, plugin_vm_id: this.vmId };
        if (Object.hasOwn(builtins, key)) return m().copyOut(Buffer.from(builtins[key]!), ptrPtr, sizePtr);
        const stream = this.callbackStream();
        if (!stream && !ROOT_VISIBLE(key)) return S.NOT_FOUND; // no stream info in the root context
        const found = lookupProperty(stream ? stream.properties : this.baseProperties, key);
        if (found.status === 'ok') return m().copyOut(found.bytes, ptrPtr, sizePtr);
        if (found.status === 'not_found') return S.NOT_FOUND;
        this.record('debug', `host: ${found.reason}`);
        return S.SERIALIZATION_FAILURE;
      },
      proxy_set_property: (pathPtr: number, pathSize: number, valuePtr: number, valueSize: number) => {
        const path = m().read(pathPtr, pathSize);
        const value = m().read(valuePtr, valueSize);
        if (!path || !value) return S.INVALID_MEMORY_ACCESS;
        const stream = this.callbackStream();
        if (!stream) return S.NOT_FOUND; // Context::setProperty: no stream info
        // Envoy keeps it as filter state, readable under the same path for this request.
        const segs = path.toString('utf8').split('\0');
        let node: PropertyTree = stream.properties;
        for (const seg of segs.slice(0, -1)) {
          if (typeof node[seg] !== 'object' || node[seg] === null) node[seg] = {};
          node = node[seg] as PropertyTree;
        }
        node[segs[segs.length - 1]!] = value;
        return S.OK;
      },
      proxy_get_header_map_pairs: (type: number, ptrPtr: number, sizePtr: number) => {
        if (type > MapType.HttpCallResponseTrailers) return S.BAD_ARGUMENT;
        // Context::getHeaderMapPairs: a map Envoy does not have reads as empty, status OK
        const map = this.readableMap(type);
        return m().copyOut(marshalPairs(map ? map.pairs() : []), ptrPtr, sizePtr);
      },
      proxy_set_header_map_pairs: (type: number, ptr: number, size: number) => {
        const map = this.writableMap(type);
        if (!map) return S.BAD_ARGUMENT;
        const buf = m().read(ptr, size);
        if (!buf) return S.INVALID_MEMORY_ACCESS;
        const pairs = unmarshalPairs(buf);
        if (!pairs) return S.BAD_ARGUMENT;
        map.replaceAll(pairs);
        return S.OK;
      },
      proxy_get_header_map_value: (type: number, keyPtr: number, keySize: number, ptrPtr: number, sizePtr: number) => {
        const map = this.readableMap(type);
        if (!map) return S.BAD_ARGUMENT;
        const key = m().read(keyPtr, keySize);
        if (!key) return S.INVALID_MEMORY_ACCESS;
        const values = map.get(key);
        if (values.length === 0) return S.NOT_FOUND;
        return m().copyOut(values[0]!, ptrPtr, sizePtr); // the first value (context.cc TODO notes it)
      },
      proxy_add_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const map = this.writableMap(type);
        if (!map) return S.BAD_ARGUMENT;
        const key = m().read(keyPtr, keySize);
        const value = m().read(valuePtr, valueSize);
        if (!key || !value) return S.INVALID_MEMORY_ACCESS;
        map.addCopy(key, value);
        return S.OK;
      },
      proxy_replace_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const map = this.writableMap(type);
        if (!map) return S.BAD_ARGUMENT;
        const key = m().read(keyPtr, keySize);
        const value = m().read(valuePtr, valueSize);
        if (!key || !value) return S.INVALID_MEMORY_ACCESS;
        map.setCopy(key, value);
        return S.OK;
      },
      proxy_remove_header_map_value: (type: number, keyPtr: number, keySize: number) => {
        const map = this.writableMap(type);
        if (!map) return S.BAD_ARGUMENT;
        const key = m().read(keyPtr, keySize);
        if (!key) return S.INVALID_MEMORY_ACCESS;
        map.remove(key);
        return S.OK;
      },
      proxy_get_buffer_bytes: (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
        let buffer: Buffer | null = null;
        // Context::getBuffer: the plugin configuration exists only while configuring (temp_plugin_)
        if (type === BufferType.PluginConfiguration) buffer = this.configuring ? this.pluginConfigBytes : null;
        else if (type === BufferType.VmConfiguration) buffer = this.vmConfigBytes;
        else if (type === BufferType.HttpCallResponseBody) buffer = this.pendingHttpResponse?.body ?? null;
        else if (type > 7) return S.BAD_ARGUMENT;
        if (!buffer) return S.NOT_FOUND;
        start >>>= 0; length >>>= 0;
        if (start > buffer.length) return S.BAD_ARGUMENT;
        const len = Math.min(length, buffer.length - start);
        if (len === 0) return S.OK; // Envoy writes nothing for an empty range
        return m().copyOut(buffer.subarray(start, start + len), ptrPtr, sizePtr);
      },
      proxy_continue_stream: (type: number) => {
        if (type > 1) return S.BAD_ARGUMENT;
        const stream = this.callbackStream();
        // Context::continueStream: deferred continue; the request map is gone afterwards
        if (stream) stream.continueRequested = true;
        return S.OK;
      },
      proxy_send_local_response: (status: number, dPtr: number, dSize: number, bPtr: number, bSize: number, hPtr: number, hSize: number, grpc: number) => {
        const details = m().read(dPtr, dSize);
        const body = m().read(bPtr, bSize);
        const headers = m().read(hPtr, hSize);
        if (!details || !body || !headers) return S.INVALID_MEMORY_ACCESS;
        const pairs = unmarshalPairs(headers);
        if (!pairs) return S.BAD_ARGUMENT;
        const stream = this.callbackStream();
        if (!stream) return S.OK; // Context::sendLocalResponse does nothing without a stream
        const lr: LocalResponse = {
          statusCode: status, details: details.toString('utf8'), body: body.toString('utf8'),
          headers: toHeaderList(pairs.map(([k, v]) => [asciiLower(k), v] as BytePair)), grpcStatus: grpc | 0,
        };
        stream.localResponse = lr;
        this.localResponses.push(lr);
        return S.OK;
      },
      proxy_define_metric: (type: number, namePtr: number, nameSize: number, idPtr: number) => {
        const name = m().read(namePtr, nameSize);
        if (!name) return S.INVALID_MEMORY_ACCESS;
        const id = this.metricStore.define(type, name.toString('utf8'));
        if (id === null) return S.BAD_ARGUMENT;
        return m().writeU32(idPtr, id) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_increment_metric: (id: number, offset: bigint) => metricStatus(this.metricStore.increment(id >>> 0, BigInt.asIntN(64, offset))),
      proxy_record_metric: (id: number, value: bigint) => metricStatus(this.metricStore.record(id >>> 0, value)),
      proxy_get_metric: (id: number, resultPtr: number) => {
        const r = this.metricStore.get(id >>> 0);
        if (r.status !== 'ok') return metricStatus(r.status);
        return m().writeU64(resultPtr, r.value) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_get_shared_data: (keyPtr: number, keySize: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
        const key = m().read(keyPtr, keySize);
        if (!key) return S.INVALID_MEMORY_ACCESS;
        const entry = this.sharedDataStore.get(this.vmId, key.toString('latin1'));
        if (!entry) return S.NOT_FOUND;
        if (!m().writeU32(casPtr, entry.cas)) return S.INVALID_MEMORY_ACCESS;
        return m().copyOut(entry.value, ptrPtr, sizePtr);
      },
      proxy_set_shared_data: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number) => {
        const key = m().read(keyPtr, keySize);
        const value = m().read(valuePtr, valueSize);
        if (!key || !value) return S.INVALID_MEMORY_ACCESS;
        return this.sharedDataStore.set(this.vmId, key.toString('latin1'), value, cas >>> 0) === 'ok' ? S.OK : S.CAS_MISMATCH;
      },
      proxy_set_tick_period_milliseconds: (ms: number) => {
        this.tickPeriodMs = ms >>> 0;
        this.lastTickNanos = this.now();
        return S.OK;
      },
      proxy_get_current_time_nanoseconds: (resultPtr: number) => (m().writeU64(resultPtr, this.now()) ? S.OK : S.INVALID_MEMORY_ACCESS),
      proxy_http_call: (uPtr: number, uSize: number, hPtr: number, hSize: number, bPtr: number, bSize: number, tPtr: number, tSize: number, timeout: number, tokenPtr: number) => {
        const upstream = m().read(uPtr, uSize);
        const headers = m().read(hPtr, hSize);
        const body = m().read(bPtr, bSize);
        const trailers = m().read(tPtr, tSize);
        if (!upstream || !headers || !body || !trailers) return S.INVALID_MEMORY_ACCESS;
        const hp = unmarshalPairs(headers);
        const tp = unmarshalPairs(trailers);
        if (!hp || !tp) return S.BAD_ARGUMENT;
        // Context::httpCall builds a request map (buildRequestHeaderMapFromPairs) and needs
        // :path, :method and :authority; an unknown cluster is refused.
        const request = EnvoyHeaderMap.fromPairs('request', hp);
        const has = (n: string) => request.get(Buffer.from(n)).length > 0;
        if (!has(':path') || !has(':method') || !has(':authority')) return S.BAD_ARGUMENT;
        const cluster = upstream.toString('utf8');
        if (this.options.clusters && !this.options.clusters.includes(cluster)) return S.BAD_ARGUMENT;
        const token = this.nextHttpToken++;
        if (!m().writeU32(tokenPtr, token)) return S.INVALID_MEMORY_ACCESS;
        const rec: HttpCallRecord = { token, contextId: this.callbackContext, upstream: cluster, headers: toHeaderList(request.pairs()), body: body.toString('utf8'), trailers: toHeaderList(tp), timeoutMs: timeout >>> 0 };
        this.httpCalls.push(rec);
        this.callHttp.push(rec);
        return S.OK;
      },
    };
    for (const name of Object.keys(ENVOY_ENV_IMPORTS)) {
      if (name === 'pthread_equal') { env[name] = (a: number, b: number) => (a === b ? 1 : 0); continue; }
      if (name === 'emscripten_notify_memory_growth') { env[name] = () => undefined; continue; }
      env[name] = wrap(name, impl[name] ?? (() => this.unimplemented(name)));
    }

    const wasiImpl = wasiFunctions({
      memory: () => this.mem, env: this.options.env ?? {}, now: () => this.now(), randomFill: this.options.randomFill,
      log: (level, message) => this.record(level, message),
    });
    const wasi: Record<string, (...a: never[]) => number | void> = {};
    for (const name of Object.keys(ENVOY_WASI_IMPORTS)) {
      const f = wasiImpl[name] ?? wasiUnsupported;
      wasi[name] = wrap(`wasi.${name}`, f as (...a: number[]) => number) as never;
    }
    const result: WasmImports = { env };
    for (const mod of WASI_MODULES) result[mod] = wasi;
    return result;
  }

  private now(): bigint {
    return this.options.nowNanos ? this.options.nowNanos() : BigInt(Date.now()) * 1_000_000n;
  }
}

function metricStatus(s: 'ok' | 'not_found' | 'bad_argument'): number {
  return s === 'ok' ? Status.OK : s === 'not_found' ? Status.NOT_FOUND : Status.BAD_ARGUMENT;
}
