/**
 * The test host behaves like Envoy, and the ABI layer works through it: both checked by
 * running real compiled modules (build/probe-filter.wasm exercises every host call).
 */
import { describe, expect, it } from 'vitest';
import { ProxyWasmHost, ProxyWasmLoadError, Status, marshalPairs, unmarshalPairs, type RequestInput } from '../../host/index.js';
import { PROBE_WASM, FILTER_WASM, INVALID, built, assemble } from './helpers.js';

const probe = (opts: Parameters<typeof ProxyWasmHost.load>[1] = {}) => {
  const host = ProxyWasmHost.load(built(PROBE_WASM), { rootId: 'probe', ...opts });
  const configured = host.configure();
  expect(configured.accepted).toBe(true);
  return host;
};
const header = (list: Array<[string, string]>, name: string) => list.filter(([k]) => k === name).map(([, v]) => v);

describe('module refusal with Envoy\'s wording', () => {
  const refusal = (bytes: Uint8Array) => {
    try {
      ProxyWasmHost.load(bytes);
    } catch (e) {
      expect(e).toBeInstanceOf(ProxyWasmLoadError);
      return (e as Error).message;
    }
    throw new Error('the module was accepted');
  };

  it.each([
    ['env-abort', 'Failed to load Wasm module due to a missing import: env.abort'],
    ['math-random', 'Failed to load Wasm module due to a missing import: env.abort'],
    ['no-abi-marker', 'Missing or unknown Proxy-Wasm ABI version'],
    ['no-malloc', 'Wasm module is missing malloc function.'],
  ])('refuses %s: %s', (name, message) => {
    expect(refusal(built(INVALID(name)))).toBe(message);
  });

  it('refuses a module importing env.seed (Math.random) by name', () => {
    const bytes = assemble({
      imports: [{ module: 'env', name: 'seed', params: [], results: ['i32'] }],
      exports: [{ name: 'proxy_abi_version_0_2_1', params: [], results: [] }, { name: 'malloc', params: ['i32'], results: ['i32'] }],
    });
    expect(refusal(bytes)).toBe('Failed to load Wasm module due to a missing import: env.seed');
  });

  it('refuses an import whose signature differs from the host function', () => {
    const bytes = assemble({
      imports: [{ module: 'env', name: 'proxy_log', params: ['i32', 'i32'], results: ['i32'] }],
      exports: [{ name: 'proxy_abi_version_0_2_1', params: [], results: [] }, { name: 'malloc', params: ['i32'], results: ['i32'] }],
    });
    expect(refusal(bytes)).toBe('Failed to load Wasm module due to an import type mismatch: env.proxy_log, want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32');
  });

  it('refuses a callback with the wrong signature', () => {
    const bytes = assemble({
      exports: [
        { name: 'proxy_abi_version_0_2_1', params: [], results: [] },
        { name: 'malloc', params: ['i32'], results: ['i32'] },
        { name: 'proxy_on_request_headers', params: ['i32', 'i32'], results: ['i32'] },
      ],
    });
    expect(refusal(bytes)).toBe('Bad function signature for: proxy_on_request_headers, want: i32 i32 i32 -> i32, but the module exports: i32 i32 -> i32');
  });

  it('refuses bytes that are not a module', () => {
    expect(refusal(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]))).toBe('Failed to parse corrupted Wasm module');
  });

  it('accepts a minimal valid module (the checks are not blanket refusals)', () => {
    const bytes = assemble({ exports: [{ name: 'proxy_abi_version_0_2_1', params: [], results: [] }, { name: 'malloc', params: ['i32'], results: ['i32'] }] });
    expect(() => ProxyWasmHost.load(bytes)).not.toThrow();
  });
});

describe('header-map wire format (FACTS.md §1)', () => {
  it('serialises count, lengths, then NUL-terminated keys and values, little-endian', () => {
    const bytes = marshalPairs([[Buffer.from('ab'), Buffer.from('c')], [Buffer.from(':x'), Buffer.alloc(0)]]);
    expect([...bytes]).toEqual([
      2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0,
      0x61, 0x62, 0, 0x63, 0, 0x3a, 0x78, 0, 0,
    ]);
    expect(unmarshalPairs(bytes)!.map(([k, v]) => [k.toString(), v.toString()])).toEqual([['ab', 'c'], [':x', '']]);
  });

  it.each([
    ['truncated count', [1, 0]],
    ['count larger than the block', [9, 0, 0, 0, 1, 0, 0, 0]],
    ['lengths past the end', [1, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0x61, 0]],
  ])('rejects a malformed block: %s', (_, bytes) => {
    expect(unmarshalPairs(Uint8Array.from(bytes))).toBeNull();
  });
});

