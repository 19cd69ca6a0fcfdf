/**
 * The host behaves like Envoy where a filter can notice it (issue 12). Each test names the
 * Envoy / proxy-wasm-cpp-host source it reproduces and drives a real compiled module
 * (build/probe-filter.wasm, filter/examples/probe.ts) through the host.
 */
import { describe, expect, it } from 'vitest';
import { ProxyWasmHost, SharedDataStore, Status, Action, decodeNode, type HostOptions } from '../../host/index.js';
import { PROBE_WASM, built } from '../abi/helpers.js';

const probe = (opts: HostOptions = {}) => {
  const host = ProxyWasmHost.load(built(PROBE_WASM), { rootId: 'probe', ...opts });
  expect(host.configure().accepted).toBe(true);
  return host;
};
const messages = (logs: Array<{ message: string }>) => logs.map((l) => l.message).filter((m) => m.startsWith('probe: '));
const header = (list: Array<[string, string]>, name: string) => list.filter(([k]) => k === name).map(([, v]) => v);

describe('header maps (source/common/http/header_map_impl.cc, extensions/common/wasm/context.cc)', () => {
  it('proxy_replace_header_map_value is setCopy: every entry removed, one added at the END (Context::replaceHeaderMapValue → HeaderMapImpl::setCopy)', () => {
    const r = probe().request({ requestHeaders: [['x-single', 'first'], ['x-probe-op', 'single'], ['x-other', 'o'], ['x-single', 'second']] });
    // get (first value) → replace moves x-single to the end → add → remove x-probe-op
    expect(r.requestHeaders).toEqual([['x-other', 'o'], ['x-single', 'first+replaced'], ['x-single-added', 'missing-is-null']]);
  });

  it('inline headers hold one entry: repeats are joined with "," on the codec path, on add and on set pairs (HeaderMapImpl::insertByKey / appendToHeader)', () => {
    const r = probe().request({
      requestHeaders: [[':path', '/'], ['x-probe-op', 'inline'], ['x-request-id', 'r1'], ['user-agent', 'a'], ['x-request-id', 'r2'], ['user-agent', 'b'], ['x-custom', '1'], ['x-custom', '2']],
    });
    expect(r.requestHeaders).toEqual([
      [':path', '/'], [':scheme', 'https'],
      ['x-request-id', 'r1,r2,added'], ['user-agent', 'a,b'], ['x-custom', '1'], ['x-custom', '2'],
      ['via', '1.1 a,1.1 b'], ['x-plain', '1'], ['x-plain', '2'],
    ]);
  });

  it('a filter sees two x-request-id headers as one comma-joined value (the downstream codec joins them)', () => {
    const r = probe().request({ requestHeaders: [['x-probe-op', 'single'], ['x-request-id', 'a'], ['x-request-id', 'b']] });
    expect(header(r.requestHeaders, 'x-request-id')).toEqual(['a,b']);
  });

  it('pseudo-headers stay first whatever order they arrive or are added in (HeaderList::insert)', () => {
    const r = probe({ pluginConfig: 'echo-raw' }).request({ requestHeaders: [['a', '1'], [':path', '/'], ['b', '2'], [':method', 'GET']] });
    expect(r.requestHeaders).toEqual([[':path', '/'], [':method', 'GET'], ['a', '1'], ['b', '2']]);
  });

  it('names are lower-cased ASCII only (LowerCaseString: absl::AsciiStrToLower); values are bytes, kept exactly', () => {
    const name = Buffer.from([0x58, 0x2d, 0xc4, 0x42]); // "X-" 0xC4 "B": 0xC4 is Ä in Latin-1, not ASCII
    const value = Buffer.from([0xff, 0xfe, 0x80, 0x41]); // not UTF-8
    const r = probe({ pluginConfig: 'echo-raw' }).request({ requestHeaders: [[name, value], ['x-text', 'héllo']] });
    expect(r.requestHeaderBytes.map(([k, v]) => [k.toString('hex'), v.toString('hex')])).toEqual([
      ['782dc462', 'fffe8041'], [Buffer.from('x-text').toString('hex'), Buffer.from('héllo').toString('hex')],
    ]);
  });
});

