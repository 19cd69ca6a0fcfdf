// Module entry of build/meshtrace-filter.wasm: the ABI exports plus the `meshtrace` root
// (the WasmPlugin pluginName). The filter itself is filter/filter.ts.
export * from "./proxy-wasm/exports";
import { RootContext, registerRootContext } from "./proxy-wasm";
import { MeshtraceRoot } from "./filter";

registerRootContext("meshtrace", (contextId: u32): RootContext => new MeshtraceRoot(contextId));