describe('header maps round-trip through the module', () => {
  const big = 'v'.repeat(70 * 1024);
  const cases: Array<[string, Array<[string, string]>]> = [
    ['an empty map', []],
    ['an empty value', [['x-empty', '']]],
    ['a value over 64 KB', [[':path', '/'], ['x-big', big]]],
    ['non-ASCII values', [['x-utf8', 'héllo wörld ✓ 日本語 🚀'], ['x-latin', 'Grüße']]],
    ['repeated headers in order', [['x-rep', '1'], ['other', 'o'], ['x-rep', '2'], ['x-rep', '3']]],
    ['many headers', Array.from({ length: 200 }, (_, i) => [`x-h${i}`, `value-${i}`] as [string, string])],
  ];
  for (const mode of ['echo-raw', 'echo-decode']) {
    it.each(cases)(`${mode}: %s`, (_, headers) => {
      const host = probe({ pluginConfig: mode });
      const r = host.request({ requestHeaders: headers, responseHeaders: headers });
      expect(r.trapped).toBe(false);
      expect(r.requestHeaders).toEqual(headers);
      expect(r.responseHeaders).toEqual(headers);
      expect(r.hostCalls.proxy_get_header_map_pairs).toBe(2);
      expect(r.hostCalls.proxy_set_header_map_pairs).toBe(2);
    });
  }

  it('the host lower-cases names it is given, keeps repeated headers and maps the legacy Host to :authority (pseudo-headers first)', () => {
    const host = probe({ pluginConfig: 'echo-raw' });
    const r = host.request({ requestHeaders: { 'X-Mixed-Case': ['a', 'b'], Host: 'h' } });
    expect(r.requestHeaders).toEqual([[':authority', 'h'], ['x-mixed-case', 'a'], ['x-mixed-case', 'b']]);
  });

  it('edits in the module: set replaces all occurrences, add appends, remove removes, getJoined joins', () => {
    const r = probe().request({ requestHeaders: [['x-probe-op', 'edit'], ['x-set', 'old1'], ['x-set', 'old2'], ['x-remove-me', 'x'], ['x-multi', 'a'], ['x-multi', 'b']] });
    expect(r.requestHeaders).toEqual([
      ['x-probe-op', 'edit'], ['x-set', 'one'], ['x-multi', 'a'], ['x-multi', 'b'],
      ['x-added', 'a'], ['x-added', 'b'], ['x-multi-joined', 'a,b'],
    ]);
  });

  it('single-value calls: get (first value), NOT_FOUND as null, replace, add, remove', () => {
    const r = probe().request({ requestHeaders: [['x-probe-op', 'single'], ['x-single', 'first'], ['x-single', 'second']] });
    expect(r.requestHeaders).toEqual([['x-single', 'first+replaced'], ['x-single-added', 'missing-is-null']]);
    expect(r.hostCalls).toMatchObject({ proxy_get_header_map_value: 2, proxy_replace_header_map_value: 1, proxy_add_header_map_value: 1, proxy_remove_header_map_value: 1 });
  });

  it('counts pairs the module parsed against num_headers Envoy passed', () => {
    const r = probe().request({ requestHeaders: [['x-probe-op', 'count'], ['a', '1'], ['b', '2']] });
    expect(header(r.requestHeaders, 'x-probe-count')).toEqual(['3/3']);
  });
});