describe('header lifetime (Context::decodeHeaders / encodeHeaders / log; getMap / getConstMap / getHeaderMapPairs)', () => {
  it('request map: gone after Continue (pairs OK + empty, one value and writes BAD_ARGUMENT); response map absent in the request phase; log phase: read-only copies', () => {
    const r = probe().request({ requestHeaders: [[':path', '/'], ['x-probe-op', 'lifetime']], responseHeaders: [[':status', '200'], ['server', 'app']] });
    expect(messages(r.logs)).toEqual([
      `probe: request phase, response map: pairs=0/${Status.OK} value=!${Status.BAD_ARGUMENT} add=${Status.BAD_ARGUMENT}`,
      `probe: response phase, request map: pairs=0/${Status.OK} value=!${Status.BAD_ARGUMENT} add=${Status.BAD_ARGUMENT}`,
      `probe: response phase, response map: pairs=2/${Status.OK} value=200 add=${Status.OK}`,
      // proxy_on_log: the final maps, readable (the response shows the header added above), not writable
      `probe: log phase, request map: pairs=2/${Status.OK} value=lifetime add=${Status.BAD_ARGUMENT}`,
      `probe: log phase, response map: pairs=3/${Status.OK} value=1 add=${Status.BAD_ARGUMENT}`,
    ]);
    expect(r.responseHeaders).toEqual([[':status', '200'], ['server', 'app'], ['x-probe-late', '1']]);
  });
});

describe('traps and stream actions (proxy-wasm-cpp-host src/context.cc CHECK_FAIL_HTTP, convertVmCallResultToFilterHeadersStatus)', () => {
  it('a trap rolls nothing back: with fail-open the request goes upstream as the filter left it', () => {
    const r = probe().request({ requestHeaders: [['x-probe-op', 'edit-then-trap'], ['x-keep', 'me']] });
    expect(r.trapped).toBe(true);
    expect(r.forwarded).toBe(true);
    expect(header(r.requestHeaders, 'x-edited')).toEqual(['before-trap']);
    expect(header(r.requestHeaders, 'x-replaced')).toEqual(['before-trap']);
    expect(header(r.requestHeaders, 'x-keep')).toEqual(['me']);
    expect(r.responseAction).toBeNull(); // the failed VM gets no further callbacks
  });

  it('with fail-close the request is answered 503 wasm_fail_stream', () => {
    const r = probe({ failOpen: false }).request({ requestHeaders: [['x-probe-op', 'edit-then-trap']] });
    expect(r).toMatchObject({ trapped: true, forwarded: false, localResponse: { statusCode: 503, details: 'wasm_fail_stream' } });
    expect(r.responseHeaders).toEqual([[':status', '503']]);
  });

  it('StopIteration from an ABI 0.2.x module becomes StopAllIterationAndWatermark: the request waits (not forwarded)', () => {
    const r = probe().request({ requestHeaders: { 'x-probe-op': 'stop' } });
    expect(r.requestAction).toBe(Action.StopAllIterationAndWatermark);
    expect(r.forwarded).toBe(false);
    expect(r.responseAction).toBeNull();
    const resumed = probe().request({ requestHeaders: { 'x-probe-op': 'stop-and-continue' } });
    expect(resumed).toMatchObject({ requestAction: Action.StopAllIterationAndWatermark, forwarded: true, responseAction: Action.Continue });
  });
});

describe('properties, configuration and metrics (context.cc findValue, serializeValue, getBuffer, defineMetric, incrementMetric)', () => {
  it('the root context resolves only xds.node and plugin_*; plugin_name is the plugin\'s name, not the root id', () => {
    const host = ProxyWasmHost.load(built(PROBE_WASM), {
      rootId: 'probe', pluginName: 'istio-system.meshtrace-filter', pluginConfig: 'root-props',
      properties: { 'xds.node': { id: 'sidecar~1' }, 'xds.cluster_name': 'inbound|9080||', 'xds.listener_direction': 1n },
    });
    const c = host.configure();
    expect(messages(c.logs)).toEqual([
      'probe: root node=sidecar~1',
      `probe: root cluster=!${Status.NOT_FOUND}`,
      `probe: root listener_direction status ${Status.NOT_FOUND}`,
      'probe: plugin_name=istio-system.meshtrace-filter plugin_root_id=probe',
      "probe: configured with 'root-props'",
    ]);
    // the same properties resolve in a stream context
    const r = host.request({ requestHeaders: [['x-probe-op', 'props'], ['x-probe-prop', 'string:xds/cluster_name']] });
    expect(header(r.requestHeaders, 'x-probe-result')).toEqual(['string:xds/cluster_name=inbound|9080||']);
  });

  it('a whole message is its protobuf serialisation (serializeValue, kMessage): xds.node is an envoy.config.core.v3.Node', () => {
    const r = probe().request({ requestHeaders: [['x-probe-op', 'props'], ['x-probe-prop', 'bytes:xds/node']], properties: { 'xds.node': { id: 'sidecar~10.0.0.5~a.b~b.svc', cluster: 'reviews', metadata: { NAME: 'reviews-v1', LABELS: { app: 'reviews' } } } } });
    const [result] = header(r.requestHeaders, 'x-probe-result');
    const node = decodeNode(Buffer.from(result!.slice('bytes:xds/node='.length), 'hex'));
    expect(node).toEqual({
      id: 'sidecar~10.0.0.5~a.b~b.svc', cluster: 'reviews',
      metadata: { fields: { NAME: { stringValue: 'reviews-v1' }, LABELS: { structValue: { fields: { app: { stringValue: 'reviews' } } } } } },
    });
  });

  it('the plugin configuration is readable only while configuring (getBuffer: temp_plugin_)', () => {
    const r = probe({ pluginConfig: 'secret' }).request({ requestHeaders: { 'x-probe-op': 'config-buffer' } });
    expect(header(r.requestHeaders, 'x-config-buffer')).toEqual([`!${Status.NOT_FOUND}`]);
  });

  it('every define_metric returns a new id for the same stat; a counter increment ≤ 0 is BAD_ARGUMENT', () => {
    const host = probe();
    const r = host.request({ requestHeaders: { 'x-probe-op': 'metric-ids' } });
    const [text] = header(r.requestHeaders, 'x-metric-ids');
    const [ids, rest] = text!.split(' inc ');
    const [a, b] = ids!.split(',').map(Number);
    expect(a).not.toBe(b);
    expect([a! & 3, b! & 3]).toEqual([0, 0]); // the type (counter = 0) is in the low bits
    expect(rest).toBe(`${Status.OK},${Status.OK} zero ${Status.BAD_ARGUMENT} negative ${Status.BAD_ARGUMENT}`);
    expect(host.metric('probe_twice_total')?.value).toBe(3n);
  });
});

