/**
 * The slice of the JS WebAssembly API the host uses, typed locally: the project's tsconfig
 * compiles with lib ES2022 only (no DOM), where the global `WebAssembly` has no types.
 */
export interface WasmMemory { readonly buffer: ArrayBuffer }
export type WasmImports = Record<string, Record<string, unknown>>;
export interface WasmModule { readonly __brand?: 'WebAssembly.Module' }
export interface WasmInstance { readonly exports: Record<string, unknown> }

interface WebAssemblyApi {
  Module: (new (bytes: Uint8Array) => WasmModule) & {
    imports(m: WasmModule): Array<{ module: string; name: string; kind: string }>;
    exports(m: WasmModule): Array<{ name: string; kind: string }>;
  };
  Instance: new (module: WasmModule, imports: WasmImports) => WasmInstance;
  RuntimeError: new (message?: string) => Error;
}

export const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