describe('properties', () => {
  const props = (specs: string[], properties: RequestInput['properties']) => {
    const r = probe().request({ requestHeaders: [['x-probe-op', 'props'], ...specs.map((s) => ['x-probe-prop', s] as [string, string])], properties });
    expect(r.trapped).toBe(false);
    return header(r.requestHeaders, 'x-probe-result');
  };

  it('reads every type as Envoy serialises it', () => {
    const when = new Date('2026-01-02T03:04:05.678Z');
    const results = props([
      'int64:xds/listener_direction', 'int64:listener_direction', 'string:xds/cluster_name', 'string:cluster_name',
      'string:xds/node/id', 'string:node/id', 'string:xds/node/metadata/NAME', 'string:request/id',
      'int64:request/time', 'bytes:request/time', 'int64:big', 'int64:negative', 'bytes:flag', 'bytes:ratio', 'bytes:raw',
      'map:xds/node/metadata/LABELS',
    ], {
      'xds.listener_direction': 1n,
      listener_direction: 2,
      'xds.cluster_name': 'outbound|9080||reviews.default.svc.cluster.local',
      cluster_name: 'inbound|9080||',
      'xds.node': { id: 'sidecar~10.0.0.5~reviews-v1-abc.default~default.svc.cluster.local', metadata: { NAME: 'reviews-v1-abc', LABELS: { app: 'reviews', 'service.istio.io/canonical-name': 'reviews' } } },
      node: { id: 'router~old' },
      'request.id': 'abc-123',
      'request.time': when,
      big: 9_007_199_254_740_993n,
      negative: -5n,
      flag: true,
      ratio: 0.5,
      raw: Uint8Array.from([0, 255, 16]),
    });
    const ns = BigInt(when.getTime()) * 1_000_000n;
    const le = Buffer.alloc(8); le.writeBigInt64LE(ns);
    expect(results).toEqual([
      'int64:xds/listener_direction=1', 'int64:listener_direction=2',
      'string:xds/cluster_name=outbound|9080||reviews.default.svc.cluster.local', 'string:cluster_name=inbound|9080||',
      'string:xds/node/id=sidecar~10.0.0.5~reviews-v1-abc.default~default.svc.cluster.local', 'string:node/id=router~old',
      'string:xds/node/metadata/NAME=reviews-v1-abc', 'string:request/id=abc-123',
      `int64:request/time=${ns}`, `bytes:request/time=${le.toString('hex')}`, 'int64:big=9007199254740993', 'int64:negative=-5',
      'bytes:flag=01', 'bytes:ratio=000000000000e03f', 'bytes:raw=00ff10',
      'map:xds/node/metadata/LABELS=app=reviews;service.istio.io/canonical-name=reviews',
    ]);
  });

  it('NOT_FOUND (status 1) for a missing property, a missing field, a path through a leaf', () => {
    expect(props(['string:xds/nothing', 'string:xds/node/missing', 'string:xds/cluster_name/deeper', 'int64:missing'], {
      'xds.cluster_name': 'c', 'xds.node': { id: 'n' },
    })).toEqual([`string:xds/nothing!${Status.NOT_FOUND}`, `string:xds/node/missing!${Status.NOT_FOUND}`, `string:xds/cluster_name/deeper!${Status.NOT_FOUND}`, `int64:missing!${Status.NOT_FOUND}`]);
  });

  it('empty values come back as pointer 0 / size 0 without a malloc, as in Envoy', () => {
    const host = probe();
    const r = host.request({ requestHeaders: [['x-probe-op', 'props'], ['x-probe-prop', 'string:request/id']], properties: { 'request.id': '' } });
    expect(header(r.requestHeaders, 'x-probe-result')).toEqual(['string:request/id=']);
    expect(r.mallocCalls).toBe(2); // only the request and the response header maps
    const single = host.request({ requestHeaders: [['x-probe-op', 'single'], ['x-single', '']] });
    expect(single.requestHeaders).toEqual([['x-single', '+replaced'], ['x-single-added', 'missing-is-null']]);
  });

  it('a dotted name is not a path: Envoy reads xds.cluster_name as segments xds, cluster_name', () => {
    expect(props(['string:xds.cluster_name'], { 'xds.cluster_name': 'c' })).toEqual([`string:xds.cluster_name!${Status.NOT_FOUND}`]);
  });

  it('a struct read whole is a map: the header-map wire format, every value serialised by its type (serializeValue, kMap)', () => {
    const want = marshalPairs([[Buffer.from('NAME'), Buffer.from('x')], [Buffer.from('N'), Buffer.from([3, 0, 0, 0, 0, 0, 0, 0])]]);
    expect(props(['bytes:xds/node/metadata'], { 'xds.node': { id: 'n', metadata: { NAME: 'x', N: 3n } } })).toEqual([`bytes:xds/node/metadata=${want.toString('hex')}`]);
  });

  it('per-request properties override the host-wide ones', () => {
    const host = ProxyWasmHost.load(built(PROBE_WASM), { rootId: 'probe', properties: { 'xds.cluster_name': 'base', 'request.id': 'r' } });
    host.configure();
    const r = host.request({ requestHeaders: [['x-probe-op', 'props'], ['x-probe-prop', 'string:xds/cluster_name'], ['x-probe-prop', 'string:request/id']], properties: { 'xds.cluster_name': 'mine' } });
    expect(header(r.requestHeaders, 'x-probe-result')).toEqual(['string:xds/cluster_name=mine', 'string:request/id=r']);
  });
});