describe('shared data (proxy-wasm-cpp-host src/shared_data.cc): shared by every VM of one vm_id in the process', () => {
  it('two VMs (worker threads) with one store see each other\'s writes and CAS tokens; another vm_id does not', () => {
    const store = new SharedDataStore();
    const worker1 = probe({ sharedData: store, vmId: 'meshtrace' });
    const worker2 = probe({ sharedData: store, vmId: 'meshtrace' });
    const other = probe({ sharedData: store, vmId: 'other' });
    const first = worker1.request({ requestHeaders: { 'x-probe-op': 'shared' } });
    expect(header(first.requestHeaders, 'x-shared')).toEqual([`absent|${Status.OK}|${Status.CAS_MISMATCH}|v1`]);
    const second = worker2.request({ requestHeaders: { 'x-probe-op': 'shared' } });
    expect(header(second.requestHeaders, 'x-shared')).toEqual([`v1|${Status.OK}|${Status.CAS_MISMATCH}|v2`]);
    const third = other.request({ requestHeaders: { 'x-probe-op': 'shared' } });
    expect(header(third.requestHeaders, 'x-shared')).toEqual([`absent|${Status.OK}|${Status.CAS_MISMATCH}|v1`]);
    expect(worker1.sharedData).toBe(worker2.sharedData);
    expect(worker1.sharedData.get('probe-key')?.value.toString()).toBe('v2');
  });

  it('CAS tokens come from one process-wide counter that skips 0; a token for a missing key is accepted', () => {
    const store = new SharedDataStore();
    expect(store.set('vm', 'k', Buffer.from('a'), 0)).toBe('ok');
    const cas = store.get('vm', 'k')!.cas;
    expect(store.set('vm', 'k', Buffer.from('b'), cas + 1)).toBe('cas_mismatch');
    expect(store.set('vm', 'k', Buffer.from('b'), cas)).toBe('ok');
    expect(store.get('vm', 'k')!.cas).toBe(cas + 1);
    expect(store.set('vm', 'missing', Buffer.from('x'), 12345)).toBe('ok');
  });
});

describe('timers (Envoy\'s per-root-context timer → proxy_on_tick)', () => {
  it('a due tick fires before the next request, on the host\'s clock', () => {
    let now = 1_000_000_000n;
    const host = probe({ nowNanos: () => now });
    expect(host.tickPeriodMs).toBe(1000);
    host.request({});
    expect(host.httpCalls).toHaveLength(0); // not due yet
    now += 1_000_000_000n;
    host.request({});
    expect(host.httpCalls.map((c) => c.upstream)).toEqual(['outbound|80||probe.local']); // the probe's tick makes an http call
    host.request({});
    expect(host.httpCalls).toHaveLength(1);
    const off = probe({ nowNanos: () => now + 10_000_000_000n, autoTick: false });
    off.request({});
    expect(off.httpCalls).toHaveLength(0);
  });
});
