/**
 * The Envoy/Istio tags of one span that the istio rules look at, read in a single pass over its
 * attributes. One SpanFacts object is reused for every span of a request (reset, then filled), so
 * reading costs no allocation: it only keeps references to strings that are already there.
 *
 * Only string values count: Envoy writes every tag as a string, so a tag of another type did not
 * come from Envoy and is not interpreted.
 */
import type { KeyValue } from '../../pdata/model.js';

export const ATTR = {
  component: 'component',
  nodeId: 'node_id',
  upstreamCluster: 'upstream_cluster',
  upstreamClusterName: 'upstream_cluster.name',
  meshtraceKind: 'meshtrace.kind',
  meshtraceDirection: 'meshtrace.direction',
  httpStatusCode: 'http.status_code',
  userAgent: 'user_agent',
  userAgentOriginal: 'user_agent.original',
  peerService: 'peer.service',
  canonicalService: 'istio.canonical_service',
  namespace: 'istio.namespace',
  serviceName: 'service.name',
  // Ambient waypoints: the peers' identities Istio 1.29+ tags waypoint spans with (istio PR 58872),
  // under both the `istio.source_*` / `istio.destination_*` names and the shorter
  // `istio.downstream.*` / `istio.upstream.*` ones.
  sourceWorkload: 'istio.source_workload',
  sourceNamespace: 'istio.source_namespace',
  sourceCanonicalService: 'istio.source_canonical_service',
  downstreamWorkload: 'istio.downstream.workload',
  downstreamNamespace: 'istio.downstream.namespace',
  destinationWorkload: 'istio.destination_workload',
  destinationNamespace: 'istio.destination_namespace',
  destinationCanonicalService: 'istio.destination_canonical_service',
  upstreamWorkload: 'istio.upstream.workload',
  upstreamNamespace: 'istio.upstream.namespace',
  // Written by the istio processor on waypoint spans (docs/istio-processor.md).
  meshtraceWaypoint: 'meshtrace.waypoint',
  meshtraceSource: 'meshtrace.source',
  meshtraceSynthesized: 'meshtrace.synthesized',
} as const;

export class SpanFacts {
  component: string | undefined = undefined;
  nodeId: string | undefined = undefined;
  upstreamCluster: string | undefined = undefined;
  upstreamClusterName: string | undefined = undefined;
  meshtraceKind: string | undefined = undefined;
  meshtraceDirection: string | undefined = undefined;
  canonicalService: string | undefined = undefined;
  namespace: string | undefined = undefined;
  sourceWorkload: string | undefined = undefined;
  sourceNamespace: string | undefined = undefined;
  sourceCanonicalService: string | undefined = undefined;
  downstreamWorkload: string | undefined = undefined;
  downstreamNamespace: string | undefined = undefined;
  destinationWorkload: string | undefined = undefined;
  destinationNamespace: string | undefined = undefined;
  destinationCanonicalService: string | undefined = undefined;
  upstreamWorkload: string | undefined = undefined;
  upstreamNamespace: string | undefined = undefined;
  /** `meshtrace.waypoint` as already written (a span this processor has seen before). */
  waypointName: string | undefined = undefined;
  /** Index of a string `http.status_code` attribute, or -1. */
  statusCodeIndex = -1;
  /** Index of a string `user_agent` attribute, or -1. */
  userAgentIndex = -1;
  /** Index of `meshtrace.direction` (any type), or -1. */
  directionIndex = -1;
  hasUserAgentOriginal = false;
  hasPeerService = false;
  hasMeshtraceSource = false;

  reset(): void {
    this.component = undefined;
    this.nodeId = undefined;
    this.upstreamCluster = undefined;
    this.upstreamClusterName = undefined;
    this.meshtraceKind = undefined;
    this.meshtraceDirection = undefined;
    this.canonicalService = undefined;
    this.namespace = undefined;
    this.sourceWorkload = undefined;
    this.sourceNamespace = undefined;
    this.sourceCanonicalService = undefined;
    this.downstreamWorkload = undefined;
    this.downstreamNamespace = undefined;
    this.destinationWorkload = undefined;
    this.destinationNamespace = undefined;
    this.destinationCanonicalService = undefined;
    this.upstreamWorkload = undefined;
    this.upstreamNamespace = undefined;
    this.waypointName = undefined;
    this.statusCodeIndex = -1;
    this.userAgentIndex = -1;
    this.directionIndex = -1;
    this.hasUserAgentOriginal = false;
    this.hasPeerService = false;
    this.hasMeshtraceSource = false;
  }
}