describe('configuration and root contexts', () => {
  it('delivers VM and plugin configuration', () => {
    const host = ProxyWasmHost.load(built(PROBE_WASM), { rootId: 'probe', vmConfig: 'vm-conf', pluginConfig: { direction: 'inbound' } });
    expect(host.logs.map((l) => l.message)).toContain("probe: vm start, vm config 'vm-conf'");
    const r = host.configure();
    expect(r).toMatchObject({ vmStarted: true, accepted: true, trapped: false });
    expect(r.logs.map((l) => l.message)).toEqual(['probe: configured with \'{"direction":"inbound"}\'']);
  });

  it('reports a configuration the module rejects', () => {
    const host = ProxyWasmHost.load(built(PROBE_WASM), { rootId: 'probe', pluginConfig: 'reject' });
    const r = host.configure();
    expect(r.accepted).toBe(false);
    expect(r.logs).toEqual([{ level: 'warn', message: "probe: refusing configuration 'reject'" }]);
    expect(host.configure('fine').accepted).toBe(true);
  });

  it('refuses configuration for an unknown root id, saying which ids exist', () => {
    const host = ProxyWasmHost.load(built(PROBE_WASM), { rootId: 'other' });
    expect(host.logs).toContainEqual({ level: 'critical', message: "meshtrace: no root context registered for root id 'other' (registered: probe)" });
    expect(host.configure().accepted).toBe(false);
  });

  it('maps an empty root id to the single registered root', () => {
    expect(ProxyWasmHost.load(built(PROBE_WASM), { rootId: '', pluginConfig: 'x' }).configure().accepted).toBe(true);
  });

  it('the meshtrace filter registers root id meshtrace and lets requests through', () => {
    const host = ProxyWasmHost.load(built(FILTER_WASM), { rootId: 'meshtrace' });
    expect(host.configure().accepted).toBe(true);
    const r = host.request({ requestHeaders: { ':method': 'GET', ':path': '/' } });
    expect(r).toMatchObject({ trapped: false, requestAction: 0, responseAction: 0 });
  });
});

