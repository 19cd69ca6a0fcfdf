// Contexts in the style of the Rust/Go proxy-wasm SDKs: one RootContext per plugin (keyed by
// root id = WasmPlugin pluginName), one StreamContext per HTTP request, created and driven
// by the callbacks in exports.ts.
import { Action, MapType } from "./enums";
import { HeaderPairs } from "./headers";
import * as host from "./hostcalls";

/** Per-plugin context: configuration, timers, metrics definitions, stream factory. */
export class RootContext {
  /** Set by the layer before any callback runs. */
  rootId: string = "";
  constructor(readonly contextId: u32) {}

  /** VM started; vmConfigurationSize bytes of VM configuration are readable. */
  onVmStart(vmConfigurationSize: usize): bool { return true; }
  /** Plugin configuration arrived (or changed); return false to refuse it. */
  onConfigure(pluginConfigurationSize: usize): bool { return true; }
  onTick(): void {}
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {}
  /** Creates the context of one request. Override to return your own StreamContext. */
  createStreamContext(contextId: u32): StreamContext { return new StreamContext(contextId, this); }
  onDone(): bool { return true; }
  onDelete(): void {}

  // Helpers (one host call each).
  vmConfiguration(size: usize): string { return host.getVmConfiguration(size); }
  pluginConfiguration(size: usize): string { return host.getPluginConfiguration(size); }
  setTickPeriodMilliseconds(ms: u32): void { host.setTickPeriodMilliseconds(ms); }
}

/** Per-request context. Every callback is optional; the defaults let the request continue. */
export class StreamContext {
  constructor(readonly contextId: u32, readonly root: RootContext) {}

  onRequestHeaders(numHeaders: u32, endOfStream: bool): Action { return Action.Continue; }
  onResponseHeaders(numHeaders: u32, endOfStream: bool): Action { return Action.Continue; }
  onLog(): void {}
  onDone(): bool { return true; }
  onDelete(): void {}
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: usize, numTrailers: u32): void {}

  // Helpers over the host calls for this request (valid only inside a callback of it).
  /** All request headers in one host call. */
  requestHeaders(): HeaderPairs { return host.getHeaderMapPairs(MapType.RequestHeaders); }
  /** All response headers in one host call. */
  responseHeaders(): HeaderPairs { return host.getHeaderMapPairs(MapType.ResponseHeaders); }
  /** Writes the whole request header map back in one host call. */
  setRequestHeaders(pairs: HeaderPairs): void { host.setHeaderMapPairs(MapType.RequestHeaders, pairs); }
  setResponseHeaders(pairs: HeaderPairs): void { host.setHeaderMapPairs(MapType.ResponseHeaders, pairs); }
  requestHeader(name: string): string | null { return host.getHeaderMapValue(MapType.RequestHeaders, name); }
  responseHeader(name: string): string | null { return host.getHeaderMapValue(MapType.ResponseHeaders, name); }
  replaceRequestHeader(name: string, value: string): void { host.replaceHeaderMapValue(MapType.RequestHeaders, name, value); }
  replaceResponseHeader(name: string, value: string): void { host.replaceHeaderMapValue(MapType.ResponseHeaders, name, value); }
  addRequestHeader(name: string, value: string): void { host.addHeaderMapValue(MapType.RequestHeaders, name, value); }
  addResponseHeader(name: string, value: string): void { host.addHeaderMapValue(MapType.ResponseHeaders, name, value); }
  removeRequestHeader(name: string): void { host.removeHeaderMapValue(MapType.RequestHeaders, name); }
  removeResponseHeader(name: string): void { host.removeHeaderMapValue(MapType.ResponseHeaders, name); }
}

/** The Rust SDK's name for a stream context; extend either. */
export class HttpContext extends StreamContext {}

// ---- registry ------------------------------------------------------------------------------

const factoryIds = new Array<string>();
const factories = new Array<(contextId: u32) => RootContext>();

/**
 * Registers the root context factory for `rootId` (the WasmPlugin pluginName). Call it at the
 * top level of the module entry: it runs in _initialize, before Envoy creates contexts.
 */
export function registerRootContext(rootId: string, factory: (contextId: u32) => RootContext): void {
  for (let i = 0; i < factoryIds.length; i++) {
    if (factoryIds[i] == rootId) {
      factories[i] = factory;
      return;
    }
  }
  factoryIds.push(rootId);
  factories.push(factory);
}

/** Index of the factory for `rootId`: exact match; an empty root id maps to the only one. */
export function findRootFactory(rootId: string): i32 {
  for (let i = 0; i < factoryIds.length; i++) if (factoryIds[i] == rootId) return i;
  if (rootId.length == 0 && factoryIds.length == 1) return 0;
  return -1;
}

export function rootFactoryAt(i: i32): (contextId: u32) => RootContext {
  return factories[i];
}

export function registeredRootIds(): string {
  return factoryIds.join(", ");
}
