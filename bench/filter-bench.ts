/**
 * Benchmark of the meshtrace filter (build/meshtrace-filter.wasm) in the Envoy-like test host,
 * against the empty filter (build/empty-filter.wasm) measured in the same process:
 * per request on the common path (an inbound and an outbound Istio sidecar request with ~15
 * realistic headers and a valid traceparent) the host calls, the bytes copied across the
 * boundary and the time inside the module's callbacks (host calls included) as a ratio to the
 * empty filter; two heavier paths to show the header-write strategy; the release .wasm size; and
 * linear memory after 1,000 requests vs after --memory-requests.
 *
 *   npm run bench:filter [-- --requests 20000 --memory-requests 1000000]
 *
 * Figures from a loaded shared machine are indicative; compare the ratios, not absolute times.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ProxyWasmHost, type RequestInput } from '../host/host.js';
import { realisticRequest } from '../host/sample-requests.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FILTER = resolve(ROOT, 'build/meshtrace-filter.wasm');
const EMPTY = resolve(ROOT, 'build/empty-filter.wasm');
const MAX_HOST_CALLS = 8;
const MAX_WASM_BYTES = 64 * 1024;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} expects a positive integer`);
  return v;
}
const REQUESTS = flag('requests', 20_000);
const MEMORY_REQUESTS = flag('memory-requests', 1_000_000);
const WARMUP = 2_000;

interface Figures { calls: number; byName: Record<string, number>; toModule: number; fromModule: number; ns: number; wasmNs: number }

function load(path: string, pluginConfig: object = {}): ProxyWasmHost {
  const host = ProxyWasmHost.load(readFileSync(path), { rootId: 'meshtrace', pluginConfig });
  if (!host.configure().accepted) throw new Error(`${path}: configuration refused`);
  return host;
}

/** Runs `make(i)` REQUESTS times (after a warm-up) and averages the boundary figures. */
function measure(host: ProxyWasmHost, make: (i: number) => RequestInput): Figures {
  for (let i = 0; i < WARMUP; i++) host.request(make(i));
  const f: Figures = { calls: 0, byName: {}, toModule: 0, fromModule: 0, ns: 0, wasmNs: 0 };
  for (let i = 0; i < REQUESTS; i++) {
    const r = host.request(make(i));
    if (r.trapped) throw new Error(`request ${i} trapped: ${r.error}`);
    f.calls += r.hostCallCount; f.toModule += r.bytesToModule; f.fromModule += r.bytesFromModule; f.ns += r.callbackNanos; f.wasmNs += r.callbackNanos - r.hostNanos;
    for (const [k, v] of Object.entries(r.hostCalls)) f.byName[k] = (f.byName[k] ?? 0) + v;
  }
  f.calls /= REQUESTS; f.toModule /= REQUESTS; f.fromModule /= REQUESTS; f.ns /= REQUESTS; f.wasmNs /= REQUESTS;
  for (const k of Object.keys(f.byName)) f.byName[k] = f.byName[k]! / REQUESTS;
  return f;
}

const inbound = (i: number) => realisticRequest(2 * i);
const outbound = (i: number) => realisticRequest(2 * i + 1);
/** B3-only client (e.g. an old Zipkin SDK) with a forged stamp: many header changes. */
const b3Client = (i: number): RequestInput => {
  const base = realisticRequest(2 * i + 1);
  const headers = (base.requestHeaders as Array<[string, string]>).filter(([k]) => k !== 'traceparent' && k !== 'tracestate');
  return { ...base, requestHeaders: [...headers, ['x-b3-traceid', (i + 1).toString(16).padStart(32, '0')], ['x-b3-spanid', 'a2fb4a1d1a96d312'], ['x-b3-sampled', 'true'], ['x-meshtrace-kind', 'server']] };
};

const empty = load(EMPTY);
const filter = load(FILTER);
const rows: Array<[string, Figures, Figures]> = [
  ['inbound (common path)', measure(filter, inbound), measure(empty, inbound)],
  ['outbound (common path)', measure(filter, outbound), measure(empty, outbound)],
  ['outbound, B3-only + forged', measure(filter, b3Client), measure(empty, b3Client)],
  // only the two stamps change: written with two replace calls instead of the whole map
  ['outbound, tracecontext only', measure(load(FILTER, { propagation: ['tracecontext'] }), outbound), measure(empty, outbound)],
];

console.log(`meshtrace filter benchmark — Node ${process.version}, ${REQUESTS} requests per row after ${WARMUP} warm-up (loaded shared 2-core machine: compare ratios)`);
console.log('µs wasm = time inside the module (callbacks minus the JS host\'s own host-call code); µs +host = callbacks incl. that code');
console.log(`${'path'.padEnd(28)} ${'host calls'.padStart(10)} ${'B to wasm'.padStart(10)} ${'B from wasm'.padStart(11)} ${'µs wasm'.padStart(8)} ${'µs empty'.padStart(9)} ${'ratio'.padStart(6)} ${'µs +host'.padStart(9)}`);
for (const [name, f, e] of rows) {
  console.log(`${name.padEnd(28)} ${f.calls.toFixed(2).padStart(10)} ${f.toModule.toFixed(0).padStart(10)} ${f.fromModule.toFixed(0).padStart(11)} ${(f.wasmNs / 1000).toFixed(2).padStart(8)} ${(e.wasmNs / 1000).toFixed(2).padStart(9)} ${(f.wasmNs / e.wasmNs).toFixed(1).padStart(6)} ${(f.ns / 1000).toFixed(2).padStart(9)}`);
}
for (const [name, f] of rows) console.log(`  host calls, ${name}: ${Object.entries(f.byName).map(([k, v]) => `${k} ${v}`).join(', ')}`);
const common = Math.max(rows[0]![1].calls, rows[1]![1].calls);
console.log(`empty filter: ${rows[0]![2].calls} host calls per request`);

const size = statSync(FILTER).size;
// memory: a fresh VM, the common path alternating inbound/outbound
const mem = load(FILTER);
let at1000 = 0;
const t0 = process.hrtime.bigint();
for (let i = 0; i < MEMORY_REQUESTS; i++) {
  const r = mem.request(realisticRequest(i));
  if (r.trapped) throw new Error(`memory run: request ${i} trapped: ${r.error}`);
  if (i + 1 === 1_000) at1000 = mem.memorySize();
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const atEnd = mem.memorySize();

console.log('');
console.log(`${'figure'.padEnd(44)} ${'value'.padStart(14)}  target`);
console.log(`${'host calls per request, common path (max)'.padEnd(44)} ${common.toFixed(2).padStart(14)}  ≤ ${MAX_HOST_CALLS} ${common <= MAX_HOST_CALLS ? 'ok' : 'MISSED'}`);
console.log(`${'release .wasm size (bytes)'.padEnd(44)} ${size.toLocaleString('en').padStart(14)}  < ${MAX_WASM_BYTES.toLocaleString('en')} ${size < MAX_WASM_BYTES ? 'ok' : 'MISSED'}`);
console.log(`${'memory after 1,000 requests (bytes)'.padEnd(44)} ${at1000.toLocaleString('en').padStart(14)}`);
console.log(`${`memory after ${MEMORY_REQUESTS.toLocaleString('en')} requests (bytes)`.padEnd(44)} ${atEnd.toLocaleString('en').padStart(14)}  flat ${atEnd === at1000 ? 'ok' : 'MISSED'}  (${seconds.toFixed(0)} s)`);
console.log(`metrics after the memory run: ${JSON.stringify(mem.metricValues(), (_, v) => (typeof v === 'bigint' ? Number(v) : v))}`);
