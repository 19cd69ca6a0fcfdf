/**
 * Healing torn traces (issue 11) through the real build/meshtrace-filter.wasm: an inbound request
 * remembers its context under its x-request-id in shared data; an outbound request of the same
 * request (same ID, the version nibble at index 14 aside) that arrived without a context gets it
 * back. Shared data is one SharedDataStore per emulated Envoy process, shared by every VM
 * (worker thread) of the vm_id; time is a fake clock the filter reads on proxy_on_tick.
 */
import { describe, expect, it } from 'vitest';
import { ProxyWasmHost, SharedDataStore, type HeaderList, type HostOptions } from '../../host/index.js';
import { realisticRequest } from '../../host/index.js';
import { filterBytes, contextOf, contextProblems, values, INBOUND, OUTBOUND, SIDECAR_NODE } from './helpers.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const S = '00f067aa0ba902b7';
const TP = `00-${T}-${S}-01`;
const ID = 'f81d4fae-7dec-41d0-a765-00a0c91e6bf6'; // index 14: '1' — the version nibble Envoy rewrites
const withVersion = (id: string, c: string) => `${id.slice(0, 14)}${c}${id.slice(15)}`;
const SECOND = 1_000_000_000n;

/** A sidecar: VMs of one Envoy process sharing `shared`, on a clock the test moves. */
function sidecar(pluginConfig: object = {}, shared = new SharedDataStore()) {
  const clock = { now: 1_765_000_000n * SECOND };
  const vm = (options: HostOptions = {}) => {
    const host = ProxyWasmHost.load(filterBytes(), {
      pluginConfig, sharedData: shared, vmId: 'meshtrace', nowNanos: () => clock.now,
      properties: { 'xds.node': { id: SIDECAR_NODE } }, reloadOnFailure: false, ...options,
    });
    if (!host.configure().accepted) throw new Error('configuration refused');
    return host;
  };
  const host = vm();
  const run = (h: ProxyWasmHost, properties: object, requestHeaders: HeaderList) => {
    const r = h.request({ properties, requestHeaders });
    if (r.trapped) throw new Error(`trapped: ${r.error}`);
    return r;
  };
  return {
    host, shared, clock, vm,
    inbound: (headers: HeaderList, h = host) => run(h, INBOUND, headers),
    outbound: (headers: HeaderList, h = host) => run(h, OUTBOUND, headers),
    advance: (seconds: number) => { clock.now += BigInt(seconds) * SECOND; },
  };
}
/** Healing's counters, as Envoy has them after the root context's next tick (the filter adds them to Envoy's stats once a second). */
const heal = (h: ProxyWasmHost) => {
  h.tick();
  return { healed: h.metric('meshtrace_heal_healed_total')?.value, misses: h.metric('meshtrace_heal_misses_total')?.value, expired: h.metric('meshtrace_heal_expired_total')?.value };
};

