/**
 * ABI conformance of the built filter (issue 2): every import is one Envoy provides, with the
 * signature Envoy registers; every export the filter needs is present with the signature
 * Envoy calls it with. Envoy's set is written out here on its own (from proxy-wasm-cpp-host
 * include/proxy-wasm/exports.h, ABI 0.2.1) and also cross-checked against the test host's copy.
 */
import { describe, expect, it } from 'vitest';
import { readModuleInterface } from '../../host/wasm-binary.js';
import { ENVOY_ENV_IMPORTS, ENVOY_WASI_IMPORTS, REQUIRED_FILTER_EXPORTS, ENVOY_CALLBACK_EXPORTS } from '../../host/envoy-abi.js';
import { FILTER_WASM, EMPTY_WASM, PROBE_WASM, API_CHECK_WASM, INVALID, built, type FuncSpec } from './helpers.js';

// "module.name": "params -> results" (Word = i32 on wasm32; int64_t/uint64_t = i64).
const ENVOY_PROVIDES: Record<string, string> = {
  'env.proxy_log': 'i32 i32 i32 -> i32',
  'env.proxy_get_log_level': 'i32 -> i32',
  'env.proxy_get_status': 'i32 i32 i32 -> i32',
  'env.proxy_set_property': 'i32 i32 i32 i32 -> i32',
  'env.proxy_get_property': 'i32 i32 i32 i32 -> i32',
  'env.proxy_send_local_response': 'i32 i32 i32 i32 i32 i32 i32 i32 -> i32',
  'env.proxy_get_shared_data': 'i32 i32 i32 i32 i32 -> i32',
  'env.proxy_set_shared_data': 'i32 i32 i32 i32 i32 -> i32',
  'env.proxy_register_shared_queue': 'i32 i32 i32 -> i32',
  'env.proxy_resolve_shared_queue': 'i32 i32 i32 i32 i32 -> i32',
  'env.proxy_dequeue_shared_queue': 'i32 i32 i32 -> i32',
  'env.proxy_enqueue_shared_queue': 'i32 i32 i32 -> i32',
  'env.proxy_get_header_map_value': 'i32 i32 i32 i32 i32 -> i32',
  'env.proxy_add_header_map_value': 'i32 i32 i32 i32 i32 -> i32',
  'env.proxy_replace_header_map_value': 'i32 i32 i32 i32 i32 -> i32',
  'env.proxy_remove_header_map_value': 'i32 i32 i32 -> i32',
  'env.proxy_get_header_map_pairs': 'i32 i32 i32 -> i32',
  'env.proxy_set_header_map_pairs': 'i32 i32 i32 -> i32',
  'env.proxy_get_header_map_size': 'i32 i32 -> i32',
  'env.proxy_get_buffer_status': 'i32 i32 i32 -> i32',
  'env.proxy_get_buffer_bytes': 'i32 i32 i32 i32 i32 -> i32',
  'env.proxy_set_buffer_bytes': 'i32 i32 i32 i32 i32 -> i32',
  'env.proxy_http_call': 'i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 -> i32',
  'env.proxy_grpc_call': 'i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 -> i32',
  'env.proxy_grpc_stream': 'i32 i32 i32 i32 i32 i32 i32 i32 i32 -> i32',
  'env.proxy_grpc_close': 'i32 -> i32',
  'env.proxy_grpc_cancel': 'i32 -> i32',
  'env.proxy_grpc_send': 'i32 i32 i32 i32 -> i32',
  'env.proxy_set_tick_period_milliseconds': 'i32 -> i32',
  'env.proxy_get_current_time_nanoseconds': 'i32 -> i32',
  'env.proxy_define_metric': 'i32 i32 i32 i32 -> i32',
  'env.proxy_increment_metric': 'i32 i64 -> i32',
  'env.proxy_record_metric': 'i32 i64 -> i32',
  'env.proxy_get_metric': 'i32 i32 -> i32',
  'env.proxy_set_effective_context': 'i32 -> i32',
  'env.proxy_done': 'void -> i32',
  'env.proxy_call_foreign_function': 'i32 i32 i32 i32 i32 i32 -> i32',
  'env.proxy_continue_stream': 'i32 -> i32',
  'env.proxy_close_stream': 'i32 -> i32',
  'env.pthread_equal': 'i32 i32 -> i32',
  'env.emscripten_notify_memory_growth': 'i32 -> void',
  ...Object.fromEntries(['wasi_snapshot_preview1', 'wasi_unstable'].flatMap((m) => Object.entries({
    fd_write: 'i32 i32 i32 i32 -> i32',
    fd_read: 'i32 i32 i32 i32 -> i32',
    fd_seek: 'i32 i64 i32 i32 -> i32',
    fd_close: 'i32 -> i32',
    fd_fdstat_get: 'i32 i32 -> i32',
    environ_get: 'i32 i32 -> i32',
    environ_sizes_get: 'i32 i32 -> i32',
    args_get: 'i32 i32 -> i32',
    args_sizes_get: 'i32 i32 -> i32',
    clock_time_get: 'i32 i64 i32 -> i32',
    random_get: 'i32 i32 -> i32',
    proc_exit: 'i32 -> void',
    path_open: 'i32 i32 i32 i32 i32 i64 i64 i32 i32 -> i32',
    fd_prestat_get: 'i32 i32 -> i32',
    fd_prestat_dir_name: 'i32 i32 i32 -> i32',
  }).map(([n, s]) => [`${m}.${n}`, s]))),
};