describe('metrics, shared data, time, randomness, local responses, http calls', () => {
  it('defines and updates counters, gauges and histograms', () => {
    const host = probe();
    host.request({ requestHeaders: { a: '1' } });
    host.request({ requestHeaders: { a: '1', b: '2' } });
    expect(host.metric('probe_requests_total')).toMatchObject({ type: 'counter', value: 2n });
    expect(host.metric('probe_inflight')).toMatchObject({ type: 'gauge', value: 0n });
    expect(host.metric('probe_header_bytes')?.samples).toEqual([4n + 8n + 2n + 2n, 4n + 16n + 4n + 4n]); // wire size: count, lengths, NUL-terminated names and values
  });

  it('shared data with compare-and-swap', () => {
    const host = probe();
    const first = host.request({ requestHeaders: { 'x-probe-op': 'shared' } });
    expect(header(first.requestHeaders, 'x-shared')).toEqual([`absent|${Status.OK}|${Status.CAS_MISMATCH}|v1`]);
    const second = host.request({ requestHeaders: { 'x-probe-op': 'shared' } });
    expect(header(second.requestHeaders, 'x-shared')).toEqual([`v1|${Status.OK}|${Status.CAS_MISMATCH}|v2`]);
    expect(host.sharedData.get('probe-key')?.value.toString()).toBe('v2');
  });

  it('time, randomness (WASI random_get) and log level come from the host', () => {
    let n = 0;
    const host = probe({ nowNanos: () => 1_700_000_000_123_456_789n, randomFill: (b) => b.fill(0xab + n++), logLevel: 'debug' });
    const r = host.request({ requestHeaders: { 'x-probe-op': 'misc' } });
    expect(header(r.requestHeaders, 'x-random')).toEqual(['acacacacacacacac/16']);
    expect(header(r.requestHeaders, 'x-time')).toEqual(['1700000000123456789']);
    expect(header(r.requestHeaders, 'x-log-level')).toEqual(['1']);
    expect(r.hostCalls['wasi.random_get']).toBe(2);
  });

  it('a local response replaces the upstream answer and stops the request', () => {
    const r = probe().request({ requestHeaders: { 'x-probe-op': 'local' }, responseHeaders: { ':status': '200', server: 'app' } });
    expect(r.requestAction).toBe(4); // cpp-host: StopIteration (and any result after a local response) is StopAllIterationAndWatermark
    expect(r.forwarded).toBe(false);
    expect(r.localResponse).toEqual({ statusCode: 403, details: 'probe_denied', body: 'denied by probe', headers: [['x-local', 'yes']], grpcStatus: -1 });
    expect(r.responseHeaders).toEqual([[':status', '403'], ['x-local', 'yes']]);
  });

  it('http calls are recorded and their answers dispatched to the calling context', () => {
    const host = probe();
    expect(host.tickPeriodMs).toBe(1000);
    const tick = host.tick();
    expect(tick.logs.map((l) => l.message)).toEqual([`probe: tick, http call token 1 status ${Status.OK}`]);
    expect(host.httpCalls).toEqual([{ token: 1, contextId: 1, upstream: 'outbound|80||probe.local', headers: [[':method', 'GET'], [':path', '/tick'], [':authority', 'probe.local']], body: 'tick', trailers: [], timeoutMs: 1000 }]);
    const answer = host.respondToHttpCall(1, { headers: { ':status': '204' }, body: 'pong' });
    expect(answer.logs.map((l) => l.message)).toEqual(["probe: http call 1 answered 204 body 'pong'"]);
  });

  it('an http call to an unknown cluster is refused with BAD_ARGUMENT', () => {
    const host = probe({ clusters: ['known'] });
    const r = host.request({ requestHeaders: { 'x-probe-op': 'httpcall' } });
    expect(r.logs.map((l) => l.message)).toEqual([`probe: http call token 0 status ${Status.BAD_ARGUMENT}`]);
    expect(r.httpCalls).toEqual([]);
  });
});

describe('traps are failed requests, not crashes (fail-open)', () => {
  it('reports the trap, keeps the headers as before the callback, and reloads the VM', () => {
    const host = probe();
    const headers: Array<[string, string]> = [['x-probe-op', 'trap'], ['x-keep', 'me']];
    const r = host.request({ requestHeaders: headers });
    expect(r.trapped).toBe(true);
    expect(r.error).toBe('Function: proxy_on_request_headers failed: unreachable');
    expect(r.requestHeaders).toEqual(headers);
    expect(r.logs[0]).toEqual({ level: 'critical', message: 'meshtrace: abort: Index out of range at ~lib/array.ts:114:42' });
    const next = host.request({ requestHeaders: { 'x-probe-op': 'count' } });
    expect(next.trapped).toBe(false);
    expect(header(next.requestHeaders, 'x-probe-count')).toEqual(['1/1']);
    expect(host.reloads).toBe(1);
  });

  it('without reload, later requests bypass the failed filter', () => {
    const host = probe({ reloadOnFailure: false });
    host.request({ requestHeaders: { 'x-probe-op': 'trap' } });
    const next = host.request({ requestHeaders: { 'x-probe-op': 'count' } });
    expect(next).toMatchObject({ bypassed: true, trapped: false, requestAction: null });
    expect(next.requestHeaders).toEqual([['x-probe-op', 'count']]);
  });
});

describe('host-call accounting', () => {
  it('counts host calls by name and bytes in each direction', () => {
    const r = probe({ pluginConfig: 'echo-raw' }).request({ requestHeaders: [['ab', 'cd']], responseHeaders: [[':status', '200']] });
    // get pairs + set pairs per direction, plus the probe's metric updates (counter +1, gauge +1/-1, histogram).
    expect(r.hostCalls).toEqual({ proxy_get_header_map_pairs: 2, proxy_set_header_map_pairs: 2, proxy_increment_metric: 3, proxy_record_metric: 1 });
    expect(r.hostCallCount).toBe(8);
    const reqBytes = 4 + 8 + 3 + 3;
    const respBytes = 4 + 8 + 8 + 4;
    expect(r.bytesToModule).toBe(reqBytes + respBytes);
    expect(r.bytesFromModule).toBe(reqBytes + respBytes);
    expect(r.mallocCalls).toBe(2);
  });
});
