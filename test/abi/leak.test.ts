/**
 * Leak test (issue 2): 100,000 emulated requests; the module's linear memory after the first
 * 1,000 equals its size after the last. Memory only grows (wasm pages are never returned), so
 * equal sizes mean the per-request garbage is reclaimed and nothing accumulates.
 */
import { describe, expect, it } from 'vitest';
import { ProxyWasmHost, type RequestInput } from '../../host/index.js';
import { realisticRequest } from '../../host/sample-requests.js';
import { FILTER_WASM, PROBE_WASM, LEAKY_WASM, built } from './helpers.js';

const TOTAL = 100_000;
const WARMUP = 1_000;

// ~15 realistic headers with a valid traceparent, on inbound and outbound listeners; every
// tenth request also makes the probe edit its headers.
function requestFor(i: number): RequestInput {
  const r = realisticRequest(i);
  if (i % 10 === 0) (r.requestHeaders as Array<[string, string]>).push(['x-probe-op', 'edit']);
  return r;
}

function memoryAfter(host: ProxyWasmHost, total = TOTAL): { afterWarmup: number; afterAll: number; trapped: number } {
  let trapped = 0;
  let afterWarmup = 0;
  for (let i = 0; i < total; i++) {
    if (host.request(requestFor(i)).trapped) trapped++;
    if (i === WARMUP - 1) afterWarmup = host.memorySize();
  }
  return { afterWarmup, afterAll: host.memorySize(), trapped };
}

describe('memory stays flat over 100,000 requests', () => {
  it('build/meshtrace-filter.wasm', { timeout: 300_000 }, () => {
    const host = ProxyWasmHost.load(built(FILTER_WASM), { rootId: 'meshtrace', pluginConfig: {} });
    expect(host.configure().accepted).toBe(true);
    const m = memoryAfter(host);
    expect(m.trapped).toBe(0);
    expect(m.afterAll).toBe(m.afterWarmup);
  });

  it('build/probe-filter.wasm (parses, edits and writes back headers, updates metrics)', { timeout: 300_000 }, () => {
    const host = ProxyWasmHost.load(built(PROBE_WASM), { rootId: 'probe', pluginConfig: 'echo-decode' });
    expect(host.configure().accepted).toBe(true);
    const m = memoryAfter(host);
    expect(m.trapped).toBe(0);
    expect(host.metric('probe_requests_total')?.value).toBe(BigInt(TOTAL));
    expect(m.afterAll).toBe(m.afterWarmup);
  });

  it('the check detects a filter that keeps memory per request (it can fail)', { timeout: 300_000 }, () => {
    const host = ProxyWasmHost.load(built(LEAKY_WASM), { rootId: 'leaky' });
    expect(host.configure().accepted).toBe(true);
    const m = memoryAfter(host, 3_000);
    expect(m.afterAll).toBeGreaterThan(m.afterWarmup);
  });
});
