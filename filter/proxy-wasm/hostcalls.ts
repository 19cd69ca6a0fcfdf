// Typed wrappers over the raw host calls. Each wrapper makes exactly one host call (the
// comment says when it makes none) and records the status in lastResult().
import * as imp from "./imports";
import { WasmResult, MapType, BufferType, LogLevel, MetricType, StreamType } from "./enums";
import { OUT, ARG_A, ARG_B, clearOut, takeOutBytes, takeOutString, discardOut } from "./memory";
import { HeaderPairs } from "./headers";

let last: WasmResult = WasmResult.Ok;

/** Status of the most recent host call made through this layer. */
export function lastResult(): WasmResult {
  return last;
}

@inline function done(r: u32): WasmResult {
  last = <WasmResult>r;
  return last;
}

/** Records the status of a host call made outside this file, for lastResult(). */
export function setLastResult(r: u32): WasmResult {
  return done(r);
}

// ---- logging -------------------------------------------------------------------------------

export function log(level: LogLevel, message: string): void {
  const p = ARG_A.encode(message);
  done(imp.proxy_log(<u32>level, p, ARG_A.len));
}
export function logTrace(message: string): void { log(LogLevel.Trace, message); }
export function logDebug(message: string): void { log(LogLevel.Debug, message); }
export function logInfo(message: string): void { log(LogLevel.Info, message); }
export function logWarn(message: string): void { log(LogLevel.Warn, message); }
export function logError(message: string): void { log(LogLevel.Error, message); }
export function logCritical(message: string): void { log(LogLevel.Critical, message); }

/** Envoy's current log level for Wasm (so a filter can skip building debug messages). */
export function getLogLevel(): LogLevel {
  clearOut();
  if (done(imp.proxy_get_log_level(OUT + 8)) != WasmResult.Ok) return LogLevel.Info;
  return <LogLevel>load<u32>(OUT, 8);
}

// ---- header maps ---------------------------------------------------------------------------

/** The whole map in one host call. Missing map (e.g. trailers not yet seen): empty pairs. */
export function getHeaderMapPairs(mapType: MapType): HeaderPairs {
  clearOut();
  if (done(imp.proxy_get_header_map_pairs(<u32>mapType, OUT, OUT + 4)) != WasmResult.Ok) {
    discardOut();
    return new HeaderPairs();
  }
  const ptr = load<usize>(OUT);
  const size = <usize>load<u32>(OUT, 4);
  const pairs = HeaderPairs.parse(ptr, size);
  discardOut();
  return pairs;
}

/** Replaces the whole map with `pairs` in one host call. */
export function setHeaderMapPairs(mapType: MapType, pairs: HeaderPairs): WasmResult {
  const size = pairs.serializedSize();
  ARG_A.reserve(size);
  pairs.serializeTo(ARG_A.ptr);
  return done(imp.proxy_set_header_map_pairs(<u32>mapType, ARG_A.ptr, size));
}

/** One header value (Envoy returns the FIRST value of a repeated header), or null when absent. */
export function getHeaderMapValue(mapType: MapType, name: string): string | null {
  clearOut();
  const k = ARG_A.encode(name);
  if (done(imp.proxy_get_header_map_value(<u32>mapType, k, ARG_A.len, OUT, OUT + 4)) != WasmResult.Ok) {
    discardOut();
    return null;
  }
  return takeOutString();
}

export function addHeaderMapValue(mapType: MapType, name: string, value: string): WasmResult {
  const k = ARG_A.encode(name);
  const v = ARG_B.encode(value);
  return done(imp.proxy_add_header_map_value(<u32>mapType, k, ARG_A.len, v, ARG_B.len));
}

export function replaceHeaderMapValue(mapType: MapType, name: string, value: string): WasmResult {
  const k = ARG_A.encode(name);
  const v = ARG_B.encode(value);
  return done(imp.proxy_replace_header_map_value(<u32>mapType, k, ARG_A.len, v, ARG_B.len));
}

export function removeHeaderMapValue(mapType: MapType, name: string): WasmResult {
  const k = ARG_A.encode(name);
  return done(imp.proxy_remove_header_map_value(<u32>mapType, k, ARG_A.len));
}

// Byte variants: names and values are (address, length) in linear memory, passed as they are.

