/**
 * Benchmark of the meshtrace filter (build/meshtrace-filter.wasm) in the project's proxy-wasm host,
 * against the empty filter (build/empty-filter.wasm) measured in the same process: per request
 * on the common paths (Istio sidecar requests with ~15 realistic headers) the host calls, the
 * bytes copied across the boundary and the time inside the module (its callbacks minus the JS
 * host's own host-call work) as a ratio to the empty filter; the release .wasm size; linear
 * memory after 1,000 requests vs after --memory-requests.
 *
 *   npm run bench:filter [-- --batches 30 --batch 1000 --memory-requests 1000000 --before PATH]
 *
 * Time is measured in interleaved batches (every module runs a batch in turn, --batches times)
 * and each module's figure is the MEDIAN of its batch means, with the minimum beside it: a
 * loaded machine slows some batches, not the order of the modules. --before adds an older build
 * of the filter (e.g. the release before a change) to the same run.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ProxyWasmHost, type RequestInput } from '../host/host.js';
import { realisticRequest } from '../host/sample-requests.js';
import { median } from './rate.js';

const ROOT = resolve(import.meta.dirname, '../..');
const FILTER = resolve(ROOT, 'build/meshtrace-filter.wasm');
const EMPTY = resolve(ROOT, 'build/empty-filter.wasm');
const MAX_WASM_BYTES = 64 * 1024;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} expects a positive integer`);
  return v;
}
function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const BATCHES = flag('batches', 30);
const BATCH = flag('batch', 1_000);
const MEMORY_REQUESTS = flag('memory-requests', 1_000_000);
const BEFORE = option('before');
const WARMUP = 3_000;

interface Path { name: string; config: object; make: (i: number) => RequestInput; setup?: (host: ProxyWasmHost) => void }
interface Figures { calls: number; byName: Record<string, number>; toModule: number; fromModule: number; batches: number[] }

const inbound = (i: number) => realisticRequest(2 * i);
const outbound = (i: number) => realisticRequest(2 * i + 1);
/** B3-only client (e.g. an old Zipkin SDK) with a forged stamp: many header changes. */
const b3Client = (i: number): RequestInput => {
  const base = realisticRequest(2 * i + 1);
  const headers = (base.requestHeaders as Array<[string, string]>).filter(([k]) => k !== 'traceparent' && k !== 'tracestate');
  return { ...base, requestHeaders: [...headers, ['x-b3-traceid', (i + 1).toString(16).padStart(32, '0')], ['x-b3-spanid', 'a2fb4a1d1a96d312'], ['x-b3-sampled', 'true'], ['x-meshtrace-kind', 'server']] };
};

/** An outbound request whose application forwarded only x-request-id (a torn trace). */
const HEALED_ID = '0f3cbeef-1111-4222-8333-444455556666';
const torn = (id: string) => (i: number): RequestInput => {
  const base = realisticRequest(2 * i + 1);
  const headers = (base.requestHeaders as Array<[string, string]>).filter(([k]) => k !== 'traceparent' && k !== 'tracestate')
    .map(([k, v]) => [k, k === 'x-request-id' ? id : v] as [string, string]);
  return { ...base, requestHeaders: headers };
};
/** The inbound request of HEALED_ID, so that its torn outbound requests heal. */
const rememberHealedId = (host: ProxyWasmHost) => {
  const r = host.request(torn(HEALED_ID)(0));
  host.request({ ...realisticRequest(0), requestHeaders: (realisticRequest(0).requestHeaders as Array<[string, string]>).map(([k, v]) => [k, k === 'x-request-id' ? HEALED_ID : v] as [string, string]) });
  if (r.trapped) throw new Error(r.error!);
};

const PATHS: Path[] = [
  { name: 'inbound (common path)', config: {}, make: inbound },
  { name: 'outbound (common path)', config: {}, make: outbound },
  // healing: the outbound request lost its context; its ID was remembered (hit) or not (miss)
  { name: 'outbound, torn: healed', config: {}, make: torn(HEALED_ID), setup: rememberHealedId },
  { name: 'outbound, torn: miss', config: {}, make: torn('0f3cdead-1111-4222-8333-444455556666') },
  { name: 'outbound, B3-only + forged', config: {}, make: b3Client },
  // only the two stamps change: written with two replace calls instead of the whole map
  { name: 'outbound, tracecontext only', config: { propagation: ['tracecontext'] }, make: outbound },
];

function load(path: string, pluginConfig: object): ProxyWasmHost {
  const host = ProxyWasmHost.load(readFileSync(path), { rootId: 'meshtrace', pluginConfig });
  if (!host.configure().accepted) throw new Error(`${path}: configuration refused`);
  return host;
}

