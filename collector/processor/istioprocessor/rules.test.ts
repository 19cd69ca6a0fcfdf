import { describe, expect, it } from 'vitest';
import { SpanKind, type KeyValue } from '../../pdata/model.js';
import { readSpanFacts, SpanFacts } from './span-facts.js';
import {
  clusterDirection,
  decideDirection,
  decideKind,
  directionFromStamp,
  GenericServiceNames,
  isEnvoySpan,
  isGatewayNode,
  kindFromStamp,
  parseStatusCode,
  peerServiceFromCluster,
  serviceNameFromCanonical,
  PeerServiceCache,
} from './rules.js';
import { DEFAULT_GENERIC_SERVICE_NAMES } from './config.js';

const SIDECAR = 'sidecar~10.244.0.25~productpage-v1-6f89b6c557-sg2bc.bookinfo~bookinfo.svc.cluster.local';
const GATEWAY = 'router~10.244.0.14~istio-ingressgateway-79788cd94-wgmsp.istio-system~istio-system.svc.cluster.local';
const OUT_REVIEWS = 'outbound|9080||reviews.bookinfo.svc.cluster.local';
const IN_9080 = 'inbound|9080||';
const WAYPOINT = 'waypoint~10.244.0.28~waypoint-5b7c754ccb-55jwk.bookinfo~bookinfo.svc.cluster.local';

function attrs(tags: Record<string, string | number>): KeyValue[] {
  return Object.entries(tags).map(([key, v]) => ({
    key,
    value: typeof v === 'number' ? { intValue: v } : { stringValue: v },
  }));
}

function facts(tags: Record<string, string | number>): SpanFacts {
  return readSpanFacts(attrs(tags), new SpanFacts());
}

describe('readSpanFacts', () => {
  it('reads the Envoy and Istio tags in one pass, keeping indices of the ones it may change', () => {
    const f = facts({
      'http.method': 'GET',
      'http.status_code': '200',
      user_agent: 'curl/8.5.0',
      component: 'proxy',
      node_id: SIDECAR,
      upstream_cluster: OUT_REVIEWS,
      'upstream_cluster.name': OUT_REVIEWS,
      'istio.canonical_service': 'productpage',
      'istio.namespace': 'bookinfo',
      'meshtrace.kind': 'client',
      'meshtrace.direction': 'outbound',
    });
    expect(f.component).toBe('proxy');
    expect(f.nodeId).toBe(SIDECAR);
    expect(f.upstreamCluster).toBe(OUT_REVIEWS);
    expect(f.upstreamClusterName).toBe(OUT_REVIEWS);
    expect(f.canonicalService).toBe('productpage');
    expect(f.namespace).toBe('bookinfo');
    expect(f.meshtraceKind).toBe('client');
    expect(f.meshtraceDirection).toBe('outbound');
    expect(f.statusCodeIndex).toBe(1);
    expect(f.userAgentIndex).toBe(2);
    expect(f.directionIndex).toBe(10);
  });

  it('ignores non-string values and resets between spans', () => {
    const f = new SpanFacts();
    readSpanFacts(attrs({ 'http.status_code': 200, node_id: 7, user_agent: 'x', 'peer.service': 'db' }), f);
    expect(f.statusCodeIndex).toBe(-1);
    expect(f.nodeId).toBeUndefined();
    expect(f.userAgentIndex).toBe(2);
    expect(f.hasPeerService).toBe(true);
    readSpanFacts(attrs({ 'http.method': 'GET' }), f);
    expect(f.userAgentIndex).toBe(-1);
    expect(f.hasPeerService).toBe(false);
    readSpanFacts(undefined, f);
    expect(f.component).toBeUndefined();
  });
});

describe('isEnvoySpan', () => {
  const cases: [string, Record<string, string | number>, boolean][] = [
    ['component=proxy', { component: 'proxy' }, true],
    ['node_id only', { node_id: SIDECAR }, true],
    ['upstream_cluster only', { upstream_cluster: IN_9080 }, true],
    ['upstream_cluster.name only', { 'upstream_cluster.name': IN_9080 }, true],
    ['meshtrace.kind only', { 'meshtrace.kind': 'server' }, true],
    ['meshtrace.direction only', { 'meshtrace.direction': 'inbound' }, true],
    ['SDK HTTP span', { 'http.method': 'GET', 'http.status_code': '200', user_agent: 'curl' }, false],
    ['other component', { component: 'grpc' }, false],
    ['numeric node_id', { node_id: 5 }, false],
    ['no attributes', {}, false],
  ];
  it.each(cases)('%s', (_name, tags, want) => {
    expect(isEnvoySpan(facts(tags))).toBe(want);
  });
});

