/**
 * Baseline of the filter benchmark: what a request costs through the EMPTY filter built on the
 * ABI layer (build/empty-filter.wasm), next to the current build/meshtrace-filter.wasm, in the
 * same process: host calls per request (by name), bytes copied across the boundary each way,
 * time inside the module's callbacks (host calls included) and linear memory.
 *
 *   npm run bench:filter-baseline [-- REQUESTS]      (default 20000)
 *
 * Figures from a loaded shared machine are indicative; compare ratios, not absolute times.
 */
import { resolve } from 'node:path';
import { ProxyWasmHost } from '../host/host.js';
import { realisticRequest } from '../host/sample-requests.js';

const N = Number(process.argv[2] ?? 20_000);
const ROOT = resolve(import.meta.dirname, '../..');

interface Figures { hostCalls: Record<string, number>; hostCallsPerRequest: number; bytesToModule: number; bytesFromModule: number; mallocCalls: number; nsPerRequest: number; memory: number }

function measure(path: string): Figures {
  const host = ProxyWasmHost.load(resolve(ROOT, path), { rootId: 'meshtrace', pluginConfig: {} });
  if (!host.configure().accepted) throw new Error(`${path}: configuration rejected`);
  for (let i = 0; i < 2_000; i++) host.request(realisticRequest(i)); // warm up the JIT
  const calls: Record<string, number> = {};
  let count = 0; let toModule = 0; let fromModule = 0; let mallocs = 0; let ns = 0;
  for (let i = 0; i < N; i++) {
    const r = host.request(realisticRequest(i));
    if (r.trapped) throw new Error(`${path}: request ${i} trapped: ${r.error}`);
    for (const [k, v] of Object.entries(r.hostCalls)) calls[k] = (calls[k] ?? 0) + v;
    count += r.hostCallCount; toModule += r.bytesToModule; fromModule += r.bytesFromModule; mallocs += r.mallocCalls; ns += r.callbackNanos;
  }
  return {
    hostCalls: Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, v / N])),
    hostCallsPerRequest: count / N, bytesToModule: toModule / N, bytesFromModule: fromModule / N, mallocCalls: mallocs / N,
    nsPerRequest: ns / N, memory: host.memorySize(),
  };
}

const empty = measure('build/empty-filter.wasm');
const filter = measure('build/meshtrace-filter.wasm');
const row = (name: string, f: Figures) =>
  `${name.padEnd(22)} ${f.hostCallsPerRequest.toFixed(2).padStart(10)} ${f.bytesToModule.toFixed(0).padStart(10)} ${f.bytesFromModule.toFixed(0).padStart(10)} ${f.mallocCalls.toFixed(2).padStart(8)} ${(f.nsPerRequest / 1000).toFixed(2).padStart(12)} ${(f.memory / 1024).toFixed(0).padStart(10)}`;
console.log(`requests per module: ${N} (after 2000 warm-up), Node ${process.version}`);
console.log(`${'module'.padEnd(22)} ${'calls/req'.padStart(10)} ${'B to wasm'.padStart(10)} ${'B from'.padStart(10)} ${'malloc'.padStart(8)} ${'µs in wasm'.padStart(12)} ${'memory KiB'.padStart(10)}`);
console.log(row('empty-filter (base)', empty));
console.log(row('meshtrace-filter', filter));
console.log(`host calls by name, empty filter: ${JSON.stringify(empty.hostCalls)}`);
console.log(`host calls by name, meshtrace-filter: ${JSON.stringify(filter.hostCalls)}`);
console.log(`time ratio meshtrace/empty: ${(filter.nsPerRequest / empty.nsPerRequest).toFixed(2)}`);
