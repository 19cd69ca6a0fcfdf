/**
 * Refuses a module the way Envoy (proxy-wasm-cpp-host src/wasm.cc WasmBase::load, src/v8/v8.cc
 * link / getModuleFunctionImpl) does, in the same order and with the same wording.
 */
import {
  ABI_MARKERS, ENVOY_CALLBACK_EXPORTS, envoyImport, printValTypes, type Signature,
} from './envoy-abi.js';
import { readModuleInterface, WasmParseError } from './wasm-binary.js';

export class ProxyWasmLoadError extends Error {
  constructor(message: string, readonly failState: 'UnableToInitializeCode' | 'MissingFunction' | 'StartFailed') {
    super(message);
    this.name = 'ProxyWasmLoadError';
  }
}

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

