/**
 * Direction and span-kind stamps through the real build/meshtrace-filter.wasm: every direction
 * source and its fallbacks, gateway mode, the configured override, forged stamps.
 */
import { describe, expect, it } from 'vitest';
import type { HeaderList } from '../../host/index.js';
import { filterHost, values, request, contextOf, GATEWAY_NODE, SIDECAR_NODE } from './helpers.js';

// The waypoint of Kiali's Bookinfo ambient spans (shared/reference responseAmbient.tempo-search.json).
const WAYPOINT_NODE = 'waypoint~10.244.0.28~waypoint-5b7c754ccb-55jwk.bookinfo~bookinfo.svc.cluster.local';

type Props = Record<string, bigint | string | { id: string }>;

interface DirectionCase {
  name: string;
  props: Props;
  config?: Record<string, unknown>;
  node?: string;
  want: ['server', 'inbound'] | ['client', 'outbound'] | null;
  /** property reads this request needs (the filter reads only as many as it must) */
  reads?: number;
}

const cases: DirectionCase[] = [
  { name: 'xds.listener_direction 1', props: { 'xds.listener_direction': 1n }, want: ['server', 'inbound'], reads: 1 },
  { name: 'xds.listener_direction 2', props: { 'xds.listener_direction': 2n }, want: ['client', 'outbound'], reads: 1 },
  { name: 'xds.listener_direction wins over a contradicting cluster name', props: { 'xds.listener_direction': 1n, 'xds.cluster_name': 'outbound|80||x' }, want: ['server', 'inbound'], reads: 1 },
  { name: 'old listener_direction 1 (Envoy < 1.33)', props: { listener_direction: 1n }, want: ['server', 'inbound'], reads: 2 },
  { name: 'old listener_direction 2 (Envoy < 1.33)', props: { listener_direction: 2n }, want: ['client', 'outbound'], reads: 2 },
  { name: 'xds.listener_direction 0 (unspecified) → xds.cluster_name inbound|', props: { 'xds.listener_direction': 0n, 'xds.cluster_name': 'inbound|9080||' }, want: ['server', 'inbound'], reads: 2 },
  { name: 'xds.cluster_name outbound|', props: { 'xds.cluster_name': 'outbound|9080||reviews.default.svc.cluster.local' }, want: ['client', 'outbound'], reads: 3 },
  { name: 'xds.cluster_name inbound| (old Istio form)', props: { 'xds.cluster_name': 'inbound|9080|http|productpage.default.svc.cluster.local' }, want: ['server', 'inbound'], reads: 3 },
  { name: 'xds.cluster_name InboundPassthroughClusterIpv4', props: { 'xds.cluster_name': 'InboundPassthroughClusterIpv4' }, want: ['server', 'inbound'], reads: 3 },
  { name: 'xds.cluster_name PassthroughCluster', props: { 'xds.cluster_name': 'PassthroughCluster' }, want: ['client', 'outbound'], reads: 3 },
  { name: 'old cluster_name inbound|', props: { cluster_name: 'inbound|9080||' }, want: ['server', 'inbound'], reads: 4 },
  { name: 'old cluster_name outbound|', props: { cluster_name: 'outbound|9080||ratings.default.svc.cluster.local' }, want: ['client', 'outbound'], reads: 4 },
  { name: 'old listener_direction 0 → old cluster_name', props: { listener_direction: 0n, cluster_name: 'outbound|80||a' }, want: ['client', 'outbound'], reads: 4 },
  { name: 'a cluster name that tells nothing', props: { 'xds.cluster_name': 'BlackHoleCluster' }, want: null, reads: 3 },
  { name: 'no property at all', props: {}, want: null, reads: 4 },
  { name: 'gateway by node id router~ (no property read)', node: GATEWAY_NODE, props: { 'xds.listener_direction': 2n }, want: ['server', 'inbound'], reads: 0 },
  { name: 'gateway by configuration', config: { gateway: true }, props: { 'xds.listener_direction': 2n }, want: ['server', 'inbound'], reads: 0 },
  { name: 'configured outbound overrides a gateway node id', config: { direction: 'outbound' }, node: GATEWAY_NODE, props: { 'xds.listener_direction': 1n }, want: ['client', 'outbound'], reads: 0 },
  { name: 'configured inbound overrides detection', config: { direction: 'inbound' }, props: { 'xds.listener_direction': 2n }, want: ['server', 'inbound'], reads: 0 },
  { name: 'direction "auto" detects', config: { direction: 'auto' }, props: { 'xds.listener_direction': 2n }, want: ['client', 'outbound'], reads: 1 },
  // Istio ambient: what a waypoint's Envoy reports. Istio builds the waypoint's HTTP chains on the
  // internal listener main_internal with TrafficDirection INBOUND, routing to inbound-vip| clusters.
  { name: 'waypoint by node id waypoint~ (no property read)', node: WAYPOINT_NODE,
    props: { 'xds.listener_direction': 1n, 'xds.cluster_name': 'inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local' }, want: ['server', 'inbound'], reads: 0 },
  { name: 'waypoint routing to a service it does not serve (outbound| cluster) is still the server', node: WAYPOINT_NODE,
    props: { 'xds.listener_direction': 1n, 'xds.cluster_name': 'outbound|9080||ratings.bookinfo.svc.cluster.local' }, want: ['server', 'inbound'], reads: 0 },
  { name: 'waypoint without node id: inbound-vip| cluster', props: { 'xds.cluster_name': 'inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local' }, want: ['server', 'inbound'], reads: 3 },
  { name: 'waypoint without node id: inbound-pod| cluster (old waypoints)', props: { cluster_name: 'inbound-pod|9080||10.244.2.9' }, want: ['server', 'inbound'], reads: 4 },
  { name: 'configured outbound overrides a waypoint node id', config: { direction: 'outbound' }, node: WAYPOINT_NODE, props: { 'xds.listener_direction': 1n }, want: ['client', 'outbound'], reads: 0 },
];