describe('kindFromStamp / directionFromStamp', () => {
  it.each([
    ['server', SpanKind.SERVER],
    ['client', SpanKind.CLIENT],
    ['SERVER', SpanKind.SERVER],
    ['Client', SpanKind.CLIENT],
    ['', 0],
    [' server', 0],
    ['servers', 0],
    ['producer', 0],
    ['internal', 0],
    ['2', 0],
    [undefined, 0],
  ] as [string | undefined, number][])('kind %j → %i', (v, want) => {
    expect(kindFromStamp(v)).toBe(want);
  });

  it.each([
    ['inbound', 'inbound'],
    ['outbound', 'outbound'],
    ['INBOUND', 'inbound'],
    ['OutBound', 'outbound'],
    ['in', undefined],
    ['inbound ', undefined],
    ['sideways', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as [string | undefined, string | undefined][])('direction %j → %j', (v, want) => {
    expect(directionFromStamp(v)).toBe(want);
  });
});

describe('clusterDirection', () => {
  it.each([
    ['inbound|9080||', 'inbound'],
    ['inbound|9080|http|productpage.default.svc.cluster.local', 'inbound'],
    ['inbound|8080||', 'inbound'],
    ['InboundPassthroughClusterIpv4', 'inbound'],
    ['InboundPassthroughClusterIpv6', 'inbound'],
    ['InboundPassthroughCluster', 'inbound'],
    ['outbound|9080||reviews.default.svc.cluster.local', 'outbound'],
    ['outbound|9080|v1|reviews.default.svc.cluster.local', 'outbound'],
    ['outbound|443||api.github.com', 'outbound'],
    ['PassthroughCluster', 'outbound'],
    ['BlackHoleCluster', 'outbound'],
    ['inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local', 'inbound'],
    ['inbound-vip|9080|http/v1|reviews.bookinfo.svc.cluster.local', 'inbound'],
    ['inbound-pod|9080||10.244.2.9', 'inbound'],
    ['encap', undefined],
    ['inbound-vipx|9080|http|reviews', undefined],
    ['serving-tests/tracing-bdectujw', undefined],
    ['outbound', undefined],
    ['Outbound|9080||reviews', undefined],
    ['-', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as [string | undefined, string | undefined][])('%j → %j', (cluster, want) => {
    expect(clusterDirection(cluster)).toBe(want);
  });
});

describe('isGatewayNode', () => {
  it.each([
    [GATEWAY, true],
    ['router~10.0.0.1~istio-egressgateway-abc.istio-system~istio-system.svc.cluster.local', true],
    [SIDECAR, false],
    ['waypoint~10.244.0.28~waypoint-5b7c754ccb-55jwk.bookinfo~bookinfo.svc.cluster.local', false],
    ['3scale-kourier-gateway', false],
    ['router', false],
    ['', false],
    [undefined, false],
  ] as [string | undefined, boolean][])('%j → %j', (node, want) => {
    expect(isGatewayNode(node)).toBe(want);
  });
});

describe('decideKind and decideDirection', () => {
  const S = SpanKind.SERVER;
  const C = SpanKind.CLIENT;
  const cases: [string, Record<string, string>, number, string | undefined][] = [
    // name, tags, kind, direction
    ['sidecar inbound cluster', { node_id: SIDECAR, upstream_cluster: IN_9080 }, S, 'inbound'],
    ['sidecar outbound cluster', { node_id: SIDECAR, upstream_cluster: OUT_REVIEWS }, C, 'outbound'],
    ['older Istio inbound form', { upstream_cluster: 'inbound|9080|http|details.default.svc.cluster.local' }, S, 'inbound'],
    ['only upstream_cluster.name', { component: 'proxy', 'upstream_cluster.name': IN_9080 }, S, 'inbound'],
    ['upstream_cluster wins over .name', { upstream_cluster: OUT_REVIEWS, 'upstream_cluster.name': IN_9080 }, C, 'outbound'],
    ['unreadable upstream_cluster falls to .name', { upstream_cluster: 'x', 'upstream_cluster.name': IN_9080 }, S, 'inbound'],
    ['passthrough', { node_id: SIDECAR, upstream_cluster: 'PassthroughCluster' }, C, 'outbound'],
    ['inbound passthrough', { node_id: SIDECAR, upstream_cluster: 'InboundPassthroughClusterIpv4' }, S, 'inbound'],
    ['gateway routing to an outbound cluster', { node_id: GATEWAY, upstream_cluster: OUT_REVIEWS }, S, 'inbound'],
    ['gateway without cluster (no route)', { node_id: GATEWAY, component: 'proxy' }, S, 'inbound'],
    ['filter stamps agree with the cluster', { node_id: SIDECAR, upstream_cluster: IN_9080, 'meshtrace.kind': 'server', 'meshtrace.direction': 'inbound' }, S, 'inbound'],
    ['filter stamps without cluster', { component: 'proxy', 'meshtrace.kind': 'client', 'meshtrace.direction': 'outbound' }, C, 'outbound'],
    ['kind stamp alone gives the direction', { component: 'proxy', 'meshtrace.kind': 'server' }, S, 'inbound'],
    ['direction stamp alone gives no kind', { component: 'proxy', 'meshtrace.direction': 'outbound' }, 0, 'outbound'],
    ['upper-case stamps', { component: 'proxy', 'meshtrace.kind': 'SERVER', 'meshtrace.direction': 'INBOUND' }, S, 'inbound'],
    ['gateway stamped server, outbound cluster is legitimate', { node_id: GATEWAY, upstream_cluster: OUT_REVIEWS, 'meshtrace.kind': 'server', 'meshtrace.direction': 'inbound' }, S, 'inbound'],
    ['gateway stamped client is believed (filter configured so)', { node_id: GATEWAY, upstream_cluster: OUT_REVIEWS, 'meshtrace.kind': 'client', 'meshtrace.direction': 'outbound' }, C, 'outbound'],
    ['stale stamps on an inbound sidecar span', { node_id: SIDECAR, upstream_cluster: IN_9080, 'meshtrace.kind': 'client', 'meshtrace.direction': 'outbound' }, S, 'inbound'],
    ['forged server stamp on an outbound sidecar span', { node_id: SIDECAR, upstream_cluster: OUT_REVIEWS, 'meshtrace.kind': 'server', 'meshtrace.direction': 'inbound' }, C, 'outbound'],
    ['unknown stamp values fall back to the cluster', { node_id: SIDECAR, upstream_cluster: IN_9080, 'meshtrace.kind': 'producer', 'meshtrace.direction': 'sideways' }, S, 'inbound'],
    ['unknown stamps and nothing else', { component: 'proxy', 'meshtrace.kind': 'producer', 'meshtrace.direction': 'up' }, 0, undefined],
    // Ambient waypoints: one span per hop, the destination side; the node decides over stamps and clusters.
    ['waypoint node and VIP cluster', { node_id: WAYPOINT, upstream_cluster: 'inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local' }, S, 'inbound'],
    ['waypoint routing to a service it does not serve', { node_id: WAYPOINT, upstream_cluster: OUT_REVIEWS }, S, 'inbound'],
    ['waypoint direct pod access (encap)', { node_id: WAYPOINT, upstream_cluster: 'encap' }, S, 'inbound'],
    ['waypoint with a client stamp forwarded by the caller', { node_id: WAYPOINT, upstream_cluster: OUT_REVIEWS, 'meshtrace.kind': 'client', 'meshtrace.direction': 'outbound' }, S, 'inbound'],
    ['no node id: VIP cluster alone marks a waypoint', { component: 'proxy', upstream_cluster: 'inbound-vip|80|http|bookinfo-gateway-istio.bookinfo.svc.cluster.local' }, S, 'inbound'],
    ['no node id: old waypoint pod cluster', { component: 'proxy', 'upstream_cluster.name': 'inbound-pod|9080||10.244.2.9' }, S, 'inbound'],
    ['no node id, client stamp, VIP cluster: still the waypoint rule', { upstream_cluster: 'inbound-vip|9080|http|r.b.svc.cluster.local', 'meshtrace.kind': 'client' }, S, 'inbound'],
    ['a sidecar node id is never a waypoint, whatever the cluster', { node_id: SIDECAR, upstream_cluster: 'inbound-vip|9080|http|r.b.svc.cluster.local', 'meshtrace.kind': 'client' }, S, 'inbound'],
    ['a sidecar node with encap tells nothing', { node_id: SIDECAR, upstream_cluster: 'encap' }, 0, undefined],
    ['non-Istio Envoy (Kourier)', { component: 'proxy', node_id: '3scale-kourier-gateway', upstream_cluster: 'serving-tests/tracing-bdectujw' }, 0, undefined],
    ['SDK span', { 'http.method': 'GET' }, 0, undefined],
  ];
  it.each(cases)('%s', (_name, tags, kind, direction) => {
    const f = facts(tags);
    expect(decideKind(f)).toBe(kind);
    expect(decideDirection(f)).toBe(direction);
  });
});

describe('peerServiceFromCluster', () => {
  it.each([
    ['outbound|9080||reviews.default.svc.cluster.local', 'reviews'],
    ['outbound|9080|v1|reviews.default.svc.cluster.local', 'reviews'],
    ['outbound|9080|v2-canary|ratings.bookinfo.svc.cluster.local', 'ratings'],
    ['outbound|80||web.team-a.svc.corp.internal', 'web'],
    ['outbound|27017||mongodb.bookinfo.svc.cluster.local', 'mongodb'],
    ['outbound|443||api.github.com', 'api.github.com'],
    ['outbound|443||reviews', 'reviews'],
    ['outbound|9080||reviews.default', 'reviews.default'],
    ['outbound|9080||reviews.default.svc', 'reviews.default.svc'],
    ['outbound|443||*.example.com', undefined],
    ['outbound|9080||', undefined],
    ['outbound|http||reviews.default.svc.cluster.local', undefined],
    ['outbound||v1|reviews.default.svc.cluster.local', undefined],
    ['outbound|9080|v1', undefined],
    ['outbound|9080||reviews.default.svc.cluster.local|extra', undefined],
    ['outbound|9080||.default.svc.cluster.local', undefined],
    ['outbound|9080||reviews.default.svc.cluster.local.', undefined],
    ['outbound|9080||rev iews', undefined],
    ['inbound|9080||', undefined],
    ['inbound|9080|http|productpage.default.svc.cluster.local', undefined],
    ['PassthroughCluster', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as [string | undefined, string | undefined][])('%j → %j', (cluster, want) => {
    expect(peerServiceFromCluster(cluster)).toBe(want);
  });

  it('reads upstream_cluster first, then upstream_cluster.name (through the cache)', () => {
    const peers = new PeerServiceCache();
    expect(peers.forSpan(facts({ upstream_cluster: OUT_REVIEWS, 'upstream_cluster.name': 'outbound|1||x' }))).toBe('reviews');
    expect(peers.forSpan(facts({ upstream_cluster: 'PassthroughCluster', 'upstream_cluster.name': OUT_REVIEWS }))).toBe('reviews');
    expect(peers.forSpan(facts({ component: 'proxy' }))).toBeUndefined();
  });

  it('PeerServiceCache answers as peerServiceFromCluster, remembers misses too, and stays bounded', () => {
    const peers = new PeerServiceCache(3);
    const clusters = [OUT_REVIEWS, 'inbound|9080||', 'outbound|443||api.github.com', OUT_REVIEWS, 'outbound|80||a.b.svc.x', 'PassthroughCluster', 'inbound|9080||'];
    for (let round = 0; round < 2; round++) {
      for (const c of clusters) expect(peers.lookup(c), c).toBe(peerServiceFromCluster(c));
    }
    expect((peers as unknown as { known: Map<string, unknown> }).known.size).toBeLessThanOrEqual(3);
    expect(peers.lookup(undefined)).toBeUndefined();
  });
});

describe('parseStatusCode', () => {
  it.each([
    ['200', 200],
    ['100', 100],
    ['204', 204],
    ['404', 404],
    ['503', 503],
    ['599', 599],
    ['0', undefined],
    ['099', undefined],
    ['600', undefined],
    ['999', undefined],
    ['2OO', undefined],
    [' 200', undefined],
    ['200 ', undefined],
    ['2000', undefined],
    ['+20', undefined],
    ['-20', undefined],
    ['20', undefined],
    ['', undefined],
    ['abc', undefined],
  ] as [string, number | undefined][])('%j → %j', (s, want) => {
    expect(parseStatusCode(s)).toBe(want);
  });
});

describe('GenericServiceNames (defaults)', () => {
  const generic = new GenericServiceNames(DEFAULT_GENERIC_SERVICE_NAMES);
  it.each([
    [undefined, true],
    ['', true],
    ['unknown_service', true],
    ['unknown_service:envoy', true],
    ['unknown_service:node', true],
    ['istio-proxy', true],
    ['istio-proxy.default', true],
    ['OTLPResourceNoServiceName', true],
    ['productpage.bookinfo', false],
    ['istio-ingressgateway.istio-system', false],
    ['kourier-knative', false],
    ['unknown', false],
    ['istio-proxyx', false],
  ] as [string | undefined, boolean][])('%j → %j', (name, want) => {
    expect(generic.matches(name)).toBe(want);
  });

  it('takes configured exact names and prefixes', () => {
    const g = new GenericServiceNames(['envoy', 'proxy-*']);
    expect(g.matches('envoy')).toBe(true);
    expect(g.matches('proxy-7')).toBe(true);
    expect(g.matches('istio-proxy')).toBe(false);
    expect(g.matches(undefined)).toBe(true);
  });
});

describe('serviceNameFromCanonical', () => {
  it.each([
    ['reviews', 'default', 'reviews.default'],
    ['ratings', 'bookinfo', 'ratings.bookinfo'],
    ['reviews', undefined, 'reviews'],
    ['reviews', '', 'reviews'],
    ['', 'default', undefined],
    ['unknown', 'default', undefined],
    [undefined, 'default', undefined],
  ] as [string | undefined, string | undefined, string | undefined][])('%j + %j → %j', (c, ns, want) => {
    expect(serviceNameFromCanonical(c, ns)).toBe(want);
  });
});