/** Every module of a path runs BATCH requests in turn, BATCHES times; figures per request. */
function measurePath(path: Path, modules: Array<[string, string]>): Figures[] {
  const hosts = modules.map(([, file]) => load(file, file === EMPTY ? {} : path.config));
  for (const h of hosts) path.setup?.(h);
  for (const h of hosts) for (let i = 0; i < WARMUP; i++) h.request(path.make(i));
  const figs: Figures[] = hosts.map(() => ({ calls: 0, byName: {}, toModule: 0, fromModule: 0, batches: [] }));
  for (let b = 0; b < BATCHES; b++) {
    hosts.forEach((host, m) => {
      const f = figs[m]!;
      let wasm = 0;
      for (let i = 0; i < BATCH; i++) {
        const r = host.request(path.make(b * BATCH + i));
        if (r.trapped) throw new Error(`${modules[m]![0]}: request trapped: ${r.error}`);
        wasm += r.callbackNanos - r.hostNanos;
        f.calls += r.hostCallCount; f.toModule += r.bytesToModule; f.fromModule += r.bytesFromModule;
        for (const [k, v] of Object.entries(r.hostCalls)) f.byName[k] = (f.byName[k] ?? 0) + v;
      }
      f.batches.push(wasm / BATCH);
    });
  }
  const n = BATCHES * BATCH;
  for (const f of figs) {
    f.calls /= n; f.toModule /= n; f.fromModule /= n;
    for (const k of Object.keys(f.byName)) f.byName[k] = f.byName[k]! / n;
  }
  return figs;
}

const modules: Array<[string, string]> = [['filter', FILTER], ['empty', EMPTY], ...(BEFORE ? [['before', resolve(BEFORE)] as [string, string]] : [])];
console.log(`meshtrace filter benchmark — Node ${process.version}; ${BATCHES} interleaved batches of ${BATCH} requests per module and path, after ${WARMUP} warm-up`);
console.log('µs wasm = time inside the module (callbacks minus the JS host\'s host-call work), per request: minimum / median of the batch means; ratio = to the empty filter, minimum / median');
if (BEFORE) console.log(`before = ${BEFORE}`);
const head = `${'path'.padEnd(28)} ${'host calls'.padStart(10)} ${'B to wasm'.padStart(10)} ${'B from wasm'.padStart(11)} ${'µs wasm'.padStart(14)} ${'µs empty'.padStart(14)} ${'ratio'.padStart(11)}`;
console.log(head + (BEFORE ? ` ${'calls before'.padStart(12)} ${'µs before'.padStart(14)} ${'ratio before'.padStart(12)}` : ''));
const results: Array<[Path, Figures[]]> = [];
for (const path of PATHS) {
  const figs = measurePath(path, modules);
  results.push([path, figs]);
  const [f, e, old] = figs as [Figures, Figures, Figures?];
  const us = (x: Figures) => `${(Math.min(...x.batches) / 1000).toFixed(2)} / ${(median(x.batches) / 1000).toFixed(2)}`;
  const ratio = (x: Figures) => `${(Math.min(...x.batches) / Math.min(...e.batches)).toFixed(1)} / ${(median(x.batches) / median(e.batches)).toFixed(1)}`;
  let line = `${path.name.padEnd(28)} ${f.calls.toFixed(2).padStart(10)} ${f.toModule.toFixed(0).padStart(10)} ${f.fromModule.toFixed(0).padStart(11)} ${us(f).padStart(14)} ${us(e).padStart(14)} ${ratio(f).padStart(11)}`;
  if (old) line += ` ${old.calls.toFixed(2).padStart(12)} ${us(old).padStart(14)} ${ratio(old).padStart(12)}`;
  console.log(line);
}
for (const [path, [f, , old]] of results) {
  console.log(`  host calls, ${path.name}: ${Object.entries(f!.byName).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (old) console.log(`    before: ${Object.entries(old.byName).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
const commonCalls = Math.max(results[0]![1][0]!.calls, results[1]![1][0]!.calls);

const size = statSync(FILTER).size;
// memory: a fresh VM, the common path alternating inbound/outbound
const mem = load(FILTER, {});
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
console.log(`${'host calls per request, common path (max)'.padEnd(44)} ${commonCalls.toFixed(2).padStart(14)}`);
console.log(`${'release .wasm size (bytes)'.padEnd(44)} ${size.toLocaleString('en').padStart(14)}  < ${MAX_WASM_BYTES.toLocaleString('en')} ${size < MAX_WASM_BYTES ? 'ok' : 'MISSED'}`);
if (BEFORE) console.log(`${'before .wasm size (bytes)'.padEnd(44)} ${statSync(resolve(BEFORE)).size.toLocaleString('en').padStart(14)}`);
console.log(`${'memory after 1,000 requests (bytes)'.padEnd(44)} ${at1000.toLocaleString('en').padStart(14)}`);
console.log(`${`memory after ${MEMORY_REQUESTS.toLocaleString('en')} requests (bytes)`.padEnd(44)} ${atEnd.toLocaleString('en').padStart(14)}  flat ${atEnd === at1000 ? 'ok' : 'MISSED'}  (${seconds.toFixed(0)} s)`);
console.log(`metrics after the memory run: ${JSON.stringify(mem.metricValues(), (_, v) => (typeof v === 'bigint' ? Number(v) : v))}`);