describe('healing torn traces (real .wasm)', () => {
  it('inbound then outbound with the same ID: the outbound request carries the inbound context in every format, stamped healed', () => {
    const s = sidecar();
    const inb = s.inbound([[':path', '/'], ['traceparent', TP], ['tracestate', 'congo=t61rcWkgMzE'], ['x-request-id', ID]]);
    expect(inb.hostCalls.proxy_set_shared_data).toBe(1);
    const out = s.outbound([[':path', '/reviews'], ['x-request-id', ID]]);
    expect(contextOf(out.requestHeaders)).toEqual({
      traceparent: TP, tracestate: 'congo=t61rcWkgMzE', 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-sampled': '1',
    });
    expect(values(out.requestHeaders, 'x-meshtrace-healed')).toEqual(['1']);
    expect(contextProblems(out.requestHeaders)).toEqual([]);
    expect(out.hostCalls.proxy_get_shared_data).toBe(1);
    expect(out.hostCallCount).toBeLessThanOrEqual(6);
    expect(out.hostCalls.proxy_increment_metric).toBe(1); // its direction; healing's counter waits for the tick
    expect(s.host.metric('meshtrace_heal_healed_total')?.value).toBe(0n);
    expect(heal(s.host)).toEqual({ healed: 1n, misses: 0n, expired: 0n });
    expect(s.host.metric('meshtrace_contexts_converted_total')?.value).toBe(1n); // the inbound request's X-B3-*, not the healed one
  });

  it.each(['4', '9', 'a', 'b'])('the character at index 14 (Envoy\'s trace decision, here %s) does not matter', (c) => {
    const s = sidecar();
    s.inbound([['traceparent', TP], ['x-request-id', withVersion(ID, '4')]]);
    const out = s.outbound([['x-request-id', withVersion(ID, c)]]);
    expect(values(out.requestHeaders, 'traceparent')).toEqual([TP]);
    expect(heal(s.host).healed).toBe(1n);
  });

  it('upper-case hex in the ID is the same ID', () => {
    const s = sidecar();
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    expect(values(s.outbound([['x-request-id', ID.toUpperCase()]]).requestHeaders, 'traceparent')).toEqual([TP]);
  });

  it('a different ID is a miss: nothing is added', () => {
    const s = sidecar();
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    const out = s.outbound([['x-request-id', 'f81d4fae-7dec-41d0-a765-00a0c91e6bf7']]);
    expect(contextOf(out.requestHeaders)).toEqual({});
    expect(values(out.requestHeaders, 'x-meshtrace-healed')).toEqual([]);
    expect(heal(s.host)).toEqual({ healed: 0n, misses: 1n, expired: 0n });
  });

  it('an entry older than heal_ttl_seconds (default 60) is ignored and counted expired', () => {
    const s = sidecar();
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    s.advance(59);
    expect(values(s.outbound([['x-request-id', ID]]).requestHeaders, 'traceparent')).toEqual([TP]);
    s.advance(3); // 62 s: the tick before the next request moves the filter's clock
    expect(contextOf(s.outbound([['x-request-id', ID]]).requestHeaders)).toEqual({});
    expect(heal(s.host)).toEqual({ healed: 1n, misses: 0n, expired: 1n });
    const short = sidecar({ heal_ttl_seconds: 5 });
    short.inbound([['traceparent', TP], ['x-request-id', ID]]);
    short.advance(7);
    expect(contextOf(short.outbound([['x-request-id', ID]]).requestHeaders)).toEqual({});
    expect(heal(short.host).expired).toBe(1n);
  });

  it('a slot overwritten by another ID is a miss for the first ID, a hit for the second', () => {
    const s = sidecar({ heal_slots: 1 });
    const other = 'a81d4fae-7dec-41d0-a765-00a0c91e6bf6';
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    s.inbound([['traceparent', `00-${'1'.repeat(32)}-${S}-01`], ['x-request-id', other]]);
    expect(contextOf(s.outbound([['x-request-id', ID]]).requestHeaders)).toEqual({});
    expect(values(s.outbound([['x-request-id', other]]).requestHeaders, 'traceparent')).toEqual([`00-${'1'.repeat(32)}-${S}-01`]);
    expect(heal(s.host)).toEqual({ healed: 1n, misses: 1n, expired: 0n });
    expect(s.host.sharedData.size).toBe(1);
  });

  it('an outbound request that arrived with a valid context keeps it: looked up only for an alias, and this ID has none', () => {
    const s = sidecar();
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    const own = `00-${'2'.repeat(32)}-${'3'.repeat(16)}-00`;
    for (const headers of [[['traceparent', own]], [['b3', `${'2'.repeat(32)}-${'3'.repeat(16)}-0`]], [['x-b3-traceid', '2'.repeat(32)], ['x-b3-spanid', '3'.repeat(16)]]] as HeaderList[]) {
      const out = s.outbound([...headers, ['x-request-id', ID]]);
      expect(out.hostCalls.proxy_get_shared_data).toBe(1);
      expect(values(out.requestHeaders, 'x-meshtrace-healed')).toEqual([]);
      expect(values(out.requestHeaders, 'x-meshtrace-healed-trace')).toEqual([]);
      expect(contextOf(out.requestHeaders).traceparent).toBe(headers[0]![0] === 'traceparent' ? own : `00-${'2'.repeat(32)}-${'3'.repeat(16)}-00`);
    }
    expect(heal(s.host)).toEqual({ healed: 0n, misses: 0n, expired: 0n });
    expect(s.host.metric('meshtrace_heal_aliased_total')?.value).toBe(0n);
  });

  it.each(['not-a-uuid', '', 'f81d4fae7dec41d0a76500a0c91e6bf6', 'f81d4fae-7dec-41d0-a765-00a0c91e6bfg', `${ID},${ID}`])(
    'an x-request-id that is not a UUID (%j) is neither remembered nor looked up', (id) => {
      const s = sidecar({ generate_request_id: false });
      const inb = s.inbound([['traceparent', TP], ['x-request-id', id]]);
      expect(inb.hostCalls.proxy_set_shared_data ?? 0).toBe(0);
      const out = s.outbound([['x-request-id', id]]);
      expect(out.hostCalls.proxy_get_shared_data ?? 0).toBe(0);
      expect(contextOf(out.requestHeaders)).toEqual({});
      expect(heal(s.host)).toEqual({ healed: 0n, misses: 0n, expired: 0n });
    },
  );

  it('two VMs sharing data as Envoy\'s worker threads do: remembered on one, healed on the other', () => {
    const s = sidecar();
    const worker2 = s.vm();
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    const out = s.outbound([['x-request-id', ID]], worker2);
    expect(values(out.requestHeaders, 'traceparent')).toEqual([TP]);
    expect(values(out.requestHeaders, 'x-meshtrace-healed')).toEqual(['1']);
    expect(heal(worker2).healed).toBe(1n);
    // another Envoy process (another store) knows nothing of it
    const elsewhere = sidecar();
    expect(contextOf(elsewhere.outbound([['x-request-id', ID]]).requestHeaders)).toEqual({});
  });

  it('a B3 context is remembered and restored in every configured format, with its parent and sampling state', () => {
    const s = sidecar({ propagation: ['tracecontext', 'b3', 'b3multi'] });
    const P = 'b7ad6b7169203331';
    s.inbound([['b3', `${T}-${S}-d-${P}`], ['x-request-id', ID]]);
    const out = s.outbound([['x-request-id', ID]]);
    expect(contextOf(out.requestHeaders)).toEqual({
      b3: `${T}-${S}-d-${P}`, traceparent: TP, 'x-b3-traceid': T, 'x-b3-spanid': S, 'x-b3-parentspanid': P, 'x-b3-flags': '1',
    });
    expect(contextProblems(out.requestHeaders)).toEqual([]);
  });

  it('an explicit deny on the outbound request (b3: 0) is kept: the healed context goes on unsampled', () => {
    const s = sidecar({ propagation: ['tracecontext', 'b3'] });
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    const out = s.outbound([['b3', '0'], ['x-request-id', ID]]);
    expect(contextOf(out.requestHeaders)).toEqual({ traceparent: `00-${T}-${S}-00`, b3: `${T}-${S}-0` });
  });

  it('what the inbound request forwards is what is remembered: a repeated tracestate key dropped, an invalid tracestate not at all', () => {
    const s = sidecar({ propagation: ['tracecontext'] });
    s.inbound([['traceparent', TP], ['tracestate', 'a=1,b=2,a=3'], ['x-request-id', ID]]);
    expect(contextOf(s.outbound([['x-request-id', ID]]).requestHeaders)).toEqual({ traceparent: TP, tracestate: 'a=1,b=2' });
    s.inbound([['traceparent', TP], ['tracestate', 'A=1'], ['x-request-id', ID]]);
    expect(contextOf(s.outbound([['x-request-id', ID]]).requestHeaders)).toEqual({ traceparent: TP });
  });

  it('a caller\'s x-meshtrace-healed never goes on; healed_header renames the stamp', () => {
    const s = sidecar();
    const forged = s.inbound([['traceparent', TP], ['x-request-id', ID], ['x-meshtrace-healed', '1']]);
    expect(values(forged.requestHeaders, 'x-meshtrace-healed')).toEqual([]);
    const renamed = sidecar({ healed_header: 'x-healed' });
    renamed.inbound([['traceparent', TP], ['x-request-id', ID]]);
    const out = renamed.outbound([['x-request-id', ID], ['x-meshtrace-healed', 'kept: not ours']]);
    expect(values(out.requestHeaders, 'x-healed')).toEqual(['1']);
    expect(values(out.requestHeaders, 'x-meshtrace-healed')).toEqual(['kept: not ours']);
  });

  it('heal: false: nothing remembered, nothing looked up', () => {
    const s = sidecar({ heal: false });
    const inb = s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    const out = s.outbound([['x-request-id', ID]]);
    expect(inb.hostCalls.proxy_set_shared_data ?? 0).toBe(0);
    expect(out.hostCalls.proxy_get_shared_data ?? 0).toBe(0);
    expect(contextOf(out.requestHeaders)).toEqual({});
    expect(s.host.sharedData.size).toBe(0);
    expect(s.host.tickPeriodMs).toBe(0);
  });

  it('an entry another plugin wrote into a heal slot is not trusted (a miss, no trap)', () => {
    const s = sidecar({ heal_slots: 1 });
    s.shared.set('meshtrace', 'meshtrace.heal.0', Buffer.from('garbage that is not an entry'), 0);
    const out = s.outbound([['x-request-id', ID]]);
    expect(contextOf(out.requestHeaders)).toEqual({});
    expect(heal(s.host).misses).toBe(1n);
  });

  it('host calls on the common paths, healing on: ≤ 8 inbound, ≤ 6 outbound (also when healing)', () => {
    const s = sidecar();
    for (let i = 0; i < 4; i++) {
      const req = realisticRequest(i);
      const r = s.host.request(req);
      expect(r.hostCallCount).toBeLessThanOrEqual(i % 2 === 0 ? 8 : 6);
      if (i % 2 === 0) expect(r.hostCalls.proxy_set_shared_data).toBe(1); // inbound: one more, to remember
      else expect(r.hostCalls.proxy_get_shared_data).toBe(1); // outbound with a context: one more, for the alias
    }
    // the torn outbound request: the realistic one without its context
    const torn = realisticRequest(1);
    const inbound = realisticRequest(0);
    const id = (inbound.requestHeaders as HeaderList).find(([k]) => k === 'x-request-id')![1];
    torn.requestHeaders = (torn.requestHeaders as HeaderList).filter(([k]) => k !== 'traceparent' && k !== 'tracestate').map(([k, v]) => [k, k === 'x-request-id' ? id : v] as [string, string]);
    const r = s.host.request(torn);
    expect(values(r.requestHeaders, 'x-meshtrace-healed')).toEqual(['1']);
    expect(r.hostCallCount).toBeLessThanOrEqual(6);
    // and the torn one that misses: the lookup is the only call healing adds
    torn.requestHeaders = (torn.requestHeaders as HeaderList).map(([k, v]) => [k, k === 'x-request-id' ? 'a81d4fae-7dec-41d0-a765-00a0c91e6bf6' : v] as [string, string]);
    const miss = s.host.request(torn);
    expect(values(miss.requestHeaders, 'x-meshtrace-healed')).toEqual([]);
    expect(miss.hostCallCount).toBeLessThanOrEqual(6);
    expect(miss.hostCalls.proxy_get_shared_data).toBe(1);
  });

  it('healing\'s counters reach Envoy on the once-a-second tick, in one call each', () => {
    const s = sidecar();
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    for (let i = 0; i < 3; i++) s.outbound([['x-request-id', ID]]);
    s.outbound([['x-request-id', 'a81d4fae-7dec-41d0-a765-00a0c91e6bf6']]);
    expect(s.host.metric('meshtrace_heal_healed_total')?.value).toBe(0n);
    s.advance(1);
    const next = s.inbound([['x-request-id', 'not-a-uuid']]); // the tick fires before it
    expect(next.hostCalls.proxy_increment_metric).toBe(1); // the request's own counter only
    expect(s.host.metric('meshtrace_heal_healed_total')?.value).toBe(3n);
    expect(s.host.metric('meshtrace_heal_misses_total')?.value).toBe(1n);
  });

  it('100,000 distinct IDs: shared data stays within its slots and the VM\'s memory stays flat', { timeout: 300_000 }, () => {
    const slots = 1024;
    const s = sidecar({ heal_slots: slots, propagation: ['tracecontext'] });
    const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
    let at1000 = 0;
    for (let i = 0; i < 100_000; i++) {
      const id = `${hex(i, 8)}-7dec-41d0-a765-${hex(i * 7919, 12)}`;
      const r = s.host.request({ properties: INBOUND, requestHeaders: [['traceparent', `00-${hex(i + 1, 32)}-${S}-01`], ['tracestate', `k=${hex(i, 8)}`], ['x-request-id', id]] });
      if (r.trapped) throw new Error(r.error!);
      if (i === 999) at1000 = s.host.memorySize();
    }
    expect(s.host.memorySize()).toBe(at1000);
    expect(s.host.sharedData.size).toBeLessThanOrEqual(slots);
    expect(s.host.sharedData.size).toBeGreaterThan(slots * 0.9); // the IDs spread over the slots
    expect(s.shared.byteSize('meshtrace')).toBeLessThanOrEqual(slots * (24 + 96 + 512));
    // the newest ID is still healed
    const last = `${hex(99_999, 8)}-7dec-41d0-a765-${hex(99_999 * 7919, 12)}`;
    expect(values(s.outbound([['x-request-id', last]]).requestHeaders, 'traceparent')).toEqual([`00-${hex(100_000, 32)}-${S}-01`]);
  });
});