const show = (s: { params: string[]; results: string[] }) => `${s.params.length ? s.params.join(' ') : 'void'} -> ${s.results.length ? s.results.join(' ') : 'void'}`;

/** Problems that would make Envoy refuse the module or leave the filter without a callback. */
function conformanceProblems(bytes: Uint8Array, requiredExports: readonly string[]): string[] {
  const { imports, exports } = readModuleInterface(bytes);
  const problems: string[] = [];
  for (const imp of imports) {
    const key = `${imp.module}.${imp.name}`;
    if (imp.kind !== 'function') { if (imp.kind !== 'memory') problems.push(`import ${key}: a ${imp.kind} import (Envoy provides only functions)`); continue; }
    const want = ENVOY_PROVIDES[key];
    if (!want) problems.push(`import ${key}: Envoy does not provide it`);
    else if (show(imp.signature!) !== want) problems.push(`import ${key}: signature ${show(imp.signature!)}, Envoy provides ${want}`);
  }
  const names = new Map(exports.map((e) => [e.name, e]));
  for (const name of requiredExports) if (!names.has(name)) problems.push(`export ${name}: missing`);
  // WAMR uses the module's free only when it is free(i32) -> void
  const free = names.get('free');
  if (free?.signature && show(free.signature) !== 'i32 -> void') problems.push(`export free: signature ${show(free.signature)}, WAMR expects i32 -> void`);
  for (const e of exports) {
    const want = ENVOY_CALLBACK_EXPORTS[e.name];
    if (want && e.signature && show(e.signature) !== show(want)) problems.push(`export ${e.name}: signature ${show(e.signature)}, Envoy calls it as ${show(want)}`);
  }
  return problems;
}

