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
  /** Index of a string `http.status_code` attribute, or -1. */
  statusCodeIndex = -1;
  /** Index of a string `user_agent` attribute, or -1. */
  userAgentIndex = -1;
  /** Index of `meshtrace.direction` (any type), or -1. */
  directionIndex = -1;
  hasUserAgentOriginal = false;
  hasPeerService = false;

  reset(): void {
    this.component = undefined;
    this.nodeId = undefined;
    this.upstreamCluster = undefined;
    this.upstreamClusterName = undefined;
    this.meshtraceKind = undefined;
    this.meshtraceDirection = undefined;
    this.canonicalService = undefined;
    this.namespace = undefined;
    this.statusCodeIndex = -1;
    this.userAgentIndex = -1;
    this.directionIndex = -1;
    this.hasUserAgentOriginal = false;
    this.hasPeerService = false;
  }
}

/** Resets `facts` and fills it from `attrs` (a span's attributes); returns `facts`. */
export function readSpanFacts(attrs: readonly KeyValue[] | undefined | null, facts: SpanFacts): SpanFacts {
  facts.reset();
  if (!attrs) return facts;
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i];
    const v = kv.value;
    const s = v != null && v.stringValue != null ? v.stringValue : undefined;
    switch (kv.key) {
      case ATTR.component:
        facts.component = s;
        break;
      case ATTR.nodeId:
        facts.nodeId = s;
        break;
      case ATTR.upstreamCluster:
        facts.upstreamCluster = s;
        break;
      case ATTR.upstreamClusterName:
        facts.upstreamClusterName = s;
        break;
      case ATTR.meshtraceKind:
        facts.meshtraceKind = s;
        break;
      case ATTR.meshtraceDirection:
        facts.meshtraceDirection = s;
        facts.directionIndex = i;
        break;
      case ATTR.httpStatusCode:
        facts.statusCodeIndex = s !== undefined ? i : -1;
        break;
      case ATTR.userAgent:
        facts.userAgentIndex = s !== undefined ? i : -1;
        break;
      case ATTR.userAgentOriginal:
        facts.hasUserAgentOriginal = true;
        break;
      case ATTR.peerService:
        facts.hasPeerService = true;
        break;
      case ATTR.canonicalService:
        facts.canonicalService = s;
        break;
      case ATTR.namespace:
        facts.namespace = s;
        break;
    }
  }
  return facts;
}
