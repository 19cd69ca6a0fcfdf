/**
 * ProxyWasmHost: the host side of proxy-wasm ABI 0.2.1, in TypeScript, for running the real
 * compiled filter the way Envoy runs it (issue 2). It
 * - refuses modules Envoy would refuse, with Envoy's wording (missing ABI marker, missing
 *   import, import type mismatch, missing malloc, bad callback signature);
 * - allocates through the module's malloc, serialises header maps and properties as Envoy
 *   does, answers with the documented status codes (NOT_FOUND for a missing header/property,
 *   UNIMPLEMENTED for what it does not emulate — never a silent success);
 * - drives contexts like Envoy: _initialize, root context create, vm start, configure, then
 *   per request create → request headers → response headers → log → done → delete;
 * - records logs, metrics, shared data, http calls, local responses, host calls per request
 *   (by import name) and bytes copied across the boundary in each direction;
 * - turns a trap into a failed request (fail-open: the request continues with the headers as
 *   they were before the failing callback) and, like Envoy's reload policy, replaces the
 *   failed VM with a fresh one for the next request.
 */
import { readFileSync } from 'node:fs';
import { randomFillSync } from 'node:crypto';
import {
  ABI_MARKERS, ENVOY_CALLBACK_EXPORTS, ENVOY_ENV_IMPORTS, ENVOY_WASI_IMPORTS, WASI_MODULES,
  envoyImport, printValTypes, type Signature,
} from './envoy-abi.js';
import { readModuleInterface, WasmParseError } from './wasm-binary.js';
import { WA, type WasmImports, type WasmMemory, type WasmModule } from './wasm-api.js';
import { marshalPairs, unmarshalPairs, type BytePair } from './pairs.js';
import { buildPropertyTree, lookupProperty, type PropertyTree, type PropertyValue } from './properties.js';

// ---- enums (FACTS.md §1) -----------------------------------------------------------------------
export const Status = {
  OK: 0, NOT_FOUND: 1, BAD_ARGUMENT: 2, SERIALIZATION_FAILURE: 3, PARSE_FAILURE: 4,
  INVALID_MEMORY_ACCESS: 6, EMPTY: 7, CAS_MISMATCH: 8, INTERNAL_FAILURE: 10, UNIMPLEMENTED: 12,
} as const;
export const Action = { Continue: 0, StopIteration: 1 } as const;
export const MapType = {
  RequestHeaders: 0, RequestTrailers: 1, ResponseHeaders: 2, ResponseTrailers: 3,
  GrpcReceiveInitialMetadata: 4, GrpcReceiveTrailingMetadata: 5, HttpCallResponseHeaders: 6,
  HttpCallResponseTrailers: 7,
} as const;
export const BufferType = { HttpRequestBody: 0, HttpResponseBody: 1, HttpCallResponseBody: 4, VmConfiguration: 6, PluginConfiguration: 7 } as const;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'critical'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
const METRIC_TYPES = ['counter', 'gauge', 'histogram'] as const;

// ---- public types ----------------------------------------------------------------------------
export type HeaderList = Array<[string, string]>;
export type HeadersInput = HeaderList | Record<string, string | string[]>;

export interface LogEntry { level: LogLevelName; message: string }
export interface LocalResponse { statusCode: number; details: string; body: string; headers: HeaderList; grpcStatus: number }
export interface HttpCallRecord { token: number; contextId: number; upstream: string; headers: HeaderList; body: string; trailers: HeaderList; timeoutMs: number }
export interface MetricRecord { name: string; type: 'counter' | 'gauge' | 'histogram'; value: bigint; samples: bigint[] }

export interface HostOptions {
  /** Root id (WasmPlugin pluginName). Default 'meshtrace'. */
  rootId?: string;
  /** VM configuration (bytes delivered to proxy_on_vm_start). Default empty. */
  vmConfig?: string | Uint8Array;
  /** Plugin configuration: a string as is, anything else JSON-encoded (WasmPlugin pluginConfig). */
  pluginConfig?: unknown;
  /** Envoy's Wasm log level (proxy_get_log_level; lower-level logs are still recorded). Default 'info'. */
  logLevel?: LogLevelName;
  /** Properties present on every request (per-request ones override). */
  properties?: Record<string, PropertyValue | undefined>;
  /** VM environment (vmConfig.env of the WasmPlugin) for WASI environ_get. */
  env?: Record<string, string>;
  /** Clock for proxy_get_current_time_nanoseconds and WASI clock_time_get. */
  nowNanos?: () => bigint;
  /** Randomness for WASI random_get (default: crypto). */
  randomFill?: (buf: Uint8Array) => void;
  /** Known upstream clusters for proxy_http_call; unset = any cluster is accepted. */
  clusters?: string[];
  /** After a trap, start a fresh VM for the next request (Envoy FAIL_RELOAD). Default true. */
  reloadOnFailure?: boolean;
}

export interface RequestInput {
  properties?: Record<string, PropertyValue | undefined>;
  requestHeaders?: HeadersInput;
  responseHeaders?: HeadersInput;
  /** end_of_stream on the request headers (no body). Default true. */
  requestEndOfStream?: boolean;
  responseEndOfStream?: boolean;
}

