/**
 * Istio ambient waypoints (docs/istio-processor.md, "Ambient waypoints"): pure rules over one
 * span's facts. A waypoint is an Envoy that handles L7 traffic for the services bound to it and
 * reports ONE span per request and hop, on behalf of the destination service: there is no
 * client/server pair as with sidecars. What it reports depends on the Istio version and tracer:
 *
 * - node id `waypoint~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`;
 * - cluster `inbound-vip|<port>|<proto>[/<subset>]|<host>` towards a service it serves
 *   (istio/istio pilot/pkg/networking/core/listener_waypoint.go), `outbound|…` when a route leads
 *   to a service it does not serve, `encap` for direct pod access, and on Istio 1.18–1.21
 *   waypoints `inbound-pod|<port>||<pod ip>`;
 * - `service.name`: `waypoint.<ns>` (Zipkin tracer; OpenTelemetry tracer before Istio 1.28), or
 *   the destination service's host with the OpenTelemetry tracer since Istio 1.28 (istio PR 57024);
 * - since Istio 1.29 the peers' identities: `istio.source_*`, `istio.destination_*` and the
 *   `istio.downstream.*` / `istio.upstream.*` pairs (istio PR 58872). Envoy writes `-` for a
 *   value it could not resolve.
 */
import type { SpanFacts } from './span-facts.js';
import { ClusterMemo } from '../../pdata/cluster-memo.js';
import { istioClusterHost, isKubernetesServiceHost, isUsableCanonical, isWaypointNode, serviceNameOfHost } from './rules.js';

const VIP_CLUSTER_PREFIX = 'inbound-vip|';

/** A peer-identity tag value that names something (Envoy writes `-` for a missing filter-state field). */
export function isUsableTag(v: string | undefined): v is string {
  return v !== undefined && v !== '' && v !== '-' && v !== 'unknown';
}

/** `<name>.<namespace>`, or the name alone without a usable namespace; undefined without a name. */
function qualified(name: string | undefined, namespace: string | undefined): string | undefined {
  if (!isUsableTag(name)) return undefined;
  return isUsableTag(namespace) ? `${name}.${namespace}` : name;
}

/** Service names of waypoint clusters, memoised per processor: a waypoint names few clusters. */
export class WaypointClusterNames {
  private readonly vip = new ClusterMemo((c) => serviceNameOfHost(istioClusterHost(c, VIP_CLUSTER_PREFIX)));
  private readonly outbound = new ClusterMemo((c) => serviceNameOfHost(istioClusterHost(c, 'outbound|')));
  private readonly hosts = new ClusterMemo((h) => (isKubernetesServiceHost(h) ? serviceNameOfHost(h) : undefined));

  /** `inbound-vip|9080|http|reviews.bookinfo.svc.cluster.local` → `reviews.bookinfo`. */
  vipService(f: SpanFacts): string | undefined {
    return this.vip.lookup(f.upstreamCluster) ?? this.vip.lookup(f.upstreamClusterName);
  }

  /** `outbound|9080||ratings.bookinfo.svc.cluster.local` → `ratings.bookinfo`. */
  outboundService(f: SpanFacts): string | undefined {
    return this.outbound.lookup(f.upstreamCluster) ?? this.outbound.lookup(f.upstreamClusterName);
  }

  /** A `service.name` that is a Kubernetes service host (Istio ≥ 1.28, OpenTelemetry tracer) → `<svc>.<ns>`. */
  hostService(serviceName: string | undefined): string | undefined {
    return this.hosts.lookup(serviceName);
  }

  /**
   * The service the waypoint acted for, as `<service>.<namespace>` (the form the processor gives
   * sidecars, so ambient and sidecar spans of one service share a name), strongest evidence first:
   * 1. the `inbound-vip|` cluster's host: the service whose VIP was called, whatever the tracer;
   * 2. a `service.name` that is that service's host (OpenTelemetry tracer, Istio ≥ 1.28);
   * 3. the destination identity tags (Istio ≥ 1.29): canonical service, else workload, with its namespace;
   * 4. the host of an `outbound|` cluster (a route to a service this waypoint does not serve).
   * Undefined when nothing names it (e.g. direct pod access through `encap` on Istio < 1.29).
   */
  destination(f: SpanFacts, resourceServiceName: string | undefined): string | undefined {
    return (
      this.vipService(f) ??
      this.hostService(resourceServiceName) ??
      qualified(f.destinationCanonicalService, f.destinationNamespace) ??
      qualified(f.destinationWorkload, f.destinationNamespace) ??
      qualified(f.upstreamWorkload, f.upstreamNamespace) ??
      this.outboundService(f)
    );
  }
}

