/**
 * x-request-id generation and echo, metrics values, host-call budget and write strategy, and
 * robustness against hostile input, through the real build/meshtrace-filter.wasm.
 */
import { describe, expect, it } from 'vitest';
import type { HeaderList } from '../../host/index.js';
import { realisticRequest } from '../../host/index.js';
import { filterHost, request, values, contextProblems, INBOUND, OUTBOUND, GATEWAY_NODE, UUID_V4 } from './helpers.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('x-request-id (real .wasm)', () => {
  it('generates a UUIDv4 from WASI random_get when missing (RFC 9562 version and variant bits)', () => {
    const host = filterHost({}, { randomFill: (b) => { for (let i = 0; i < b.length; i++) b[i] = i === 6 ? 0xff : i === 8 ? 0x7f : i; } });
    const r = request(host, [[':path', '/']], OUTBOUND);
    // byte 6 0xff → version nibble 4 ("4f"); byte 8 0x7f → variant 10 ("bf")
    expect(values(r.requestHeaders, 'x-request-id')).toEqual(['00010203-0405-4f07-bf09-0a0b0c0d0e0f']);
    expect(r.hostCalls['wasi.random_get']).toBe(1);
    expect(host.metric('meshtrace_request_ids_generated_total')?.value).toBe(1n);
  });

  it('real randomness gives distinct well-formed UUIDv4s', () => {
    const host = filterHost();
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const [id] = values(request(host, [], OUTBOUND).requestHeaders, 'x-request-id');
      expect(id).toMatch(UUID_V4);
      ids.add(id!);
    }
    expect(ids.size).toBe(200);
  });

  it('replaces an empty x-request-id instead of adding a second one', () => {
    const host = filterHost();
    const r = request(host, [['x-request-id', '']], INBOUND);
    const ids = values(r.requestHeaders, 'x-request-id');
    expect(ids).toHaveLength(1);
    expect(ids[0]).toMatch(UUID_V4);
    expect(values(r.responseHeaders, 'x-request-id')).toEqual(ids);
  });

  it('keeps an existing x-request-id and does not generate one when disabled', () => {
    const host = filterHost();
    expect(values(request(host, [['x-request-id', 'mine']], OUTBOUND).requestHeaders, 'x-request-id')).toEqual(['mine']);
    const off = filterHost({ generate_request_id: false });
    const r = request(off, [], INBOUND);
    expect(values(r.requestHeaders, 'x-request-id')).toEqual([]);
    expect(values(r.responseHeaders, 'x-request-id')).toEqual([]);
  });

  const echo: Array<{ name: string; config?: object; node?: string; props: object; req: HeaderList; resp: HeaderList; want: string[] }> = [
    { name: 'inbound: echoed when the app set none', props: INBOUND, req: [['x-request-id', 'abc']], resp: [[':status', '200']], want: ['abc'] },
    { name: 'inbound: the app\'s own value wins', props: INBOUND, req: [['x-request-id', 'abc']], resp: [[':status', '200'], ['x-request-id', 'app']], want: ['app'] },
    { name: 'gateway: echoed', node: GATEWAY_NODE, props: {}, req: [['x-request-id', 'gw']], resp: [[':status', '404']], want: ['gw'] },
    { name: 'outbound: never echoed', props: OUTBOUND, req: [['x-request-id', 'abc']], resp: [[':status', '200']], want: [] },
    { name: 'inbound, response_request_id false: not echoed', config: { response_request_id: false }, props: INBOUND, req: [['x-request-id', 'abc']], resp: [[':status', '200']], want: [] },
    { name: 'inbound, generated id is echoed', props: INBOUND, req: [], resp: [[':status', '200']], want: ['GENERATED'] },
  ];
  it.each(echo)('response x-request-id — $name', ({ config, node, props, req, resp, want }) => {
    const host = filterHost(config ?? {}, node ? { properties: { 'xds.node': { id: node } } } : {});
    const r = request(host, req, props as never, resp);
    const got = values(r.responseHeaders, 'x-request-id');
    if (want[0] === 'GENERATED') expect(got).toEqual(values(r.requestHeaders, 'x-request-id'));
    else expect(got).toEqual(want);
  });
});