export interface BoundaryStats {
  /** Host calls by import name (module.name for WASI). */
  hostCalls: Record<string, number>;
  /** Total host calls. */
  hostCallCount: number;
  /** Calls of the module's malloc made by the host to return data. */
  mallocCalls: number;
  /** Bytes the host wrote into module memory (returned data, excluding 4/8-byte out-params). */
  bytesToModule: number;
  /** Bytes the host read from module memory (names, values, maps, messages). */
  bytesFromModule: number;
  /** Wall time spent inside module callbacks, host calls they made included (ns). */
  callbackNanos: number;
  /** Part of callbackNanos spent in this host's implementation of the host calls (ns); the
   * module's own time is callbackNanos - hostNanos (the host is JS, Envoy's is C++). */
  hostNanos: number;
}

export interface RequestResult extends BoundaryStats {
  contextId: number;
  requestHeaders: HeaderList;
  responseHeaders: HeaderList;
  /** Action codes returned by the callbacks (null when not called). */
  requestAction: number | null;
  responseAction: number | null;
  logs: LogEntry[];
  localResponse: LocalResponse | null;
  httpCalls: HttpCallRecord[];
  /** A callback trapped: the request continued without the filter (fail-open). */
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

export class ProxyWasmLoadError extends Error {
  constructor(message: string, readonly failState: 'UnableToInitializeCode' | 'MissingFunction' | 'StartFailed') {
    super(message);
    this.name = 'ProxyWasmLoadError';
  }
}

class Trap extends Error {}
/** Thrown by WASI proc_exit: ends the current callback like a trap. */
class ProcExit extends Error {}

interface Exports {
  memory: WasmMemory;
  malloc: (size: number) => number;
  _initialize?: () => void;
  _start?: () => void;
  main?: (a: number, b: number) => number;
  [name: string]: unknown;
}

type Fn = (...args: number[]) => number | undefined;

interface StreamState {
  contextId: number;
  properties: PropertyTree;
  requestHeaders: BytePair[];
  responseHeaders: BytePair[] | null;
  phase: 'request' | 'response' | 'log';
  localResponse: LocalResponse | null;
}

const te = new TextEncoder();

function toBytePairs(input: HeadersInput | undefined): BytePair[] {
  if (!input) return [];
  const list: Array<[string, string]> = Array.isArray(input)
    ? input
    : Object.entries(input).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x] as [string, string]) : [[k, v] as [string, string]]));
  // Envoy's header map stores lower-case names.
  return list.map(([k, v]) => [Buffer.from(String(k).toLowerCase(), 'utf8'), Buffer.from(String(v), 'utf8')]);
}

const toHeaderList = (pairs: readonly BytePair[]): HeaderList => pairs.map(([k, v]) => [k.toString('utf8'), v.toString('utf8')]);

/** Validates a module against Envoy's rules; throws ProxyWasmLoadError with Envoy's wording. */
export function checkModuleLikeEnvoy(bytes: Uint8Array): void {
  let iface;
  try {
    iface = readModuleInterface(bytes);
  } catch (e) {
    throw new ProxyWasmLoadError(e instanceof WasmParseError ? 'Failed to parse corrupted Wasm module' : String(e), 'UnableToInitializeCode');
  }
  const exportNames = new Set(iface.exports.map((e) => e.name));
  // src/wasm.cc WasmBase::load: the ABI version comes first.
  if (!ABI_MARKERS.some((m) => exportNames.has(m))) {
    throw new ProxyWasmLoadError('Missing or unknown Proxy-Wasm ABI version', 'UnableToInitializeCode');
  }
  // src/v8/v8.cc V8::link: every import must be a host function with the same signature.
  for (const imp of iface.imports) {
    if (imp.kind === 'memory' || imp.kind === 'table') continue;
    const want = imp.kind === 'function' ? envoyImport(imp.module, imp.name) : undefined;
    if (!want) {
      throw new ProxyWasmLoadError(`Failed to load Wasm module due to a missing import: ${imp.module}.${imp.name}`, 'UnableToInitializeCode');
    }
    const got = imp.signature!;
    if (!sameSignature(got, want)) {
      throw new ProxyWasmLoadError(
        `Failed to load Wasm module due to an import type mismatch: ${imp.module}.${imp.name}, want: ${printValTypes(got.params)} -> ${printValTypes(got.results)}, but host exports: ${printValTypes(want.params)} -> ${printValTypes(want.results)}`,
        'UnableToInitializeCode',
      );
    }
  }
  // src/wasm.cc getFunctions: an allocator is required.
  if (!exportNames.has('malloc') && !exportNames.has('proxy_on_memory_allocate')) {
    throw new ProxyWasmLoadError('Wasm module is missing malloc function.', 'MissingFunction');
  }
  // v8.cc getModuleFunctionImpl: callbacks must have the expected signature.
  for (const exp of iface.exports) {
    const want = exp.kind === 'function' ? ENVOY_CALLBACK_EXPORTS[exp.name] : undefined;
    if (want && exp.signature && !sameSignature(exp.signature, want)) {
      throw new ProxyWasmLoadError(
        `Bad function signature for: ${exp.name}, want: ${printValTypes(want.params)} -> ${printValTypes(want.results)}, but the module exports: ${printValTypes(exp.signature.params)} -> ${printValTypes(exp.signature.results)}`,
        'UnableToInitializeCode',
      );
    }
  }
}