/**
 * The calling service (Istio ≥ 1.29 tags): source canonical service, else source workload, else
 * `istio.downstream.workload`, each with its namespace: `productpage.bookinfo`. Undefined before
 * Istio 1.29 or when the caller is outside the mesh.
 */
export function waypointSource(f: SpanFacts): string | undefined {
  const ns = isUsableTag(f.sourceNamespace) ? f.sourceNamespace : f.downstreamNamespace;
  return qualified(f.sourceCanonicalService, ns) ?? qualified(f.sourceWorkload, ns) ?? qualified(f.downstreamWorkload, f.downstreamNamespace);
}

/**
 * `waypoint-5b7c754ccb-55jwk` → `waypoint`: a Deployment's pod name is
 * `<deployment>-<pod-template-hash>-<5 characters>`; Istio deploys waypoints as Deployments named
 * after their Gateway. Any other name is returned whole.
 */
export function deploymentOfPod(pod: string): string {
  const m = /^(.+)-[0-9a-z]{5,10}-[0-9a-z]{5}$/.exec(pod);
  return m ? m[1]! : pod;
}

/** `waypoint~10.244.0.28~waypoint-5b7c754ccb-55jwk.bookinfo~bookinfo.svc.cluster.local` → `waypoint.bookinfo`. */
export function waypointNameFromNodeId(nodeId: string | undefined): string | undefined {
  if (!isWaypointNode(nodeId)) return undefined;
  const parts = nodeId!.split('~');
  if (parts.length < 3) return undefined;
  const podDotNs = parts[2]!;
  const dot = podDotNs.lastIndexOf('.');
  if (dot <= 0 || dot === podDotNs.length - 1) return podDotNs === '' ? undefined : deploymentOfPod(podDotNs);
  return `${deploymentOfPod(podDotNs.slice(0, dot))}.${podDotNs.slice(dot + 1)}`;
}

/**
 * The waypoint's own name as `<name>.<namespace>` (the service name Istio's Zipkin tracer gives
 * it), kept in `meshtrace.waypoint` when the span moves to the destination service: the value a
 * previous pass wrote; the waypoint's canonical service tags; a `service.name` that is neither a
 * service host nor generic; the node id.
 */
export function waypointName(f: SpanFacts, resourceServiceName: string | undefined, isGeneric: (name: string | undefined) => boolean): string | undefined {
  if (f.waypointName !== undefined) return f.waypointName;
  if (isUsableCanonical(f.canonicalService)) return qualified(f.canonicalService, f.namespace);
  if (resourceServiceName !== undefined && !isGeneric(resourceServiceName) && !isKubernetesServiceHost(resourceServiceName)) {
    return resourceServiceName;
  }
  return waypointNameFromNodeId(f.nodeId);
}

// ---- the synthesized CLIENT span's ID ---------------------------------------------------

const ROUND_KEYS = [0x9e3779b9, 0x7f4a7c15, 0x85ebca6b, 0xc2b2ae35] as const;

/** A 32-bit mixing function (lowbias32). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The span ID of the CLIENT span synthesized for a waypoint span: a fixed permutation of the
 * waypoint span's ID (a 4-round Feistel network, so distinct waypoint spans never share one), so
 * that processing the same span twice (a client's retry, two collector tiers) gives the same ID.
 */
export function synthesizedClientSpanId(spanId: Uint8Array): Uint8Array {
  let l = ((spanId[0]! << 24) | (spanId[1]! << 16) | (spanId[2]! << 8) | spanId[3]!) >>> 0;
  let r = ((spanId[4]! << 24) | (spanId[5]! << 16) | (spanId[6]! << 8) | spanId[7]!) >>> 0;
  for (const key of ROUND_KEYS) {
    const next = (l ^ mix32(r ^ key)) >>> 0;
    l = r;
    r = next;
  }
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(l, 0);
  out.writeUInt32BE(r, 4);
  // The all-zero ID is invalid; one input in 2^64 maps there.
  if (l === 0 && r === 0) out[7] = 1;
  return out;
}
