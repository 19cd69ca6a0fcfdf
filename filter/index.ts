// Module entry of build/meshtrace-filter.wasm: the ABI exports plus the `meshtrace` root.
// The filter logic (filter/filter.ts) replaces MeshtraceRoot's stream context; until then every
// request simply continues.
export * from "./proxy-wasm/exports";
import { RootContext, registerRootContext } from "./proxy-wasm";

class MeshtraceRoot extends RootContext {}

registerRootContext("meshtrace", (contextId: u32): RootContext => new MeshtraceRoot(contextId));