function sameSignature(a: Signature, b: Signature): boolean {
  return a.params.length === b.params.length && a.results.length === b.results.length &&
    a.params.every((t, i) => t === b.params[i]) && a.results.every((t, i) => t === b.results[i]);
}

export class ProxyWasmHost {
  readonly rootId: string;
  readonly options: HostOptions;
  /** Every log line the module wrote (also per request in RequestResult.logs). */
  readonly logs: LogEntry[] = [];
  readonly metrics = new Map<number, MetricRecord>();
  readonly sharedData = new Map<string, { value: Buffer; cas: number }>();
  readonly httpCalls: HttpCallRecord[] = [];
  readonly localResponses: LocalResponse[] = [];
  tickPeriodMs = 0;
  /** How many times a failed VM was replaced. */
  reloads = 0;

  private module: WasmModule;
  private exports!: Exports;
  private mem!: DataView;
  private memBuffer: ArrayBuffer | null = null;
  private u8!: Uint8Array;
  private failed: string | null = null;
  private nextContextId = 1;
  private rootContextId = 0;
  private vmStarted = false;
  private configured = false;
  private pluginConfigBytes: Buffer;
  private vmConfigBytes: Buffer;
  private baseProperties: PropertyTree;
  private current: StreamState | null = null;
  private callbackContext = 0;
  private stats!: BoundaryStats;
  private callLogs: LogEntry[] = [];
  private callHttp: HttpCallRecord[] = [];
  private nextCas = 1;
  private nextMetricId = 1;
  private nextHttpToken = 1;
  private metricIdsByName = new Map<string, number>();
  private pendingHttpResponse: { headers: BytePair[]; trailers: BytePair[]; body: Buffer } | null = null;
  private logLevel: number;

  private constructor(module: WasmModule, options: HostOptions) {
    this.module = module;
    this.options = options;
    this.rootId = options.rootId ?? 'meshtrace';
    this.logLevel = LOG_LEVELS.indexOf(options.logLevel ?? 'info');
    const pc = options.pluginConfig;
    this.pluginConfigBytes = pc === undefined ? Buffer.alloc(0) : Buffer.from(typeof pc === 'string' ? pc : JSON.stringify(pc), 'utf8');
    const vc = options.vmConfig;
    this.vmConfigBytes = vc === undefined ? Buffer.alloc(0) : typeof vc === 'string' ? Buffer.from(vc, 'utf8') : Buffer.from(vc);
    this.baseProperties = buildPropertyTree(options.properties);
    this.resetStats();
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
    this.failed = null;
    this.vmStarted = false;
    this.resetStats();
    this.callLogs = [];
    const start = (): void => {
      if (ex._initialize) {
        this.invoke('_initialize', () => ex._initialize!());
        if (ex.main) this.invoke('main', () => ex.main!(0, 0));
      } else if (ex._start) {
        this.invoke('_start', () => ex._start!());
      }
    };
    start();
    if (this.failed) throw new ProxyWasmLoadError(this.failed, 'StartFailed');
    this.rootContextId = this.nextContextId++;
    this.callCallback('proxy_on_context_create', this.rootContextId, 0);
    const r = this.callCallback('proxy_on_vm_start', this.rootContextId, this.vmConfigBytes.length);
    this.vmStarted = !this.failed && (r === undefined || r !== 0);
  }