export function addHeaderMapValueBytes(mapType: MapType, namePtr: usize, nameLen: i32, valuePtr: usize, valueLen: i32): WasmResult {
  return done(imp.proxy_add_header_map_value(<u32>mapType, namePtr, <usize>nameLen, valuePtr, <usize>valueLen));
}

export function replaceHeaderMapValueBytes(mapType: MapType, namePtr: usize, nameLen: i32, valuePtr: usize, valueLen: i32): WasmResult {
  return done(imp.proxy_replace_header_map_value(<u32>mapType, namePtr, <usize>nameLen, valuePtr, <usize>valueLen));
}

export function removeHeaderMapValueBytes(mapType: MapType, namePtr: usize, nameLen: i32): WasmResult {
  return done(imp.proxy_remove_header_map_value(<u32>mapType, namePtr, <usize>nameLen));
}

/** Replaces the whole map with `size` bytes of wire format at `ptr`. */
export function setHeaderMapPairsBytes(mapType: MapType, ptr: usize, size: usize): WasmResult {
  return done(imp.proxy_set_header_map_pairs(<u32>mapType, ptr, size));
}

/** Whether header `name` exists (Ok / NotFound / BadArgument when the map is gone); the value is not kept. */
export function headerMapValueStatus(mapType: MapType, namePtr: usize, nameLen: i32): WasmResult {
  clearOut();
  const r = done(imp.proxy_get_header_map_value(<u32>mapType, namePtr, <usize>nameLen, OUT, OUT + 4));
  discardOut();
  return r;
}

// ---- properties ----------------------------------------------------------------------------

/**
 * A property path encoded once (segments joined by NUL), e.g.
 * `PropertyPath.of(["xds", "listener_direction"])` or `PropertyPath.of(["xds", "node", "id"])`.
 * Build paths at configure time; reading a property then allocates nothing but its value.
 */
@unmanaged export class PropertyPath {
  /** The path's bytes (segments joined by NUL), kept outside the collector's graph. */
  readonly ptr: usize;
  readonly len: usize;
  constructor(segments: string[]) {
    const text = segments.join("\0");
    this.len = <usize>String.UTF8.byteLength(text, false);
    this.ptr = heap.alloc(this.len > 0 ? this.len : 1);
    String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, this.ptr, false);
  }
  static of(segments: string[]): PropertyPath {
    return new PropertyPath(segments);
  }
}

/** Raw property bytes; null when the property does not exist (NOT_FOUND) or on error. */
export function getPropertyBytes(path: PropertyPath): ArrayBuffer | null {
  clearOut();
  const r = done(imp.proxy_get_property(path.ptr, path.len, OUT, OUT + 4));
  if (r != WasmResult.Ok) {
    discardOut();
    return null;
  }
  return takeOutBytes();
}

/** A string property (raw bytes as UTF-8); null when absent. */
export function getPropertyString(path: PropertyPath): string | null {
  clearOut();
  const r = done(imp.proxy_get_property(path.ptr, path.len, OUT, OUT + 4));
  if (r != WasmResult.Ok) {
    discardOut();
    return null;
  }
  return takeOutString();
}

/**
 * An int64 property (8 bytes little-endian), or `fallback` when absent or not 8 bytes long
 * (then lastResult() is NOT_FOUND resp. SERIALIZATION_FAILURE).
 */
export function getPropertyInt64(path: PropertyPath, fallback: i64 = 0): i64 {
  clearOut();
  const r = done(imp.proxy_get_property(path.ptr, path.len, OUT, OUT + 4));
  if (r != WasmResult.Ok) {
    discardOut();
    return fallback;
  }
  const ptr = load<usize>(OUT);
  const size = load<u32>(OUT, 4);
  let value = fallback;
  if (size == 8 && ptr != 0) value = load<i64>(ptr);
  else last = WasmResult.SerializationFailure;
  discardOut();
  return value;
}

/** A timestamp property as int64 nanoseconds since the epoch, or `fallback`. */
export function getPropertyTimestampNanos(path: PropertyPath, fallback: i64 = 0): i64 {
  return getPropertyInt64(path, fallback);
}