describe('direction and stamps (real .wasm)', () => {
  it.each(cases)('$name', ({ props, config, node, want, reads }) => {
    const host = filterHost(config ?? {}, { properties: { 'xds.node': { id: node ?? SIDECAR_NODE } } });
    const r = request(host, [[':path', '/'], ['x-request-id', 'r1']], props);
    if (want) {
      expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual([want[0]]);
      expect(values(r.requestHeaders, 'x-meshtrace-direction')).toEqual([want[1]]);
      expect(host.metric(`meshtrace_requests_${want[1]}_total`)?.value).toBe(1n);
    } else {
      expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual([]);
      expect(values(r.requestHeaders, 'x-meshtrace-direction')).toEqual([]);
      expect(host.metric('meshtrace_requests_unknown_direction_total')?.value).toBe(1n);
    }
    expect(r.hostCalls.proxy_get_property ?? 0).toBe(reads);
  });

  it('an unknown direction is logged once per root context, not per request, and nothing is stamped', () => {
    const host = filterHost();
    const logs = [];
    for (let i = 0; i < 3; i++) logs.push(...request(host, [[':path', '/']], {}).logs);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ level: 'warn', message: expect.stringContaining('cannot tell the direction') });
    expect(host.metric('meshtrace_requests_unknown_direction_total')?.value).toBe(3n);
  });

  it('the node id is read once at configure time (xds.node.id, else node.id), not per request', () => {
    const oldProxy = filterHost({}, { properties: { node: { id: GATEWAY_NODE } } });
    const r = request(oldProxy, [], {});
    expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual(['server']);
    expect(r.hostCalls.proxy_get_property ?? 0).toBe(0);
  });

  const forged: Array<{ name: string; headers: HeaderList; props: Props; want: [string, string] | null }> = [
    { name: 'a forged server stamp on an outbound request', headers: [['x-meshtrace-kind', 'server'], ['x-meshtrace-direction', 'inbound']], props: { 'xds.listener_direction': 2n }, want: ['client', 'outbound'] },
    { name: 'duplicated stamps, one right one wrong', headers: [['x-meshtrace-kind', 'client'], ['x-meshtrace-kind', 'server'], ['x-meshtrace-direction', 'outbound'], ['x-meshtrace-direction', 'outbound']], props: { 'xds.listener_direction': 2n }, want: ['client', 'outbound'] },
    { name: 'odd case names and values', headers: [['X-MeshTrace-Kind', 'SERVER'], ['X-MESHTRACE-DIRECTION', 'Inbound']], props: { 'xds.listener_direction': 1n }, want: ['server', 'inbound'] },
    { name: 'forged stamps when the direction is unknown are removed', headers: [['x-meshtrace-kind', 'server'], ['x-meshtrace-direction', 'inbound'], ['x-meshtrace-kind', 'x']], props: {}, want: null },
  ];
  it.each(forged)('$name: exactly one stamp of each, ours', ({ headers, props, want }) => {
    const host = filterHost();
    const r = request(host, [[':path', '/'], ...headers], props);
    expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual(want ? [want[0]] : []);
    expect(values(r.requestHeaders, 'x-meshtrace-direction')).toEqual(want ? [want[1]] : []);
    expect(values(r.requestHeaders, ':path')).toEqual(['/']);
  });

  it('stamps that already arrived right cost no write', () => {
    const host = filterHost({ propagation: [], response_request_id: false });
    const r = request(host, [['x-meshtrace-kind', 'server'], ['x-meshtrace-direction', 'inbound'], ['x-request-id', 'a']], { 'xds.listener_direction': 1n });
    expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual(['server']);
    const writes = (r.hostCalls.proxy_replace_header_map_value ?? 0) + (r.hostCalls.proxy_set_header_map_pairs ?? 0) + (r.hostCalls.proxy_add_header_map_value ?? 0);
    expect(writes).toBe(0);
  });

  it('configured stamp names are used, and the default names are then ordinary headers', () => {
    const host = filterHost({ kind_header: 'x-span-kind', direction_header: 'x-span-direction' });
    const r = request(host, [['x-span-kind', 'forged'], ['x-meshtrace-kind', 'keep-me']], { 'xds.listener_direction': 2n });
    expect(values(r.requestHeaders, 'x-span-kind')).toEqual(['client']);
    expect(values(r.requestHeaders, 'x-span-direction')).toEqual(['outbound']);
    expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual(['keep-me']);
  });

  it('in a waypoint the trace-context work runs as on any hop: a B3-only request gets a matching traceparent', () => {
    const host = filterHost({}, { properties: { 'xds.node': { id: WAYPOINT_NODE } } });
    const traceId = '02e299711ce47710289dc6640727404f';
    const r = request(host, [[':path', '/reviews/0'], ['x-request-id', 'r1'],
      ['x-b3-traceid', traceId], ['x-b3-spanid', 'aac44fb4f828c727'], ['x-b3-sampled', '1']],
    { 'xds.listener_direction': 1n, 'xds.cluster_name': 'inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local' });
    expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual(['server']);
    expect(values(r.requestHeaders, 'x-meshtrace-direction')).toEqual(['inbound']);
    expect(contextOf(r.requestHeaders).traceparent).toBe(`00-${traceId}-aac44fb4f828c727-01`);
    expect(host.metric('meshtrace_requests_inbound_total')?.value).toBe(1n);
  });

  it('a waypoint stamp replaces a client stamp forwarded from the calling sidecar', () => {
    const host = filterHost({}, { properties: { 'xds.node': { id: WAYPOINT_NODE } } });
    const r = request(host, [[':path', '/'], ['x-meshtrace-kind', 'client'], ['x-meshtrace-direction', 'outbound']], { 'xds.listener_direction': 1n });
    expect(values(r.requestHeaders, 'x-meshtrace-kind')).toEqual(['server']);
    expect(values(r.requestHeaders, 'x-meshtrace-direction')).toEqual(['inbound']);
  });
});