  /**
   * proxy_on_configure with the plugin configuration. accepted=false means Envoy would reject
   * the configuration (the WasmPlugin does not become active).
   */
  configure(pluginConfig?: unknown): ConfigureResult {
    if (pluginConfig !== undefined) {
      this.pluginConfigBytes = Buffer.from(typeof pluginConfig === 'string' ? pluginConfig : JSON.stringify(pluginConfig), 'utf8');
    }
    this.resetStats();
    const logsBefore = this.logs.length;
    let accepted = false;
    if (this.vmStarted && !this.failed) {
      const r = this.callCallback('proxy_on_configure', this.rootContextId, this.pluginConfigBytes.length);
      accepted = !this.failed && (r === undefined || r !== 0);
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
    const reqPairs = toBytePairs(input.requestHeaders);
    const respPairs = toBytePairs(input.responseHeaders ?? { ':status': '200' });
    this.resetStats();
    this.callHttp = [];
    const logsBefore = this.logs.length;
    const contextId = this.nextContextId++;
    const state: StreamState = {
      contextId,
      properties: buildPropertyTree(this.flattenBase(), input.properties),
      requestHeaders: reqPairs,
      responseHeaders: null,
      phase: 'request',
      localResponse: null,
    };
    let requestAction: number | null = null;
    let responseAction: number | null = null;
    let trapped = false;
    let error: string | null = null;
    if (!bypassed) {
      this.current = state;
      try {
        const step = (name: string, ...args: number[]): number | undefined => {
          const r = this.callCallback(name, ...args);
          if (this.failed) throw new Trap(this.failed);
          return r;
        };
        step('proxy_on_context_create', contextId, this.rootContextId);
        // Fail-open: a trap inside a callback leaves the headers as they were before it.
        const snapshotReq = state.requestHeaders.slice();
        try {
          requestAction = step('proxy_on_request_headers', contextId, state.requestHeaders.length, input.requestEndOfStream === false ? 0 : 1) ?? Action.Continue;
        } catch (e) {
          state.requestHeaders = snapshotReq;
          throw e;
        }
        state.phase = 'response';
        state.responseHeaders = state.localResponse ? this.localResponseHeaders(state.localResponse) : respPairs;
        const snapshotResp = state.responseHeaders.slice();
        try {
          responseAction = step('proxy_on_response_headers', contextId, state.responseHeaders.length, input.responseEndOfStream === false ? 0 : 1) ?? Action.Continue;
        } catch (e) {
          state.responseHeaders = snapshotResp;
          throw e;
        }
        state.phase = 'log';
        step('proxy_on_log', contextId);
        step('proxy_on_done', contextId);
        step('proxy_on_delete', contextId);
      } catch (e) {
        if (!(e instanceof Trap)) throw e;
        trapped = true;
        error = e.message;
      } finally {
        this.current = null;
      }
    }
    const finalResponse = state.responseHeaders ?? (state.localResponse ? this.localResponseHeaders(state.localResponse) : respPairs);
    return {
      ...this.takeStats(),
      contextId,
      requestHeaders: toHeaderList(state.requestHeaders),
      responseHeaders: toHeaderList(finalResponse),
      requestAction,
      responseAction,
      logs: this.logs.slice(logsBefore),
      localResponse: state.localResponse,
      httpCalls: this.callHttp,
      trapped,
      error,
      bypassed,
    };
  }

  /** proxy_on_tick on the root context (the module set a period with proxy_set_tick_period_milliseconds). */
  tick(): { logs: LogEntry[]; trapped: boolean; error: string | null } {
    this.ensureHealthyVm();
    const before = this.logs.length;
    this.callCallback('proxy_on_tick', this.rootContextId);
    return { logs: this.logs.slice(before), trapped: this.failed !== null, error: this.failed };
  }

  /** Delivers the answer to an outgoing proxy_http_call (proxy_on_http_call_response). */
  respondToHttpCall(token: number, response: { headers?: HeadersInput; body?: string | Uint8Array; trailers?: HeadersInput }): { logs: LogEntry[]; trapped: boolean; error: string | null } {
    const call = this.httpCalls.find((c) => c.token === token);
    if (!call) throw new Error(`no outstanding http call with token ${token}`);
    const before = this.logs.length;
    const headers = toBytePairs(response.headers ?? { ':status': '200' });
    const trailers = toBytePairs(response.trailers);
    const body = response.body === undefined ? Buffer.alloc(0) : Buffer.from(response.body);
    this.pendingHttpResponse = { headers, trailers, body };
    try {
      this.callCallback('proxy_on_http_call_response', call.contextId, token, headers.length, body.length, trailers.length);
    } finally {
      this.pendingHttpResponse = null;
    }
    return { logs: this.logs.slice(before), trapped: this.failed !== null, error: this.failed };
  }

  /** Current size of the module's linear memory in bytes. */
  memorySize(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /** Metric by name (the name the module defined). */
  metric(name: string): MetricRecord | undefined {
    const id = [...this.metricIdsByName.entries()].find(([k]) => k.endsWith(`\0${name}`))?.[1];
    return id === undefined ? undefined : this.metrics.get(id);
  }

  /** All metrics as name → value (histograms: number of samples). */
  metricValues(): Record<string, bigint> {
    const out: Record<string, bigint> = {};
    for (const m of this.metrics.values()) out[m.name] = m.type === 'histogram' ? BigInt(m.samples.length) : m.value;
    return out;
  }

  get isFailed(): boolean {
    return this.failed !== null;
  }

  get isConfigured(): boolean {
    return this.configured;
  }

  // ---- internals -----------------------------------------------------------------------------

  private flattenBase(): Record<string, PropertyValue> {
    return this.baseProperties as Record<string, PropertyValue>;
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

  private localResponseHeaders(lr: LocalResponse): BytePair[] {
    return toBytePairs([[':status', String(lr.statusCode)], ...lr.headers]);
  }

  private resetStats(): void {
    this.stats = { hostCalls: {}, hostCallCount: 0, mallocCalls: 0, bytesToModule: 0, bytesFromModule: 0, callbackNanos: 0, hostNanos: 0 };
  }

  private takeStats(): BoundaryStats {
    const s = this.stats;
    this.resetStats();
    return s;
  }

  private invoke<T>(name: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (e instanceof WA.RuntimeError || e instanceof ProcExit || e instanceof RangeError) {
        this.failed = `Function: ${name} failed: ${(e as Error).message}`;
        this.record('critical', `wasm log: ${this.failed}`, false);
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
    this.stats.callbackNanos += Number(process.hrtime.bigint() - t0);
    return r;
  }

  private view(): DataView {
    const buf = this.exports.memory.buffer;
    if (buf !== this.memBuffer) {
      this.memBuffer = buf;
      this.mem = new DataView(buf);
      this.u8 = new Uint8Array(buf);
    }
    return this.mem;
  }

  private inBounds(ptr: number, size: number): boolean {
    this.view();
    return ptr >= 0 && size >= 0 && ptr + size <= this.u8.length;
  }

  /** Reads module memory (counted as bytes from the module). null = out of bounds. */
  private read(ptr: number, size: number): Buffer | null {
    ptr >>>= 0; size >>>= 0;
    if (!this.inBounds(ptr, size)) return null;
    this.stats.bytesFromModule += size;
    return Buffer.from(this.u8.subarray(ptr, ptr + size));
  }

  private writeU32(ptr: number, value: number): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 4)) return false;
    this.view().setUint32(ptr, value >>> 0, true);
    return true;
  }

  private writeU64(ptr: number, value: bigint): boolean {
    ptr >>>= 0;
    if (!this.inBounds(ptr, 8)) return false;
    this.view().setBigUint64(ptr, BigInt.asUintN(64, value), true);
    return true;
  }

  /**
   * Envoy's copyTo: malloc a block in the module, copy data in, store pointer and size in the
   * module's out slots. The module owns (and must free) the block.
   */
  private copyToModule(data: Uint8Array, ptrPtr: number, sizePtr: number): number {
    // Envoy (copyToPointerSize) allocates nothing for empty data: pointer 0, size 0.
    if (data.length === 0) return this.writeU32(ptrPtr, 0) && this.writeU32(sizePtr, 0) ? Status.OK : Status.INVALID_MEMORY_ACCESS;
    this.stats.mallocCalls++;
    const ptr = (this.exports.malloc(data.length) as number) >>> 0;
    if (ptr === 0 || !this.inBounds(ptr, data.length)) return Status.INVALID_MEMORY_ACCESS;
    this.u8.set(data, ptr);
    this.stats.bytesToModule += data.length;
    if (!this.writeU32(ptrPtr, ptr) || !this.writeU32(sizePtr, data.length)) return Status.INVALID_MEMORY_ACCESS;
    return Status.OK;
  }

  private count(name: string): void {
    this.stats.hostCalls[name] = (this.stats.hostCalls[name] ?? 0) + 1;
    this.stats.hostCallCount++;
  }

  private record(level: LogLevelName, message: string, count = true): void {
    const entry = { level, message };
    this.logs.push(entry);
    if (count) this.callLogs.push(entry);
  }

  private unimplemented(name: string): number {
    this.record('debug', `host: ${name} is not emulated (UNIMPLEMENTED)`, false);
    return Status.UNIMPLEMENTED;
  }

  /** The header map of `type` for the current callback, or null when Envoy would not have it. */
  private headerMap(type: number): BytePair[] | null {
    if (type === MapType.HttpCallResponseHeaders) return this.pendingHttpResponse?.headers ?? null;
    if (type === MapType.HttpCallResponseTrailers) return this.pendingHttpResponse?.trailers ?? null;
    const s = this.current;
    if (!s) return null;
    if (type === MapType.RequestHeaders) return s.requestHeaders;
    if (type === MapType.ResponseHeaders) return s.phase === 'request' ? null : s.responseHeaders;
    return null; // trailers and gRPC metadata are not emulated
  }

  private setHeaderMap(type: number, pairs: BytePair[]): void {
    const s = this.current!;
    if (type === MapType.RequestHeaders) s.requestHeaders = pairs;
    else if (type === MapType.ResponseHeaders) s.responseHeaders = pairs;
  }

  private lowerKey(buf: Buffer): Buffer {
    return Buffer.from(buf.toString('latin1').toLowerCase(), 'latin1');
  }

  private imports(): WasmImports {
    const env: Record<string, (...a: never[]) => number | void> = {};
    const wrap = (name: string, impl: (...a: number[]) => number): ((...a: number[]) => number) => (...a: number[]) => {
      this.count(name);
      const t0 = process.hrtime.bigint();
      try {
        return impl(...a);
      } finally {
        this.stats.hostNanos += Number(process.hrtime.bigint() - t0);
      }
    };
    const S = Status;

    const impl: Record<string, (...a: any[]) => number> = {
      proxy_log: (level: number, ptr: number, size: number) => {
        const msg = this.read(ptr, size);
        if (!msg) return S.INVALID_MEMORY_ACCESS;
        if (level < 0 || level > 5) return S.BAD_ARGUMENT;
        this.record(LOG_LEVELS[level]!, msg.toString('utf8'));
        return S.OK;
      },
      proxy_get_log_level: (ptr: number) => (this.writeU32(ptr, this.logLevel) ? S.OK : S.INVALID_MEMORY_ACCESS),
      proxy_get_property: (pathPtr: number, pathSize: number, ptrPtr: number, sizePtr: number) => {
        const path = this.read(pathPtr, pathSize);
        if (!path) return S.INVALID_MEMORY_ACCESS;
        const key = path.toString('utf8');
        const builtins: Record<string, string> = { plugin_root_id: this.rootId, plugin_name: this.rootId, plugin_vm_id: '' };
        if (Object.hasOwn(builtins, key)) return this.copyToModule(Buffer.from(builtins[key]!), ptrPtr, sizePtr);
        const tree = this.current ? this.current.properties : this.baseProperties;
        const found = lookupProperty(tree, key);
        if (found.status === 'ok') return this.copyToModule(found.bytes, ptrPtr, sizePtr);
        if (found.status === 'not_found') return S.NOT_FOUND;
        this.record('debug', `host: ${found.reason}`, false);
        return found.status === 'unimplemented' ? S.UNIMPLEMENTED : S.SERIALIZATION_FAILURE;
      },
      proxy_set_property: (pathPtr: number, pathSize: number, valuePtr: number, valueSize: number) => {
        const path = this.read(pathPtr, pathSize);
        const value = this.read(valuePtr, valueSize);
        if (!path || !value) return S.INVALID_MEMORY_ACCESS;
        if (!this.current) return S.NOT_FOUND;
        // Envoy keeps it as filter state, readable under the same path for this request.
        const segs = path.toString('utf8').split('\0');
        let node: PropertyTree = this.current.properties;
        for (const seg of segs.slice(0, -1)) {
          if (typeof node[seg] !== 'object' || node[seg] === null) node[seg] = {};
          node = node[seg] as PropertyTree;
        }
        node[segs[segs.length - 1]!] = value;
        return S.OK;
      },
      proxy_get_header_map_pairs: (type: number, ptrPtr: number, sizePtr: number) => {
        const map = this.headerMap(type);
        if (!map) return S.BAD_ARGUMENT;
        return this.copyToModule(marshalPairs(map), ptrPtr, sizePtr);
      },
      proxy_set_header_map_pairs: (type: number, ptr: number, size: number) => {
        const map = this.headerMap(type);
        if (!map || type > MapType.ResponseTrailers) return S.BAD_ARGUMENT;
        const buf = this.read(ptr, size);
        if (!buf) return S.INVALID_MEMORY_ACCESS;
        const pairs = unmarshalPairs(buf);
        if (!pairs) return S.BAD_ARGUMENT;
        this.setHeaderMap(type, pairs.map(([k, v]) => [this.lowerKey(k), v]));
        return S.OK;
      },
      proxy_get_header_map_value: (type: number, keyPtr: number, keySize: number, ptrPtr: number, sizePtr: number) => {
        const map = this.headerMap(type);
        if (!map) return S.BAD_ARGUMENT;
        const key = this.read(keyPtr, keySize);
        if (!key) return S.INVALID_MEMORY_ACCESS;
        const k = this.lowerKey(key);
        const hit = map.find(([name]) => name.equals(k));
        if (!hit) return S.NOT_FOUND;
        // Envoy returns the first value when a header is repeated.
        return this.copyToModule(hit[1], ptrPtr, sizePtr);
      },
      proxy_add_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const map = this.headerMap(type);
        if (!map || type > MapType.ResponseTrailers) return S.BAD_ARGUMENT;
        const key = this.read(keyPtr, keySize);
        const value = this.read(valuePtr, valueSize);
        if (!key || !value) return S.INVALID_MEMORY_ACCESS;
        this.setHeaderMap(type, [...map, [this.lowerKey(key), value]]);
        return S.OK;
      },
      proxy_replace_header_map_value: (type: number, keyPtr: number, keySize: number, valuePtr: number, valueSize: number) => {
        const map = this.headerMap(type);
        if (!map || type > MapType.ResponseTrailers) return S.BAD_ARGUMENT;
        const key = this.read(keyPtr, keySize);
        const value = this.read(valuePtr, valueSize);
        if (!key || !value) return S.INVALID_MEMORY_ACCESS;
        const k = this.lowerKey(key);
        // Envoy setCopy: the first occurrence takes the value, the others go; absent: appended.
        const first = map.findIndex(([name]) => name.equals(k));
        if (first < 0) this.setHeaderMap(type, [...map, [k, value]]);
        else this.setHeaderMap(type, map.flatMap((p, i) => (i === first ? [[k, value] as BytePair] : p[0].equals(k) ? [] : [p])));
        return S.OK;
      },
      proxy_remove_header_map_value: (type: number, keyPtr: number, keySize: number) => {
        const map = this.headerMap(type);
        if (!map || type > MapType.ResponseTrailers) return S.BAD_ARGUMENT;
        const key = this.read(keyPtr, keySize);
        if (!key) return S.INVALID_MEMORY_ACCESS;
        const k = this.lowerKey(key);
        this.setHeaderMap(type, map.filter(([name]) => !name.equals(k)));
        return S.OK;
      },
      proxy_get_buffer_bytes: (type: number, start: number, length: number, ptrPtr: number, sizePtr: number) => {
        let buffer: Buffer | null = null;
        if (type === BufferType.PluginConfiguration) buffer = this.pluginConfigBytes;
        else if (type === BufferType.VmConfiguration) buffer = this.vmConfigBytes;
        else if (type === BufferType.HttpCallResponseBody) buffer = this.pendingHttpResponse?.body ?? null;
        else if (type > 7) return S.BAD_ARGUMENT;
        if (!buffer) return S.NOT_FOUND;
        start >>>= 0; length >>>= 0;
        if (start > buffer.length) return S.BAD_ARGUMENT;
        const len = Math.min(length, buffer.length - start);
        if (len === 0) return S.OK; // Envoy writes nothing for an empty range
        return this.copyToModule(buffer.subarray(start, start + len), ptrPtr, sizePtr);
      },
      proxy_continue_stream: () => (this.current ? S.OK : S.NOT_FOUND),
      proxy_send_local_response: (status: number, dPtr: number, dSize: number, bPtr: number, bSize: number, hPtr: number, hSize: number, grpc: number) => {
        const details = this.read(dPtr, dSize);
        const body = this.read(bPtr, bSize);
        const headers = this.read(hPtr, hSize);
        if (!details || !body || !headers) return S.INVALID_MEMORY_ACCESS;
        const pairs = unmarshalPairs(headers);
        if (!pairs) return S.BAD_ARGUMENT;
        if (!this.current) return S.NOT_FOUND;
        const lr: LocalResponse = {
          statusCode: status, details: details.toString('utf8'), body: body.toString('utf8'),
          headers: pairs.map(([k, v]) => [k.toString('utf8').toLowerCase(), v.toString('utf8')]), grpcStatus: grpc | 0,
        };
        this.current.localResponse = lr;
        this.localResponses.push(lr);
        return S.OK;
      },
      proxy_define_metric: (type: number, namePtr: number, nameSize: number, idPtr: number) => {
        if (type > 2) return S.BAD_ARGUMENT;
        const name = this.read(namePtr, nameSize);
        if (!name) return S.INVALID_MEMORY_ACCESS;
        const key = `${type}\0${name.toString('utf8')}`;
        let id = this.metricIdsByName.get(key);
        if (id === undefined) {
          id = this.nextMetricId++;
          this.metricIdsByName.set(key, id);
          this.metrics.set(id, { name: name.toString('utf8'), type: METRIC_TYPES[type]!, value: 0n, samples: [] });
        }
        return this.writeU32(idPtr, id) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_increment_metric: (id: number, offset: bigint) => {
        const m = this.metrics.get(id);
        if (!m) return S.NOT_FOUND;
        if (m.type === 'histogram') return S.BAD_ARGUMENT;
        if (m.type === 'counter' && offset < 0n) return S.BAD_ARGUMENT; // counters only go up
        m.value += offset;
        return S.OK;
      },
      proxy_record_metric: (id: number, value: bigint) => {
        const m = this.metrics.get(id);
        if (!m) return S.NOT_FOUND;
        const v = BigInt.asUintN(64, value);
        if (m.type === 'counter') m.value += v;
        else if (m.type === 'gauge') m.value = v;
        else m.samples.push(v);
        return S.OK;
      },
      proxy_get_metric: (id: number, resultPtr: number) => {
        const m = this.metrics.get(id);
        if (!m) return S.NOT_FOUND;
        if (m.type === 'histogram') return S.BAD_ARGUMENT;
        return this.writeU64(resultPtr, m.value) ? S.OK : S.INVALID_MEMORY_ACCESS;
      },
      proxy_get_shared_data: (keyPtr: number, keySize: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
        const key = this.read(keyPtr, keySize);
        if (!key) return S.INVALID_MEMORY_ACCESS;
        const entry = this.sharedData.get(key.toString('utf8'));
        if (!entry) return S.NOT_FOUND;
        if (!this.writeU32(casPtr, entry.cas)) return S.INVALID_MEMORY_ACCESS;
        return this.copyToModule(entry.value, ptrPtr, sizePtr);
      },
      proxy_set_shared_data: (keyPtr: number, keySize: number, valuePtr: number, valueSize: number, cas: number) => {
        const key = this.read(keyPtr, keySize);
        const value = this.read(valuePtr, valueSize);
        if (!key || !value) return S.INVALID_MEMORY_ACCESS;
        const k = key.toString('utf8');
        const entry = this.sharedData.get(k);
        if (entry && cas !== 0 && cas >>> 0 !== entry.cas) return S.CAS_MISMATCH;
        this.sharedData.set(k, { value, cas: this.nextCas++ });
        return S.OK;
      },
      proxy_set_tick_period_milliseconds: (ms: number) => {
        this.tickPeriodMs = ms >>> 0;
        return S.OK;
      },
      proxy_get_current_time_nanoseconds: (resultPtr: number) => (this.writeU64(resultPtr, this.now()) ? S.OK : S.INVALID_MEMORY_ACCESS),
      proxy_http_call: (uPtr: number, uSize: number, hPtr: number, hSize: number, bPtr: number, bSize: number, tPtr: number, tSize: number, timeout: number, tokenPtr: number) => {
        const upstream = this.read(uPtr, uSize);
        const headers = this.read(hPtr, hSize);
        const body = this.read(bPtr, bSize);
        const trailers = this.read(tPtr, tSize);
        if (!upstream || !headers || !body || !trailers) return S.INVALID_MEMORY_ACCESS;
        const hp = unmarshalPairs(headers);
        const tp = unmarshalPairs(trailers);
        if (!hp || !tp) return S.BAD_ARGUMENT;
        const hl = toHeaderList(hp);
        const has = (n: string) => hl.some(([k]) => k.toLowerCase() === n);
        // Envoy refuses a call without :path, :method, :authority or to an unknown cluster.
        if (!has(':path') || !has(':method') || !has(':authority')) return S.BAD_ARGUMENT;
        const cluster = upstream.toString('utf8');
        if (this.options.clusters && !this.options.clusters.includes(cluster)) return S.BAD_ARGUMENT;
        const token = this.nextHttpToken++;
        if (!this.writeU32(tokenPtr, token)) return S.INVALID_MEMORY_ACCESS;
        const rec: HttpCallRecord = { token, contextId: this.callbackContext, upstream: cluster, headers: hl, body: body.toString('utf8'), trailers: toHeaderList(tp), timeoutMs: timeout >>> 0 };
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

    const wasiImpl: Record<string, (...a: any[]) => number | void> = {
      random_get: (ptr: number, len: number) => {
        ptr >>>= 0; len >>>= 0;
        if (!this.inBounds(ptr, len)) return 21; // EFAULT
        const target = this.u8.subarray(ptr, ptr + len);
        (this.options.randomFill ?? randomFillSync)(target);
        this.stats.bytesToModule += len;
        return 0;
      },
      clock_time_get: (_id: number, _precision: bigint, resultPtr: number) => (this.writeU64(resultPtr, this.now()) ? 0 : 21),
      fd_write: (fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) => {
        // Envoy logs stdout at info and stderr at error.
        if (fd !== 1 && fd !== 2) return 8; // EBADF
        let text = '';
        let total = 0;
        for (let i = 0; i < iovsLen; i++) {
          if (!this.inBounds(iovs + i * 8, 8)) return 21;
          const p = this.mem.getUint32(iovs + i * 8, true);
          const l = this.mem.getUint32(iovs + i * 8 + 4, true);
          const chunk = this.read(p, l);
          if (!chunk) return 21;
          text += chunk.toString('utf8');
          total += l;
        }
        this.record(fd === 1 ? 'info' : 'error', text.replace(/\n$/, ''));
        return this.writeU32(nwrittenPtr, total) ? 0 : 21;
      },
      environ_sizes_get: (countPtr: number, sizePtr: number) => {
        const env = Object.entries(this.options.env ?? {}).map(([k, v]) => te.encode(`${k}=${v}\0`));
        return this.writeU32(countPtr, env.length) && this.writeU32(sizePtr, env.reduce((n, e) => n + e.length, 0)) ? 0 : 21;
      },
      environ_get: (environPtr: number, bufPtr: number) => {
        let p = bufPtr >>> 0;
        let i = 0;
        for (const [k, v] of Object.entries(this.options.env ?? {})) {
          const e = te.encode(`${k}=${v}\0`);
          if (!this.inBounds(p, e.length) || !this.writeU32(environPtr + i * 4, p)) return 21;
          this.u8.set(e, p);
          p += e.length; i++;
        }
        return 0;
      },
      args_sizes_get: (countPtr: number, sizePtr: number) => (this.writeU32(countPtr, 0) && this.writeU32(sizePtr, 0) ? 0 : 21),
      args_get: () => 0,
      proc_exit: (code: number) => { throw new ProcExit(`proc_exit(${code})`); },
      fd_prestat_get: () => 8, // EBADF: no preopened directories
      fd_prestat_dir_name: () => 8,
    };
    const wasi: Record<string, (...a: never[]) => number | void> = {};
    for (const name of Object.keys(ENVOY_WASI_IMPORTS)) {
      const f = wasiImpl[name] ?? (() => 52); // ENOSYS: Envoy has no file system for modules
      wasi[name] = (...a: never[]) => {
        this.count(`wasi.${name}`);
        const t0 = process.hrtime.bigint();
        try {
          return f(...(a as unknown as number[]));
        } finally {
          this.stats.hostNanos += Number(process.hrtime.bigint() - t0);
        }
      };
    }
    const result: WasmImports = { env };
    for (const m of WASI_MODULES) result[m] = wasi;
    return result;
  }

  private now(): bigint {
    return this.options.nowNanos ? this.options.nowNanos() : BigInt(Date.now()) * 1_000_000n;
  }
}