describe('ABI conformance of build/meshtrace-filter.wasm', () => {
  it('the test host offers exactly the imports listed here', () => {
    const hostSet = Object.fromEntries([
      ...Object.entries(ENVOY_ENV_IMPORTS).map(([n, s]) => [`env.${n}`, show(s)]),
      ...['wasi_snapshot_preview1', 'wasi_unstable'].flatMap((m) => Object.entries(ENVOY_WASI_IMPORTS).map(([n, s]) => [`${m}.${n}`, show(s)])),
    ]);
    expect(hostSet).toEqual(ENVOY_PROVIDES);
  });

  for (const [label, path] of [['meshtrace-filter', FILTER_WASM], ['empty-filter', EMPTY_WASM], ['probe-filter', PROBE_WASM], ['api-check (every host call the layer wraps)', API_CHECK_WASM]] as const) {
    it(`${label}: every import is one Envoy provides and every required export is there`, () => {
      expect(conformanceProblems(built(path), REQUIRED_FILTER_EXPORTS)).toEqual([]);
    });
  }

  it('the layer wraps the host calls the issue asks for (api-check imports them all)', () => {
    const names = readModuleInterface(built(API_CHECK_WASM)).imports.map((i) => `${i.module}.${i.name}`).sort();
    expect(names).toEqual([
      'env.proxy_add_header_map_value', 'env.proxy_continue_stream', 'env.proxy_define_metric', 'env.proxy_get_buffer_bytes',
      'env.proxy_get_current_time_nanoseconds', 'env.proxy_get_header_map_pairs', 'env.proxy_get_header_map_value',
      'env.proxy_get_log_level', 'env.proxy_get_metric', 'env.proxy_get_property', 'env.proxy_get_shared_data',
      'env.proxy_http_call', 'env.proxy_increment_metric', 'env.proxy_log', 'env.proxy_record_metric',
      'env.proxy_remove_header_map_value', 'env.proxy_replace_header_map_value', 'env.proxy_send_local_response',
      'env.proxy_set_header_map_pairs', 'env.proxy_set_property', 'env.proxy_set_shared_data',
      'env.proxy_set_tick_period_milliseconds', 'wasi_snapshot_preview1.random_get',
    ]);
  });

  it('meshtrace-filter imports nothing from AssemblyScript\'s env helpers (abort, seed, trace)', () => {
    const { imports } = readModuleInterface(built(FILTER_WASM));
    expect(imports.map((i) => `${i.module}.${i.name}`).filter((n) => /^env\.(abort|seed|trace)$/.test(n))).toEqual([]);
  });

  it('the check fails, naming the import, for a module compiled without the abort override', () => {
    expect(conformanceProblems(built(INVALID('env-abort')), [])).toEqual(['import env.abort: Envoy does not provide it']);
  });

  it('the check fails, naming env.seed, for a module that uses Math.random', () => {
    expect(conformanceProblems(built(INVALID('math-random')), [])).toContain('import env.seed: Envoy does not provide it');
  });

  it('the check fails, naming the export, for a module without malloc', () => {
    const problems = conformanceProblems(built(INVALID('no-malloc')), REQUIRED_FILTER_EXPORTS);
    expect(problems).toContain('export malloc: missing');
    expect(problems).toContain('export proxy_on_request_headers: missing');
  });

  it('the check fails for a module that exports malloc but not free (WAMR would put its own heap inside it)', async () => {
    const { assemble } = await import('./helpers.js');
    const exports: Array<{ name: string } & FuncSpec> = [{ name: 'proxy_abi_version_0_2_1', params: [], results: [] }, { name: 'malloc', params: ['i32'], results: ['i32'] }];
    expect(conformanceProblems(assemble({ exports: [...exports] }), ['malloc', 'free'])).toEqual(['export free: missing']);
    expect(conformanceProblems(assemble({ exports: [...exports, { name: 'free', params: ['i32'], results: ['i32'] }] }), ['malloc', 'free']))
      .toEqual(['export free: signature i32 -> i32, WAMR expects i32 -> void']);
    expect(conformanceProblems(assemble({ exports: [...exports, { name: 'free', params: ['i32'], results: [] }] }), ['malloc', 'free'])).toEqual([]);
  });

  it('the check fails for an import with the right name but the wrong signature', async () => {
    const { assemble } = await import('./helpers.js');
    const bytes = assemble({
      imports: [{ module: 'env', name: 'proxy_increment_metric', params: ['i32', 'i32'], results: ['i32'] }],
      exports: [{ name: 'proxy_abi_version_0_2_1', params: [], results: [] }],
    });
    expect(conformanceProblems(bytes, [])).toEqual(['import env.proxy_increment_metric: signature i32 i32 -> i32, Envoy provides i32 i64 -> i32']);
  });
});