/** A map-valued property (e.g. node metadata of strings) in the header-map wire format. */
export function getPropertyMap(path: PropertyPath): HeaderPairs | null {
  clearOut();
  const r = done(imp.proxy_get_property(path.ptr, path.len, OUT, OUT + 4));
  if (r != WasmResult.Ok) {
    discardOut();
    return null;
  }
  const pairs = HeaderPairs.parse(load<usize>(OUT), <usize>load<u32>(OUT, 4));
  discardOut();
  return pairs;
}

export function setProperty(path: PropertyPath, value: string): WasmResult {
  const v = ARG_B.encode(value);
  return done(imp.proxy_set_property(path.ptr, path.len, v, ARG_B.len));
}

// ---- buffers / configuration ---------------------------------------------------------------

/** Bytes [start, start+length) of a host buffer; null when the buffer does not exist. */
export function getBufferBytes(bufferType: BufferType, start: u32, length: u32): ArrayBuffer | null {
  clearOut();
  const r = done(imp.proxy_get_buffer_bytes(<u32>bufferType, start, length, OUT, OUT + 4));
  if (r != WasmResult.Ok) {
    discardOut();
    return null;
  }
  return takeOutBytes();
}

/** The plugin configuration (WasmPlugin pluginConfig, JSON) as text; "" when empty. */
export function getPluginConfiguration(size: usize): string {
  if (size == 0) return "";
  clearOut();
  if (done(imp.proxy_get_buffer_bytes(<u32>BufferType.PluginConfiguration, 0, <u32>size, OUT, OUT + 4)) != WasmResult.Ok) {
    discardOut();
    return "";
  }
  return takeOutString();
}

/** The VM configuration as text; "" when empty. */
export function getVmConfiguration(size: usize): string {
  if (size == 0) return "";
  clearOut();
  if (done(imp.proxy_get_buffer_bytes(<u32>BufferType.VmConfiguration, 0, <u32>size, OUT, OUT + 4)) != WasmResult.Ok) {
    discardOut();
    return "";
  }
  return takeOutString();
}

// ---- stream control ------------------------------------------------------------------------

/** Resumes a stream after StopIteration. */
export function continueStream(streamType: StreamType): WasmResult {
  return done(imp.proxy_continue_stream(<u32>streamType));
}

/**
 * Answers the request from the filter (the upstream is not called). `headers` may be null.
 * grpcStatus -1 means "not a gRPC response".
 */
export function sendLocalResponse(statusCode: u32, details: string, body: string, headers: HeaderPairs | null, grpcStatus: i32 = -1): WasmResult {
  const d = ARG_A.encode(details);
  const b = ARG_B.encode(body);
  const pairs = headers !== null ? headers : new HeaderPairs();
  const h = pairs.serialize();
  return done(imp.proxy_send_local_response(statusCode, d, ARG_A.len, b, ARG_B.len, changetype<usize>(h), h.byteLength, grpcStatus));
}

// ---- metrics -------------------------------------------------------------------------------

/** Defines a metric and returns its id; u32.MAX_VALUE when the host refused. */
export function defineMetric(metricType: MetricType, name: string): u32 {
  clearOut();
  const n = ARG_A.encode(name);
  if (done(imp.proxy_define_metric(<u32>metricType, n, ARG_A.len, OUT + 8)) != WasmResult.Ok) return u32.MAX_VALUE;
  return load<u32>(OUT, 8);
}

export function incrementMetric(metricId: u32, offset: i64): WasmResult {
  return done(imp.proxy_increment_metric(metricId, offset));
}

export function recordMetric(metricId: u32, value: u64): WasmResult {
  return done(imp.proxy_record_metric(metricId, value));
}

export function getMetric(metricId: u32): u64 {
  clearOut();
  if (done(imp.proxy_get_metric(metricId, OUT + 8)) != WasmResult.Ok) return 0;
  return load<u64>(OUT, 8);
}

/** A counter (Envoy stat); define at configure time, increment per request (1 host call). */
export class Counter {
  readonly id: u32;
  constructor(readonly name: string) { this.id = defineMetric(MetricType.Counter, name); }
  increment(offset: i64 = 1): void { if (this.id != u32.MAX_VALUE) incrementMetric(this.id, offset); }
  get(): u64 { return getMetric(this.id); }
}

