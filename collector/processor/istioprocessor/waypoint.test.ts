import { describe, expect, it } from 'vitest';
import type { KeyValue } from '../../pdata/model.js';
import { seededRng } from '../../../test/seeded-rng.js';
import { readSpanFacts, SpanFacts } from './span-facts.js';
import { GenericServiceNames, istioClusterHost, isWaypointSpan, serviceNameOfHost } from './rules.js';
import { DEFAULT_GENERIC_SERVICE_NAMES } from './config.js';
import {
  deploymentOfPod,
  isUsableTag,
  synthesizedClientSpanId,
  WaypointClusterNames,
  waypointName,
  waypointNameFromNodeId,
  waypointSource,
} from './waypoint.js';

const WAYPOINT = 'waypoint~10.244.0.28~waypoint-5b7c754ccb-55jwk.bookinfo~bookinfo.svc.cluster.local';
const SIDECAR = 'sidecar~10.244.0.25~productpage-v1-6f89b6c557-sg2bc.bookinfo~bookinfo.svc.cluster.local';
const VIP_REVIEWS = 'inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local';

function facts(tags: Record<string, string>): SpanFacts {
  const attrs: KeyValue[] = Object.entries(tags).map(([key, v]) => ({ key, value: { stringValue: v } }));
  return readSpanFacts(attrs, new SpanFacts());
}

describe('istioClusterHost', () => {
  it.each([
    [VIP_REVIEWS, 'inbound-vip|', 'reviews.bookinfo.svc.cluster.local'],
    ['inbound-vip|9080|http/v1|reviews.bookinfo.svc.cluster.local', 'inbound-vip|', 'reviews.bookinfo.svc.cluster.local'],
    ['inbound-vip|9080|tcp|reviews.bookinfo.svc.cluster.local', 'inbound-vip|', 'reviews.bookinfo.svc.cluster.local'],
    ['inbound-vip|9080|internal|reviews.bookinfo.svc.cluster.local', 'inbound-vip|', 'reviews.bookinfo.svc.cluster.local'],
    ['inbound-vip|443|http|httpbin.org', 'inbound-vip|', 'httpbin.org'],
    ['inbound-vip|x|http|reviews', 'inbound-vip|', undefined],
    ['inbound-vip||http|reviews', 'inbound-vip|', undefined],
    ['inbound-vip|9080|http|', 'inbound-vip|', undefined],
    ['inbound-vip|9080|http|*.example.com', 'inbound-vip|', undefined],
    ['inbound-vip|9080|http|a|b', 'inbound-vip|', undefined],
    ['inbound-vip|9080|http', 'inbound-vip|', undefined],
    ['outbound|9080||reviews.bookinfo.svc.cluster.local', 'inbound-vip|', undefined],
    ['outbound|9080||reviews.bookinfo.svc.cluster.local', 'outbound|', 'reviews.bookinfo.svc.cluster.local'],
    ['outbound|9080||.reviews', 'outbound|', undefined],
    [undefined, 'outbound|', undefined],
  ] as [string | undefined, string, string | undefined][])('%j (%s) → %j', (cluster, prefix, want) => {
    expect(istioClusterHost(cluster, prefix)).toBe(want);
  });
});