/**
 * The healed trace's alias (x-meshtrace-healed-trace): Envoy's own span of a healed outbound
 * request is in a new trace (it started before the filter ran), so the filter names the healed
 * trace in a header that Telemetry customTags record on that span and on the callee's inbound
 * span; the callee's filter remembers it with the context, and stamps it again on the requests
 * that continue the request. Trusted only from another sidecar (the request came over mutual TLS:
 * Envoy left x-forwarded-client-cert on it), never at gateways or waypoints.
 */
describe('the healed trace\'s alias (real .wasm)', () => {
  const ALIAS = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
  const XFCC: [string, string] = ['x-forwarded-client-cert', 'By=spiffe://cluster.local/ns/default/sa/reviews;Hash=0a1b;Subject="";URI=spiffe://cluster.local/ns/default/sa/productpage'];
  const T2 = 'c0ffee00c0ffee00c0ffee00c0ffee00';
  const S2 = '1234123412341234';
  const alias = (headers: HeaderList) => values(headers, 'x-meshtrace-healed-trace');
  const aliased = (h: ProxyWasmHost) => {
    h.tick();
    return h.metric('meshtrace_heal_aliased_total')?.value;
  };

  it('a healed outbound request carries the healed trace ID (a 64-bit B3 trace ID zero-padded)', () => {
    const s = sidecar();
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    expect(alias(s.outbound([['x-request-id', ID]]).requestHeaders)).toEqual([T]);
    const b3 = sidecar();
    b3.inbound([['x-b3-traceid', T.slice(16)], ['x-b3-spanid', S], ['x-b3-sampled', '1'], ['x-request-id', ID]]);
    expect(alias(b3.outbound([['x-request-id', ID]]).requestHeaders)).toEqual([`${'0'.repeat(16)}${T.slice(16)}`]);
  });

  it('inbound over mutual TLS: the alias goes on to the application and is remembered with the context', () => {
    const s = sidecar();
    // the callee of a healed request: Envoy's span continued traceparent T2, the alias names T1
    const inb = s.inbound([['traceparent', `00-${T2}-${S2}-01`], ['x-request-id', ID], XFCC, ['x-meshtrace-healed-trace', ALIAS]]);
    expect(alias(inb.requestHeaders)).toEqual([ALIAS]);
    expect(inb.hostCallCount).toBeLessThanOrEqual(8); // trusting it costs no host call
    // a further torn hop heals with the same alias, not with the remembered context's trace
    const torn = s.outbound([['x-request-id', ID]]);
    expect(values(torn.requestHeaders, 'traceparent')).toEqual([`00-${T2}-${S2}-01`]);
    expect(alias(torn.requestHeaders)).toEqual([ALIAS]);
    expect(heal(s.host).healed).toBe(1n);
  });

  it.each([
    ['continues the remembered trace (OpenTelemetry tracer: the callee\'s span is in T2)', `00-${T2}-${'5'.repeat(16)}-01`],
    ['continues the alias trace itself (Zipkin tracer: traceparent kept T1 beside X-B3-*)', `00-${ALIAS}-${'5'.repeat(16)}-01`],
    ['is in another trace (Zipkin tracer: an application continued X-B3-*, Envoy\'s T2, while the filter remembered traceparent)', `00-${'7'.repeat(32)}-${'5'.repeat(16)}-01`],
  ])('an outbound request of an aliased request with its own context that %s: alias stamped, context kept', (_name, traceparent) => {
    const s = sidecar();
    s.inbound([['traceparent', `00-${T2}-${S2}-01`], ['x-request-id', ID], XFCC, ['x-meshtrace-healed-trace', ALIAS]]);
    const out = s.outbound([['traceparent', traceparent], ['x-request-id', withVersion(ID, '9')]]);
    expect(values(out.requestHeaders, 'traceparent')).toEqual([traceparent]); // its context is never changed
    expect(alias(out.requestHeaders)).toEqual([ALIAS]);
    expect(values(out.requestHeaders, 'x-meshtrace-healed')).toEqual([]);
    expect(out.hostCallCount).toBeLessThanOrEqual(6);
    expect(aliased(s.host)).toBe(1n);
  });

  it('an outbound request with its own context of a request that carried no alias, or of another request: no alias', () => {
    const s = sidecar();
    s.inbound([['traceparent', `00-${T2}-${S2}-01`], ['x-request-id', ID], XFCC]);
    expect(alias(s.outbound([['traceparent', TP], ['x-request-id', ID]]).requestHeaders)).toEqual([]);
    s.inbound([['traceparent', `00-${T2}-${S2}-01`], ['x-request-id', ID], XFCC, ['x-meshtrace-healed-trace', ALIAS]]);
    expect(alias(s.outbound([['traceparent', TP], ['x-request-id', 'a81d4fae-7dec-41d0-a765-00a0c91e6bf6']]).requestHeaders)).toEqual([]);
    expect(aliased(s.host)).toBe(0n);
  });

  const forged: Array<[string, object, object, HeaderList]> = [
    ['an inbound request without the client certificate (plaintext: not from a sidecar)', {}, {}, [['x-meshtrace-healed-trace', ALIAS]]],
    ['a gateway (gateway: true), even with a client certificate', { gateway: true }, {}, [XFCC, ['x-meshtrace-healed-trace', ALIAS]]],
    ['a gateway by node id', {}, { properties: { 'xds.node': { id: 'router~10.0.0.1~istio-ingressgateway-5d8f.istio-system~istio-system.svc.cluster.local' } } }, [XFCC, ['x-meshtrace-healed-trace', ALIAS]]],
    ['a waypoint by node id', {}, { properties: { 'xds.node': { id: 'waypoint~10.0.0.9~waypoint-6c7d.bookinfo~bookinfo.svc.cluster.local' } } }, [XFCC, ['x-meshtrace-healed-trace', ALIAS]]],
    ['a malformed value', {}, {}, [XFCC, ['x-meshtrace-healed-trace', ALIAS.toUpperCase()]]],
    ['an all-zero trace ID', {}, {}, [XFCC, ['x-meshtrace-healed-trace', '0'.repeat(32)]]],
    ['the header twice', {}, {}, [XFCC, ['x-meshtrace-healed-trace', ALIAS], ['x-meshtrace-healed-trace', ALIAS]]],
  ];
  it.each(forged)('never trusted: %s (removed, not remembered)', (_name, pluginConfig, options, extra) => {
    const s = sidecar(pluginConfig);
    const h = s.vm(options as HostOptions);
    const inb = s.inbound([['traceparent', TP], ['x-request-id', ID], ...extra], h);
    expect(alias(inb.requestHeaders)).toEqual([]);
    // what was remembered carries no alias: a torn outbound request (read back by a sidecar
    // plugin sharing the store) gets the remembered trace
    const torn = sidecar({}, s.shared).outbound([['x-request-id', ID]]);
    expect(alias(torn.requestHeaders)).toEqual([T]);
  });

  it('outbound, the header is the filter\'s alone: an application\'s is removed unless the filter stamps the same', () => {
    const s = sidecar();
    const out = s.outbound([['traceparent', TP], ['x-request-id', ID], ['x-meshtrace-healed-trace', ALIAS]]);
    expect(alias(out.requestHeaders)).toEqual([]);
    s.inbound([['traceparent', `00-${T2}-${S2}-01`], ['x-request-id', ID], XFCC, ['x-meshtrace-healed-trace', ALIAS]]);
    const forwarded = s.outbound([['traceparent', `00-${T2}-${'5'.repeat(16)}-01`], ['x-request-id', ID], ['x-meshtrace-healed-trace', ALIAS]]);
    expect(forwarded.requestHeaderBytes.filter(([k]) => k.toString() === 'x-meshtrace-healed-trace').length).toBe(1);
    expect(alias(forwarded.requestHeaders)).toEqual([ALIAS]);
  });

  it('healed_trace_header renames the header; heal: false still keeps a trusted inbound alias and stamps none', () => {
    const s = sidecar({ healed_trace_header: 'x-trace-alias' });
    s.inbound([['traceparent', TP], ['x-request-id', ID]]);
    const out = s.outbound([['x-request-id', ID], ['x-meshtrace-healed-trace', 'not ours, kept']]);
    expect(values(out.requestHeaders, 'x-trace-alias')).toEqual([T]);
    expect(values(out.requestHeaders, 'x-meshtrace-healed-trace')).toEqual(['not ours, kept']);
    const off = sidecar({ heal: false });
    expect(alias(off.inbound([['traceparent', TP], ['x-request-id', ID], XFCC, ['x-meshtrace-healed-trace', ALIAS]]).requestHeaders)).toEqual([ALIAS]);
    expect(alias(off.outbound([['traceparent', TP], ['x-request-id', ID], ['x-meshtrace-healed-trace', ALIAS]]).requestHeaders)).toEqual([]);
  });
});