export class Gauge {
  readonly id: u32;
  constructor(readonly name: string) { this.id = defineMetric(MetricType.Gauge, name); }
  set(value: u64): void { if (this.id != u32.MAX_VALUE) recordMetric(this.id, value); }
  add(offset: i64): void { if (this.id != u32.MAX_VALUE) incrementMetric(this.id, offset); }
  get(): u64 { return getMetric(this.id); }
}

export class Histogram {
  readonly id: u32;
  constructor(readonly name: string) { this.id = defineMetric(MetricType.Histogram, name); }
  record(value: u64): void { if (this.id != u32.MAX_VALUE) recordMetric(this.id, value); }
}

// ---- shared data ---------------------------------------------------------------------------

export class SharedData {
  constructor(readonly value: ArrayBuffer, readonly cas: u32) {}
}

/** A shared-data entry with its CAS token, or null when the key does not exist. */
export function getSharedData(key: string): SharedData | null {
  clearOut();
  const k = ARG_A.encode(key);
  if (done(imp.proxy_get_shared_data(k, ARG_A.len, OUT, OUT + 4, OUT + 8)) != WasmResult.Ok) {
    discardOut();
    return null;
  }
  const cas = load<u32>(OUT, 8);
  return new SharedData(takeOutBytes(), cas);
}

/** Sets a shared-data entry; cas 0 = unconditional, otherwise CAS_MISMATCH if it changed. */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): WasmResult {
  const k = ARG_A.encode(key);
  return done(imp.proxy_set_shared_data(k, ARG_A.len, changetype<usize>(value), value.byteLength, cas));
}

/** A block the host returned, owned by the caller until free(). */
@unmanaged export class HostBlock {
  ptr: usize = 0;
  len: i32 = 0;
  cas: u32 = 0;

  free(): void {
    if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
    this.len = 0;
  }
}

/** Shared data by a key given as bytes, into `into` (freed first); Ok, NotFound, ... */
export function getSharedDataBytes(keyPtr: usize, keyLen: i32, into: HostBlock): WasmResult {
  into.free();
  clearOut();
  const r = done(imp.proxy_get_shared_data(keyPtr, <usize>keyLen, OUT, OUT + 4, OUT + 8));
  if (r != WasmResult.Ok) {
    discardOut();
    return r;
  }
  into.ptr = load<usize>(OUT);
  into.len = <i32>load<u32>(OUT, 4);
  into.cas = load<u32>(OUT, 8);
  store<u64>(OUT, 0);
  return r;
}

/** Sets shared data from bytes; cas 0 = unconditional. */
export function setSharedDataBytes(keyPtr: usize, keyLen: i32, valuePtr: usize, valueLen: i32, cas: u32): WasmResult {
  return done(imp.proxy_set_shared_data(keyPtr, <usize>keyLen, valuePtr, <usize>valueLen, cas));
}

// ---- time, ticks, outgoing calls -----------------------------------------------------------

export function setTickPeriodMilliseconds(periodMs: u32): WasmResult {
  return done(imp.proxy_set_tick_period_milliseconds(periodMs));
}

export function getCurrentTimeNanoseconds(): u64 {
  clearOut();
  if (done(imp.proxy_get_current_time_nanoseconds(OUT + 8)) != WasmResult.Ok) return 0;
  return load<u64>(OUT, 8);
}

/**
 * Dispatches an HTTP call to the Envoy cluster `upstream`; the answer arrives in
 * onHttpCallResponse of the calling context. Returns the token, or 0 when refused
 * (lastResult() says why). `headers` must contain :method, :path and :authority.
 */
export function httpCall(upstream: string, headers: HeaderPairs, body: string, trailers: HeaderPairs | null, timeoutMs: u32): u32 {
  clearOut();
  const u = ARG_A.encode(upstream);
  const b = ARG_B.encode(body);
  const h = headers.serialize();
  const t = trailers !== null ? trailers.serialize() : new HeaderPairs().serialize();
  const r = done(imp.proxy_http_call(u, ARG_A.len, changetype<usize>(h), h.byteLength, b, ARG_B.len,
    changetype<usize>(t), t.byteLength, timeoutMs, OUT + 8));
  if (r != WasmResult.Ok) return 0;
  return load<u32>(OUT, 8);
}
