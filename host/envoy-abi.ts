/**
 * What Envoy (proxy-wasm-cpp-host) offers a module loaded with ABI 0.2.1, and what it looks for
 * in the module. Source: proxy-wasm-cpp-host include/proxy-wasm/exports.h (FOR_ALL_HOST_FUNCTIONS,
 * FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC, FOR_ALL_WASI_FUNCTIONS and the declared signatures, where
 * `Word` is i32 on wasm32 and int64_t/uint64_t are i64) and src/wasm.cc (registerCallbacks,
 * getFunctions). Any import outside this set makes Envoy refuse the module.
 */
export type ValType = 'i32' | 'i64' | 'f32' | 'f64';
export interface Signature {
  params: ValType[];
  results: ValType[];
}

const i32 = 'i32' as const;
const i64 = 'i64' as const;
const sig = (params: ValType[], results: ValType[] = [i32]): Signature => ({ params, results });
const words = (n: number): ValType[] => Array.from({ length: n }, () => i32);

/** Module `env`: proxy_* host calls of ABI 0.2.x (0.2.1 adds proxy_get_log_level) + two helpers. */
export const ENVOY_ENV_IMPORTS: Readonly<Record<string, Signature>> = {
  proxy_log: sig(words(3)),
  proxy_get_log_level: sig(words(1)),
  proxy_get_status: sig(words(3)),
  proxy_set_property: sig(words(4)),
  proxy_get_property: sig(words(4)),
  proxy_send_local_response: sig(words(8)),
  proxy_get_shared_data: sig(words(5)),
  proxy_set_shared_data: sig(words(5)),
  proxy_register_shared_queue: sig(words(3)),
  proxy_resolve_shared_queue: sig(words(5)),
  proxy_dequeue_shared_queue: sig(words(3)),
  proxy_enqueue_shared_queue: sig(words(3)),
  proxy_get_header_map_value: sig(words(5)),
  proxy_add_header_map_value: sig(words(5)),
  proxy_replace_header_map_value: sig(words(5)),
  proxy_remove_header_map_value: sig(words(3)),
  proxy_get_header_map_pairs: sig(words(3)),
  proxy_set_header_map_pairs: sig(words(3)),
  proxy_get_header_map_size: sig(words(2)),
  proxy_get_buffer_status: sig(words(3)),
  proxy_get_buffer_bytes: sig(words(5)),
  proxy_set_buffer_bytes: sig(words(5)),
  proxy_http_call: sig(words(10)),
  proxy_grpc_call: sig(words(12)),
  proxy_grpc_stream: sig(words(9)),
  proxy_grpc_close: sig(words(1)),
  proxy_grpc_cancel: sig(words(1)),
  proxy_grpc_send: sig(words(4)),
  proxy_set_tick_period_milliseconds: sig(words(1)),
  proxy_get_current_time_nanoseconds: sig(words(1)),
  proxy_define_metric: sig(words(4)),
  proxy_increment_metric: sig([i32, i64]),
  proxy_record_metric: sig([i32, i64]),
  proxy_get_metric: sig(words(2)),
  proxy_set_effective_context: sig(words(1)),
  proxy_done: sig([]),
  proxy_call_foreign_function: sig(words(6)),
  // ABI 0.2.x specific
  proxy_continue_stream: sig(words(1)),
  proxy_close_stream: sig(words(1)),
  pthread_equal: sig(words(2)),
  emscripten_notify_memory_growth: sig(words(1), []),
};

/** WASI functions Envoy implements; registered under both module names. */
export const ENVOY_WASI_IMPORTS: Readonly<Record<string, Signature>> = {
  fd_write: sig(words(4)),
  fd_read: sig(words(4)),
  fd_seek: sig([i32, i64, i32, i32]),
  fd_close: sig(words(1)),
  fd_fdstat_get: sig(words(2)),
  environ_get: sig(words(2)),
  environ_sizes_get: sig(words(2)),
  args_get: sig(words(2)),
  args_sizes_get: sig(words(2)),
  clock_time_get: sig([i32, i64, i32]),
  random_get: sig(words(2)),
  proc_exit: sig(words(1), []),
  path_open: sig([i32, i32, i32, i32, i32, i64, i64, i32, i32]),
  fd_prestat_get: sig(words(2)),
  fd_prestat_dir_name: sig(words(3)),
};
export const WASI_MODULES = ['wasi_snapshot_preview1', 'wasi_unstable'] as const;

/** The signature Envoy provides for module.name, or undefined when Envoy lacks it. */
export function envoyImport(module: string, name: string): Signature | undefined {
  if (module === 'env') return Object.hasOwn(ENVOY_ENV_IMPORTS, name) ? ENVOY_ENV_IMPORTS[name] : undefined;
  if ((WASI_MODULES as readonly string[]).includes(module)) {
    return Object.hasOwn(ENVOY_WASI_IMPORTS, name) ? ENVOY_WASI_IMPORTS[name] : undefined;
  }
  return undefined;
}

/** ABI markers Envoy recognises (newest first). */
export const ABI_MARKERS = ['proxy_abi_version_0_2_1', 'proxy_abi_version_0_2_0', 'proxy_abi_version_0_1_0'] as const;

/** Module exports Envoy calls for ABI 0.2.x, with the signatures it requires. All optional. */
export const ENVOY_CALLBACK_EXPORTS: Readonly<Record<string, Signature>> = {
  _initialize: sig([], []),
  _start: sig([], []),
  main: sig([i32, i32]),
  malloc: sig(words(1)),
  proxy_on_memory_allocate: sig(words(1)),
  proxy_on_context_create: sig(words(2), []),
  proxy_on_vm_start: sig(words(2)),
  proxy_on_configure: sig(words(2)),
  proxy_on_tick: sig(words(1), []),
  proxy_on_request_headers: sig(words(3)),
  proxy_on_request_body: sig(words(3)),
  proxy_on_request_trailers: sig(words(2)),
  proxy_on_response_headers: sig(words(3)),
  proxy_on_response_body: sig(words(3)),
  proxy_on_response_trailers: sig(words(2)),
  proxy_on_log: sig(words(1), []),
  proxy_on_done: sig(words(1)),
  proxy_on_delete: sig(words(1), []),
  proxy_on_http_call_response: sig(words(5), []),
  proxy_on_foreign_function: sig(words(3)),
};

/**
 * The exports our filter must have (issue 2): ABI marker, allocator (with free: issue 12, WAMR
 * puts its own heap inside a module that exports malloc but not free), start and the callbacks.
 */
export const REQUIRED_FILTER_EXPORTS = [
  'proxy_abi_version_0_2_1', 'malloc', 'free', 'proxy_on_memory_allocate', '_initialize', 'memory',
  'proxy_on_context_create', 'proxy_on_vm_start', 'proxy_on_configure', 'proxy_on_request_headers',
  'proxy_on_response_headers', 'proxy_on_log', 'proxy_on_done', 'proxy_on_delete', 'proxy_on_tick',
  'proxy_on_http_call_response',
] as const;

/** proxy-wasm-cpp-host's rendering of a value-type list (v8.cc printValTypes). */
export function printValTypes(types: readonly ValType[]): string {
  return types.length === 0 ? 'void' : types.join(' ');
}
