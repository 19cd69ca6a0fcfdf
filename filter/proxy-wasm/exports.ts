// The module's exports that Envoy calls (proxy-wasm ABI 0.2.1). Re-export them from the
// module entry: `export * from "./proxy-wasm/exports";`.
//
// Runtime: the module is compiled with `--runtime minimal` (two-colour mark & sweep that runs
// only when called). Every callback below is entered from the host with no managed references
// on the wasm stack, so the end of a request (proxy_on_delete) and of each root-level callback
// is a safe point for a full collection. That gives deterministic, per-request reclamation
// ("nothing grows with requests") without the shadow-stack instrumentation the incremental
// runtime adds to every function, and smaller code. The stub runtime never frees: ruled out.
import { Action, LogLevel } from "./enums";
import { RootContext, StreamContext, findRootFactory, rootFactoryAt, registeredRootIds } from "./context";
import { hostMalloc } from "./memory";
import * as host from "./hostcalls";
// Compiled in so that `--use abort=filter/proxy-wasm/abort/proxyAbort` (asconfig.json) resolves.
import "./abort";

const roots = new Map<u32, RootContext>();
const streams = new Map<u32, StreamContext>();
const PLUGIN_ROOT_ID = new host.PropertyPath(["plugin_root_id"]);

/** ABI marker: Envoy refuses a module without an ABI version export. */
export function proxy_abi_version_0_2_1(): void {}

/** Allocator the host writes returned data into; the layer frees each block once read. */
export function malloc(size: usize): usize {
  return hostMalloc(size);
}

/**
 * Frees a block from malloc. Envoy's V8 never calls it, but WAMR does look for it: a module
 * that exports malloc without free gets a WAMR-managed app heap carved out of its linear
 * memory, which AssemblyScript's allocator then overwrites, and WAMR builds without hardware
 * bounds checks refuse memory.grow from then on (requests trap). Exporting free avoids that.
 */
export function free(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

/** Older name of the allocator export (Envoy looks for malloc first, then this). */
export function proxy_on_memory_allocate(size: usize): usize {
  return hostMalloc(size);
}

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  if (parentId == 0) {
    const rootId = host.getPropertyString(PLUGIN_ROOT_ID);
    const id = rootId !== null ? rootId : "";
    const index = findRootFactory(id);
    if (index < 0) {
      host.logCritical("meshtrace: no root context registered for root id '" + id +
        "' (registered: " + registeredRootIds() + ")");
      return;
    }
    const root = rootFactoryAt(index)(contextId);
    root.rootId = id;
    roots.set(contextId, root);
    return;
  }
  if (!roots.has(parentId)) return;
  const root = roots.get(parentId);
  streams.set(contextId, root.createStreamContext(contextId));
}

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): u32 {
  if (!roots.has(rootContextId)) return 0;
  const ok = roots.get(rootContextId).onVmStart(vmConfigurationSize);
  __collect();
  return ok ? 1 : 0;
}

export function proxy_on_configure(rootContextId: u32, pluginConfigurationSize: u32): u32 {
  if (!roots.has(rootContextId)) return 0; // unknown root id: refuse, the log line says why
  const ok = roots.get(rootContextId).onConfigure(pluginConfigurationSize);
  __collect();
  return ok ? 1 : 0;
}

export function proxy_on_tick(rootContextId: u32): void {
  if (!roots.has(rootContextId)) return;
  roots.get(rootContextId).onTick();
  __collect();
}

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return Action.Continue;
  return streams.get(contextId).onRequestHeaders(numHeaders, endOfStream != 0);
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  if (!streams.has(contextId)) return Action.Continue;
  return streams.get(contextId).onResponseHeaders(numHeaders, endOfStream != 0);
}

export function proxy_on_log(contextId: u32): void {
  if (streams.has(contextId)) streams.get(contextId).onLog();
}

export function proxy_on_done(contextId: u32): u32 {
  if (streams.has(contextId)) return streams.get(contextId).onDone() ? 1 : 0;
  if (roots.has(contextId)) return roots.get(contextId).onDone() ? 1 : 0;
  return 1;
}

export function proxy_on_delete(contextId: u32): void {
  if (streams.has(contextId)) {
    streams.get(contextId).onDelete();
    streams.delete(contextId);
  } else if (roots.has(contextId)) {
    roots.get(contextId).onDelete();
    roots.delete(contextId);
  }
  // End of a request: reclaim everything it allocated (see the runtime note above).
  __collect();
}

export function proxy_on_http_call_response(contextId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  if (streams.has(contextId)) {
    streams.get(contextId).onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  } else if (roots.has(contextId)) {
    roots.get(contextId).onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
    __collect();
  } else {
    host.log(LogLevel.Warn, "meshtrace: http call response for unknown context " + contextId.toString());
  }
}