describe('metrics (real .wasm)', () => {
  it('counts requests by direction, invalid headers by kind, conversions and generated IDs', () => {
    const host = filterHost();
    request(host, [['traceparent', TP], ['x-request-id', 'a']], INBOUND); // converted (X-B3-* added)
    request(host, [['traceparent', 'bad'], ['tracestate', 'a=1']], OUTBOUND); // invalid tp, id generated
    request(host, [['traceparent', TP], ['tracestate', 'A=1'], ['b3', 'x'], ['x-b3-sampled', '7'], ['x-request-id', 'b']], OUTBOUND);
    request(host, [['x-request-id', 'c']], {}); // unknown direction
    const m = host.metricValues();
    expect(m).toMatchObject({
      meshtrace_requests_inbound_total: 1n,
      meshtrace_requests_outbound_total: 2n,
      meshtrace_requests_unknown_direction_total: 1n,
      meshtrace_invalid_traceparent_total: 1n,
      meshtrace_invalid_tracestate_total: 1n,
      meshtrace_invalid_b3_total: 1n,
      meshtrace_invalid_b3multi_total: 1n,
      meshtrace_contexts_converted_total: 2n,
      meshtrace_request_ids_generated_total: 1n,
      meshtrace_filter_errors_total: 0n,
    });
  });
});

describe('host calls (real .wasm)', () => {
  it('the common path (realistic ~15 headers, valid traceparent) stays within 8 host calls', () => {
    const host = filterHost();
    for (const i of [0, 1]) {
      const r = request(host, realisticRequest(i).requestHeaders as HeaderList, realisticRequest(i).properties);
      expect(r.hostCallCount).toBeLessThanOrEqual(8);
      expect(r.hostCalls.proxy_get_header_map_pairs).toBe(1); // the request headers, read once
      expect(r.hostCalls.proxy_get_property).toBe(1); // xds.listener_direction only; node id cached
      expect(contextProblems(r.requestHeaders)).toEqual([]);
    }
  });

  it('two changes to a realistic map are written one by one; many changes (or a tiny map) in one proxy_set_header_map_pairs', () => {
    const host = filterHost({ propagation: [] });
    const few = request(host, realisticRequest(1).requestHeaders as HeaderList, OUTBOUND); // two stamps, ~1 KB map
    expect(few.hostCalls.proxy_replace_header_map_value).toBe(2);
    expect(few.hostCalls.proxy_set_header_map_pairs ?? 0).toBe(0);
    const tiny = request(host, [['x-request-id', 'a']], OUTBOUND); // the whole map is smaller than two calls
    expect(tiny.hostCalls.proxy_set_header_map_pairs).toBe(1);
    expect(tiny.hostCalls.proxy_replace_header_map_value ?? 0).toBe(0);
    const all = filterHost({ propagation: ['tracecontext', 'b3', 'b3multi'] });
    const lots = request(all, [['x-b3-traceid', '4bf92f3577b34da6a3ce929d0e0e4736'], ['x-b3-spanid', '00f067aa0ba902b7'], ['x-b3-sampled', 'true'], ['x-meshtrace-kind', 'forged']], OUTBOUND);
    expect(lots.hostCalls.proxy_set_header_map_pairs).toBe(1);
    expect((lots.hostCalls.proxy_replace_header_map_value ?? 0) + (lots.hostCalls.proxy_remove_header_map_value ?? 0)).toBe(0);
    expect(contextProblems(lots.requestHeaders)).toEqual([]);
    expect(values(lots.requestHeaders, 'x-meshtrace-kind')).toEqual(['client']);
  });

  it('a request with a very large header writes its few changes individually (not the whole map)', () => {
    const host = filterHost();
    const r = request(host, [['cookie', 'c'.repeat(60_000)], ['traceparent', TP], ['x-request-id', 'a']], OUTBOUND);
    expect(r.hostCalls.proxy_set_header_map_pairs ?? 0).toBe(0);
    expect(r.bytesFromModule).toBeLessThan(2_000);
    expect(values(r.requestHeaders, 'cookie')[0]!.length).toBe(60_000);
  });
});