function stringOf(kv: KeyValue): string | undefined {
  const v = kv.value;
  return v != null && v.stringValue != null ? v.stringValue : undefined;
}

/** Resets `facts` and fills it from `attrs` (a span's attributes); returns `facts`. */
export function readSpanFacts(attrs: readonly KeyValue[] | undefined | null, facts: SpanFacts): SpanFacts {
  facts.reset();
  if (!attrs) return facts;
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i];
    const key = kv.key;
    // Dispatch on the key's length first: most of Envoy's ~20 tags are then rejected by one
    // integer comparison instead of a dozen string comparisons.
    switch (key.length) {
      case 7: // node_id
        if (key === ATTR.nodeId) facts.nodeId = stringOf(kv);
        break;
      case 9: // component
        if (key === ATTR.component) facts.component = stringOf(kv);
        break;
      case 10: // user_agent
        if (key === ATTR.userAgent) facts.userAgentIndex = stringOf(kv) !== undefined ? i : -1;
        break;
      case 12: // peer.service
        if (key === ATTR.peerService) facts.hasPeerService = true;
        break;
      case 14: // meshtrace.kind
        if (key === ATTR.meshtraceKind) facts.meshtraceKind = stringOf(kv);
        break;
      case 15: // istio.namespace
        if (key === ATTR.namespace) facts.namespace = stringOf(kv);
        break;
      case 16: // upstream_cluster, http.status_code, meshtrace.source
        if (key === ATTR.upstreamCluster) facts.upstreamCluster = stringOf(kv);
        else if (key === ATTR.httpStatusCode) facts.statusCodeIndex = stringOf(kv) !== undefined ? i : -1;
        else if (key === ATTR.meshtraceSource) facts.hasMeshtraceSource = true;
        break;
      case 18: // meshtrace.waypoint
        if (key === ATTR.meshtraceWaypoint) facts.waypointName = stringOf(kv);
        break;
      case 19: // meshtrace.direction, user_agent.original
        if (key === ATTR.meshtraceDirection) {
          facts.meshtraceDirection = stringOf(kv);
          facts.directionIndex = i;
        } else if (key === ATTR.userAgentOriginal) facts.hasUserAgentOriginal = true;
        break;
      case 21: // upstream_cluster.name, istio.source_workload
        if (key === ATTR.upstreamClusterName) facts.upstreamClusterName = stringOf(kv);
        else if (key === ATTR.sourceWorkload) facts.sourceWorkload = stringOf(kv);
        break;
      case 22: // istio.source_namespace
        if (key === ATTR.sourceNamespace) facts.sourceNamespace = stringOf(kv);
        break;
      case 23: // istio.canonical_service, istio.upstream.workload
        if (key === ATTR.canonicalService) facts.canonicalService = stringOf(kv);
        else if (key === ATTR.upstreamWorkload) facts.upstreamWorkload = stringOf(kv);
        break;
      case 24: // istio.upstream.namespace
        if (key === ATTR.upstreamNamespace) facts.upstreamNamespace = stringOf(kv);
        break;
      case 25: // istio.downstream.workload
        if (key === ATTR.downstreamWorkload) facts.downstreamWorkload = stringOf(kv);
        break;
      case 26: // istio.destination_workload, istio.downstream.namespace
        if (key === ATTR.destinationWorkload) facts.destinationWorkload = stringOf(kv);
        else if (key === ATTR.downstreamNamespace) facts.downstreamNamespace = stringOf(kv);
        break;
      case 27: // istio.destination_namespace
        if (key === ATTR.destinationNamespace) facts.destinationNamespace = stringOf(kv);
        break;
      case 30: // istio.source_canonical_service
        if (key === ATTR.sourceCanonicalService) facts.sourceCanonicalService = stringOf(kv);
        break;
      case 35: // istio.destination_canonical_service
        if (key === ATTR.destinationCanonicalService) facts.destinationCanonicalService = stringOf(kv);
        break;
    }
  }
  return facts;
}