describe('serviceNameOfHost', () => {
  it.each([
    ['reviews.bookinfo.svc.cluster.local', 'reviews.bookinfo'],
    ['web.team-a.svc.corp.internal', 'web.team-a'],
    ['bookinfo-gateway-istio.bookinfo.svc.cluster.local', 'bookinfo-gateway-istio.bookinfo'],
    ['httpbin.org', 'httpbin.org'],
    ['api.example.com', 'api.example.com'],
    ['reviews', 'reviews'],
    ['10.244.2.9', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as [string | undefined, string | undefined][])('%j → %j', (host, want) => {
    expect(serviceNameOfHost(host)).toBe(want);
  });
});

describe('isWaypointSpan', () => {
  it.each([
    [{ node_id: WAYPOINT }, true],
    [{ node_id: WAYPOINT, upstream_cluster: 'encap' }, true],
    [{ upstream_cluster: VIP_REVIEWS }, true],
    [{ 'upstream_cluster.name': 'inbound-pod|9080||10.244.2.9' }, true],
    [{ node_id: '', upstream_cluster: VIP_REVIEWS }, true],
    [{ node_id: SIDECAR, upstream_cluster: VIP_REVIEWS }, false],
    [{ upstream_cluster: 'encap' }, false],
    [{ upstream_cluster: 'inbound|9080||' }, false],
    [{ node_id: 'waypoint-abc' }, false],
  ] as [Record<string, string>, boolean][])('%j → %j', (tags, want) => {
    expect(isWaypointSpan(facts(tags))).toBe(want);
  });
});

describe('the destination service of a waypoint span', () => {
  const names = new WaypointClusterNames();
  const DEST_TAGS = { 'istio.destination_canonical_service': 'reviews', 'istio.destination_namespace': 'bookinfo', 'istio.destination_workload': 'reviews-v2' };
  it.each([
    ['the VIP cluster', { node_id: WAYPOINT, upstream_cluster: VIP_REVIEWS }, 'waypoint.bookinfo', 'reviews.bookinfo'],
    ['the VIP cluster in upstream_cluster.name', { node_id: WAYPOINT, upstream_cluster: 'encap', 'upstream_cluster.name': VIP_REVIEWS }, undefined, 'reviews.bookinfo'],
    ['the VIP cluster wins over the destination tags', { node_id: WAYPOINT, upstream_cluster: VIP_REVIEWS, 'istio.destination_canonical_service': 'reviews-canary', 'istio.destination_namespace': 'bookinfo' }, undefined, 'reviews.bookinfo'],
    ['a ServiceEntry host (egress waypoint)', { node_id: WAYPOINT, upstream_cluster: 'inbound-vip|443|http|httpbin.org' }, 'waypoint.egress', 'httpbin.org'],
    ['the OpenTelemetry tracer\'s service.name (Istio ≥ 1.28)', { node_id: WAYPOINT, upstream_cluster: 'encap' }, 'ratings.bookinfo.svc.cluster.local', 'ratings.bookinfo'],
    ['destination tags (Istio 1.29) for direct pod access', { node_id: WAYPOINT, upstream_cluster: 'encap', ...DEST_TAGS }, 'waypoint.bookinfo', 'reviews.bookinfo'],
    ['destination workload without canonical service', { node_id: WAYPOINT, upstream_cluster: 'encap', 'istio.destination_workload': 'reviews-v2', 'istio.destination_namespace': 'bookinfo' }, undefined, 'reviews-v2.bookinfo'],
    ['istio.upstream.* pair', { node_id: WAYPOINT, upstream_cluster: 'encap', 'istio.upstream.workload': 'reviews-v3', 'istio.upstream.namespace': 'bookinfo' }, undefined, 'reviews-v3.bookinfo'],
    ['unresolved destination tags (-) are ignored', { node_id: WAYPOINT, upstream_cluster: 'encap', 'istio.destination_canonical_service': '-', 'istio.destination_namespace': '-' }, 'waypoint.bookinfo', undefined],
    ['an outbound| route to a service the waypoint does not serve', { node_id: WAYPOINT, upstream_cluster: 'outbound|9080||ratings.bookinfo.svc.cluster.local' }, 'waypoint.bookinfo', 'ratings.bookinfo'],
    ['old pod cluster (an IP) names nothing', { node_id: WAYPOINT, upstream_cluster: 'inbound-pod|9080||10.244.2.9' }, 'waypoint.bookinfo', undefined],
    ['nothing at all', { node_id: WAYPOINT }, undefined, undefined],
  ] as [string, Record<string, string>, string | undefined, string | undefined][])('%s', (_n, tags, resourceName, want) => {
    expect(names.destination(facts(tags), resourceName)).toBe(want);
  });
});

describe('waypointSource', () => {
  it.each([
    ['canonical service and namespace', { 'istio.source_canonical_service': 'productpage', 'istio.source_namespace': 'bookinfo', 'istio.source_workload': 'productpage-v1' }, 'productpage.bookinfo'],
    ['workload when the canonical service is unresolved', { 'istio.source_canonical_service': '-', 'istio.source_workload': 'productpage-v1', 'istio.source_namespace': 'bookinfo' }, 'productpage-v1.bookinfo'],
    ['canonical service without namespace', { 'istio.source_canonical_service': 'productpage' }, 'productpage'],
    ['istio.downstream.* pair', { 'istio.downstream.workload': 'curl', 'istio.downstream.namespace': 'default' }, 'curl.default'],
    ['source namespace missing: the downstream one', { 'istio.source_canonical_service': 'curl', 'istio.downstream.namespace': 'default' }, 'curl.default'],
    ['a caller outside the mesh (-)', { 'istio.source_canonical_service': '-', 'istio.source_workload': '-', 'istio.source_namespace': '-' }, undefined],
    ['"unknown" is no name', { 'istio.source_canonical_service': 'unknown', 'istio.source_namespace': 'default' }, undefined],
    ['no tags (Istio < 1.29)', {}, undefined],
  ] as [string, Record<string, string>, string | undefined][])('%s', (_n, tags, want) => {
    expect(waypointSource(facts(tags))).toBe(want);
  });
});

describe('the waypoint\'s own name', () => {
  const generic = new GenericServiceNames(DEFAULT_GENERIC_SERVICE_NAMES);
  const isGeneric = (n: string | undefined) => generic.matches(n);
  it.each([
    ['kept from a previous pass', { node_id: WAYPOINT, 'meshtrace.waypoint': 'wp.infra' }, 'details.bookinfo', 'wp.infra'],
    ['its canonical service tags', { node_id: WAYPOINT, 'istio.canonical_service': 'bookinfo-waypoint', 'istio.namespace': 'bookinfo' }, 'reviews.bookinfo.svc.cluster.local', 'bookinfo-waypoint.bookinfo'],
    ['"unknown" canonical service falls through', { node_id: WAYPOINT, 'istio.canonical_service': 'unknown' }, 'waypoint.bookinfo', 'waypoint.bookinfo'],
    ['the Zipkin tracer\'s service name', { node_id: WAYPOINT }, 'waypoint.bookinfo', 'waypoint.bookinfo'],
    ['not a service host (OpenTelemetry, Istio ≥ 1.28): the node id', { node_id: WAYPOINT }, 'reviews.bookinfo.svc.cluster.local', 'waypoint.bookinfo'],
    ['not a generic name: the node id', { node_id: WAYPOINT }, 'unknown_service:envoy', 'waypoint.bookinfo'],
    ['no node id and a host service name', { upstream_cluster: VIP_REVIEWS }, 'reviews.bookinfo.svc.cluster.local', undefined],
  ] as [string, Record<string, string>, string | undefined, string | undefined][])('%s', (_n, tags, resourceName, want) => {
    expect(waypointName(facts(tags), resourceName, isGeneric)).toBe(want);
  });

  it.each([
    [WAYPOINT, 'waypoint.bookinfo'],
    ['waypoint~10.0.0.1~namespace-istio-waypoint-7c6566694f-8drf8.default~default.svc.cluster.local', 'namespace-istio-waypoint.default'],
    ['waypoint~10.0.0.1~egress-gw-5d8f9c7b6-abcde.infra~infra.svc.cluster.local', 'egress-gw.infra'],
    ['waypoint~10.0.0.1~plainpod.infra~infra.svc.cluster.local', 'plainpod.infra'],
    ['waypoint~10.0.0.1', undefined],
    [SIDECAR, undefined],
    [undefined, undefined],
  ] as [string | undefined, string | undefined][])('node id %j → %j', (node, want) => {
    expect(waypointNameFromNodeId(node)).toBe(want);
  });

  it.each([
    ['waypoint-5b7c754ccb-55jwk', 'waypoint'],
    ['my-app-v2-6f89b6c557-sg2bc', 'my-app-v2'],
    ['statefulset-0', 'statefulset-0'],
    ['a-b', 'a-b'],
  ])('pod %s → deployment %s', (pod, want) => {
    expect(deploymentOfPod(pod)).toBe(want);
  });

  it.each([['productpage', true], ['-', false], ['', false], ['unknown', false], [undefined, false]] as [string | undefined, boolean][])('usable tag %j → %j', (v, want) => {
    expect(isUsableTag(v)).toBe(want);
  });
});

describe('synthesizedClientSpanId', () => {
  it('is a fixed function of the span ID: 8 bytes, never the input, never zero', () => {
    const id = Buffer.from('d28bff40fcb118c5', 'hex');
    const a = synthesizedClientSpanId(id);
    expect(a.length).toBe(8);
    expect(Buffer.from(a).equals(Buffer.from(synthesizedClientSpanId(Buffer.from(id))))).toBe(true);
    expect(Buffer.from(a).equals(id)).toBe(false);
    expect(Buffer.from(a).equals(Buffer.alloc(8))).toBe(false);
    expect(Buffer.from(synthesizedClientSpanId(Buffer.alloc(8))).equals(Buffer.alloc(8))).toBe(false);
  });

  it('gives 100,000 different span IDs 100,000 different IDs (a permutation), none equal to its input', () => {
    const rng = seededRng(13);
    const inputs = new Set<string>();
    const outputs = new Set<string>();
    for (let i = 0; i < 100_000; i++) {
      const id = Buffer.alloc(8);
      // Half random, half neighbours (IDs differing in one low byte), which a weak mix would collide.
      if (i % 2 === 0) for (let b = 0; b < 8; b++) id[b] = rng.int(256);
      else id.writeUInt32BE(i, 4);
      const hex = id.toString('hex');
      if (inputs.has(hex)) continue;
      inputs.add(hex);
      const out = Buffer.from(synthesizedClientSpanId(id)).toString('hex');
      expect(out).not.toBe(hex);
      outputs.add(out);
    }
    expect(inputs.size).toBeGreaterThan(99_000);
    expect(outputs.size).toBe(inputs.size);
  });
});