describe('hostile input never traps (real .wasm)', () => {
  const hostile: Array<{ name: string; headers: HeaderList }> = [
    { name: 'a 1 MB tracestate', headers: [['traceparent', TP], ['tracestate', `a=${'x'.repeat(1_000_000)}`]] },
    { name: 'a 100 KB traceparent', headers: [['traceparent', TP + 'x'.repeat(100_000)]] },
    { name: '5,000 headers', headers: Array.from({ length: 5_000 }, (_, i) => [`x-h${i}`, `v${i}`] as [string, string]) },
    { name: '2,000 tracestate headers', headers: [['traceparent', TP], ...Array.from({ length: 2_000 }, (_, i) => ['tracestate', `k${i}=v`] as [string, string])] },
    { name: 'non-ASCII and control characters', headers: [['traceparent', `00-4bf92f3577b34da6a3ce929d0e0e473é-00f067aa0ba902b7-01`], ['b3', '\u0000\u0001ü'], ['x-b3-traceid', '😀'], ['x-meshtrace-kind', 'sérver']] },
    { name: 'empty values', headers: [['traceparent', ''], ['tracestate', ''], ['b3', ''], ['x-b3-traceid', ''], ['x-b3-spanid', ''], ['x-b3-sampled', ''], ['x-b3-flags', ''], ['x-request-id', '']] },
  ];
  it.each(hostile)('$name', ({ headers }) => {
    const host = filterHost();
    for (const props of [INBOUND, OUTBOUND]) {
      const r = host.request({ properties: props, requestHeaders: headers });
      expect(r.trapped, r.error ?? '').toBe(false);
      expect(contextProblems(r.requestHeaders)).toEqual([]);
      expect(values(r.requestHeaders, 'x-meshtrace-kind')).toHaveLength(1);
    }
    expect(host.metric('meshtrace_filter_errors_total')?.value).toBe(0n);
  });
});

describe('header values are bytes (real .wasm, the host\'s byte API)', () => {
  it('a header value that is not UTF-8 passes the filter byte for byte, even when the map is rewritten whole', () => {
    const host = filterHost({ propagation: ['tracecontext', 'b3', 'b3multi'] });
    const binary = Buffer.from([0xff, 0xfe, 0x80, 0x00, 0x41]);
    const r = host.request({
      properties: OUTBOUND,
      requestHeaders: [['x-bin', binary], ['traceparent', TP], ['x-request-id', Buffer.from([0x61, 0xe9, 0x62])]],
    });
    expect(r.trapped).toBe(false);
    expect(r.hostCalls.proxy_set_header_map_pairs).toBe(1); // many changes: the whole map was written back
    const bin = r.requestHeaderBytes.find(([k]) => k.toString() === 'x-bin');
    expect(bin?.[1].equals(binary)).toBe(true);
    const id = r.requestHeaderBytes.find(([k]) => k.toString() === 'x-request-id');
    expect(id?.[1].equals(Buffer.from([0x61, 0xe9, 0x62]))).toBe(true); // Latin-1 é: kept, not re-encoded
  });

  it('the request ID echoed on the response is the request\'s bytes', () => {
    const host = filterHost();
    const id = Buffer.from([0x72, 0xc3, 0x28, 0x31]); // invalid UTF-8 sequence
    const r = host.request({ properties: INBOUND, requestHeaders: [['x-request-id', id]] });
    const echoed = r.responseHeaderBytes.find(([k]) => k.toString() === 'x-request-id');
    expect(echoed?.[1].equals(id)).toBe(true);
  });
});
