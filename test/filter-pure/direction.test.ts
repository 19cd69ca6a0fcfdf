import { beforeAll, describe, expect, test } from 'vitest';
import { loadPureWasm, type PureWasm } from './pure-wasm.js';

let w: PureWasm;
beforeAll(async () => { w = await loadPureWasm(); });

const SIDECAR = 'sidecar~10.0.0.5~reviews-v1-abc.default~default.svc.cluster.local';
const GATEWAY = 'router~10.0.0.9~istio-ingressgateway-5d8f.istio-system~istio-system.svc.cluster.local';
// The node id of the waypoint in Kiali's Bookinfo ambient spans (shared/reference responseAmbient).
const WAYPOINT = 'waypoint~10.244.0.28~waypoint-5b7c754ccb-55jwk.bookinfo~bookinfo.svc.cluster.local';
const IN = { direction: 'inbound', kind: 'server' };
const OUT = { direction: 'outbound', kind: 'client' };
const NONE = { direction: '', kind: '', source: 'none' };

type Input = Parameters<PureWasm['direction']>[0];
const cases: Array<[string, Input, { direction: string; kind: string; source: string }]> = [
  ['xds.listener_direction 1 → inbound/server', { xds: 1n, node: SIDECAR }, { ...IN, source: 'xds.listener_direction' }],
  ['xds.listener_direction 2 → outbound/client', { xds: 2n, node: SIDECAR }, { ...OUT, source: 'xds.listener_direction' }],
  ['xds wins over the old property and cluster', { xds: 2n, old: 1n, xdsCluster: 'inbound|9080||' }, { ...OUT, source: 'xds.listener_direction' }],
  ['xds 0 (unspecified) falls back to listener_direction', { xds: 0n, old: 1n }, { ...IN, source: 'listener_direction' }],
  ['xds absent falls back to listener_direction', { old: 2n }, { ...OUT, source: 'listener_direction' }],
  ['unknown enum value 3 falls through', { xds: 3n, xdsCluster: 'outbound|9080||reviews.default.svc.cluster.local' },
    { ...OUT, source: 'xds.cluster_name' }],
  ['both directions unspecified → xds.cluster_name inbound', { xds: 0n, old: 0n, xdsCluster: 'inbound|9080||' }, { ...IN, source: 'xds.cluster_name' }],
  ['older Istio inbound cluster name', { xdsCluster: 'inbound|9080|http|productpage.default.svc.cluster.local' }, { ...IN, source: 'xds.cluster_name' }],
  ['xds.cluster_name outbound', { xdsCluster: 'outbound|9080||reviews.default.svc.cluster.local' }, { ...OUT, source: 'xds.cluster_name' }],
  ['xds.cluster_name wins over cluster_name', { xdsCluster: 'outbound|80||a', oldCluster: 'inbound|80||' }, { ...OUT, source: 'xds.cluster_name' }],
  ['old cluster_name as last resort', { oldCluster: 'inbound|9080||' }, { ...IN, source: 'cluster_name' }],
  ['unrecognised xds.cluster_name falls back to cluster_name', { xdsCluster: 'my-cluster', oldCluster: 'outbound|1||x' }, { ...OUT, source: 'cluster_name' }],
  ['Istio inbound passthrough cluster', { xdsCluster: 'InboundPassthroughClusterIpv4' }, { ...IN, source: 'xds.cluster_name' }],
  ['Istio outbound passthrough cluster', { xdsCluster: 'PassthroughCluster' }, { ...OUT, source: 'xds.cluster_name' }],
  ['prefix must match exactly (case)', { xdsCluster: 'Inbound|9080||' }, NONE],
  ['prefix needs the bar', { xdsCluster: 'inbound' }, NONE],
  ['nothing tells → unknown, stamp nothing', { node: SIDECAR }, NONE],
  ['nothing at all', {}, NONE],
  ['gateway by node id: inbound/server even on an outbound listener', { xds: 2n, node: GATEWAY }, { ...IN, source: 'gateway' }],
  ['gateway by config', { xds: 2n, node: SIDECAR, gateway: true }, { ...IN, source: 'gateway' }],
  ['gateway with no properties at all', { node: GATEWAY }, { ...IN, source: 'gateway' }],
  ['"router" without ~ is not a gateway id', { node: 'router-1', xds: 2n }, { ...OUT, source: 'xds.listener_direction' }],
  ['config inbound overrides detection', { xds: 2n, configDirection: 1 }, { ...IN, source: 'config direction' }],
  ['config outbound overrides detection', { xds: 1n, xdsCluster: 'inbound|1||', configDirection: 2 }, { ...OUT, source: 'config direction' }],
  ['config direction overrides the gateway too', { node: GATEWAY, gateway: true, configDirection: 2 }, { ...OUT, source: 'config direction' }],
  ['config auto detects', { xds: 1n, configDirection: 0 }, { ...IN, source: 'xds.listener_direction' }],
  // Istio ambient waypoints: the proxy serves the destination service (one span per hop).
  ['waypoint by node id: inbound/server without reading a property', { node: WAYPOINT }, { ...IN, source: 'waypoint' }],
  ['waypoint node on its INBOUND main_internal listener', { xds: 1n, node: WAYPOINT }, { ...IN, source: 'waypoint' }],
  ['waypoint node even if a listener said outbound', { xds: 2n, xdsCluster: 'outbound|9080||reviews.bookinfo.svc.cluster.local', node: WAYPOINT },
    { ...IN, source: 'waypoint' }],
  ['"waypoint" without ~ is not a waypoint id', { node: 'waypoint-1', xds: 2n }, { ...OUT, source: 'xds.listener_direction' }],
  ['config outbound overrides a waypoint node id', { node: WAYPOINT, configDirection: 2 }, { ...OUT, source: 'config direction' }],
  ['gateway: true wins over a waypoint node (both inbound)', { node: WAYPOINT, gateway: true }, { ...IN, source: 'gateway' }],
  ['waypoint VIP cluster without node id', { xdsCluster: 'inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local' }, { ...IN, source: 'xds.cluster_name' }],
  ['waypoint VIP cluster with a subset', { xdsCluster: 'inbound-vip|9080|http/v1|reviews.bookinfo.svc.cluster.local' }, { ...IN, source: 'xds.cluster_name' }],
  ['waypoint pod cluster (Istio 1.18-1.21) as old cluster_name', { oldCluster: 'inbound-pod|9080||10.244.2.9' }, { ...IN, source: 'cluster_name' }],
  ['waypoint direct-pod cluster "encap" tells nothing by itself', { xdsCluster: 'encap' }, NONE],
  ['a prefix that only looks like inbound-vip', { xdsCluster: 'inbound-vipx|9080||a' }, NONE],
];

describe('direction decision', () => {
  test.each(cases)('%s', (_name, input, expected) => {
    expect(w.direction(input)).toEqual(expected);
  });
});
