/**
 * Leak test (issue 2): 100,000 emulated requests; the module's linear memory after the first
 * 1,000 equals its size after the last. Memory only grows (wasm pages are never returned), so
 * equal sizes mean the per-request garbage is reclaimed and nothing accumulates.
 */
import { describe, expect, it } from 'vitest';
import { ProxyWasmHost, type RequestInput } from '../proxy-wasm-host/index.js';
import { FILTER_WASM, PROBE_WASM, LEAKY_WASM, built } from './helpers.js';

const TOTAL = 100_000;
const WARMUP = 1_000;

// ~15 realistic headers with a valid traceparent, on an inbound and an outbound listener.
function requestFor(i: number): RequestInput {
  const inbound = i % 2 === 0;
  const hex = (n: number, len: number) => n.toString(16).padStart(len, '0').slice(-len);
  return {
    properties: {
      'xds.listener_direction': inbound ? 1n : 2n,
      'xds.cluster_name': inbound ? 'inbound|9080||' : 'outbound|9080||reviews.default.svc.cluster.local',
      'xds.node': { id: 'sidecar~10.0.0.5~productpage-v1-abc.default~default.svc.cluster.local', metadata: { NAME: 'productpage-v1-abc', NAMESPACE: 'default' } },
      'request.id': `req-${i}`,
    },
    requestHeaders: [
      [':authority', 'reviews:9080'], [':path', `/reviews/${i % 97}`], [':method', 'GET'], [':scheme', 'http'],
      ['user-agent', 'python-requests/2.31.0'], ['accept', '*/*'], ['accept-encoding', 'gzip, deflate'],
      ['x-request-id', `0f3c${hex(i, 8)}-1111-4222-8333-444455556666`],
      ['traceparent', `00-${hex(i * 7919, 32)}-${hex(i * 104729 + 1, 16)}-01`], ['tracestate', 'vendor=abc,other=x'],
      ['x-b3-traceid', hex(i * 7919, 32)], ['x-b3-spanid', hex(i * 104729 + 1, 16)], ['x-b3-sampled', '1'],
      ['x-forwarded-proto', 'http'], ['x-envoy-attempt-count', '1'], ...(i % 10 === 0 ? [['x-probe-op', 'edit'] as [string, string]] : []),
    ],
    responseHeaders: [[':status', '200'], ['content-type', 'application/json'], ['content-length', String(300 + (i % 50))]],
  };
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
    const m = memoryAfter(host, 10_000);
    expect(m.afterAll).toBeGreaterThan(m.afterWarmup);
  });
});
