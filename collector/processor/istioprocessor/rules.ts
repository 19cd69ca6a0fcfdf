/**
 * The istio processor's rules: pure functions over one span's facts (span-facts.ts) or over one
 * tag value. They decide; processor.ts applies. Each returns `undefined` (or 0 for a kind) when
 * the evidence cannot be interpreted, and the processor then leaves the span as it is.
 *
 * Span kind / direction, strongest evidence first:
 *  0. an ambient waypoint (`waypoint~` node, or an `inbound-vip|` / `inbound-pod|` cluster when
 *     the node id is missing): SERVER/inbound, always. The waypoint's one span per hop is the
 *     destination side (it acts for the destination service; Istio builds its chains on an
 *     INBOUND listener), and the filter stamps it so; a contrary stamp was forwarded by the
 *     calling proxy or forged (see waypoint.ts);
 *  1. the meshtrace filter's stamps `meshtrace.kind` (server|client) and `meshtrace.direction`
 *     (inbound|outbound) — unless a sidecar's own cluster contradicts them: the filter replaces
 *     the headers on every proxy it runs on, so a contradiction means the stamp was forwarded
 *     from the previous hop by a proxy without the filter (stale) or forged by a client;
 *  2. a gateway `node_id` (`router~…`): gateways are the mesh's entry point, their one span per
 *     request is the SERVER side (Envoy marks it CLIENT: envoy#13141, grafana/tempo#1418);
 *  3. Envoy's `upstream_cluster` (then `upstream_cluster.name`): `inbound|…` → SERVER/inbound,
 *     `outbound|…` → CLIENT/outbound, plus Istio's passthrough clusters.
 */
import { ClusterMemo } from '../../pdata/cluster-memo.js';
import { SpanKind } from '../../pdata/model.js';
import type { SpanFacts } from './span-facts.js';

export type Direction = 'inbound' | 'outbound';

/** Whether the span was written by Envoy (or carries the filter's stamps). SDK spans are not. */
export function isEnvoySpan(f: SpanFacts): boolean {
  return (
    f.component === 'proxy' ||
    f.nodeId !== undefined ||
    f.upstreamCluster !== undefined ||
    f.upstreamClusterName !== undefined ||
    f.meshtraceKind !== undefined ||
    f.meshtraceDirection !== undefined
  );
}

/** ASCII case-insensitive equality with a lower-case constant, without allocating. */
function equalsLower(s: string, lower: string): boolean {
  if (s.length !== lower.length) return false;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** `meshtrace.kind` → SpanKind.SERVER / CLIENT; 0 for anything else (case-insensitive). */
export function kindFromStamp(v: string | undefined): number {
  if (v === undefined) return 0;
  if (equalsLower(v, 'server')) return SpanKind.SERVER;
  if (equalsLower(v, 'client')) return SpanKind.CLIENT;
  return 0;
}

/** `meshtrace.direction` → inbound / outbound; undefined for anything else (case-insensitive). */
export function directionFromStamp(v: string | undefined): Direction | undefined {
  if (v === undefined) return undefined;
  if (equalsLower(v, 'inbound')) return 'inbound';
  if (equalsLower(v, 'outbound')) return 'outbound';
  return undefined;
}

/**
 * Direction of an Istio cluster name: `inbound|9080||`, `inbound|9080|http|productpage.default.svc.cluster.local`
 * (older Istio), `InboundPassthroughCluster[Ipv4|Ipv6]`, and a waypoint's `inbound-vip|…` / `inbound-pod|…`
 * → inbound; `outbound|9080||reviews.default.svc.cluster.local`, `outbound|9080|v1|…`, `PassthroughCluster`,
 * `BlackHoleCluster` → outbound. Anything else (a waypoint's `encap`, non-Istio clusters like
 * `ns/service`) → undefined.
 */
export function clusterDirection(cluster: string | undefined): Direction | undefined {
  if (cluster === undefined) return undefined;
  if (cluster.startsWith('inbound|')) return 'inbound';
  if (isWaypointCluster(cluster)) return 'inbound';
  if (cluster.startsWith('outbound|')) return 'outbound';
  if (cluster.startsWith('InboundPassthroughCluster')) return 'inbound';
  if (cluster === 'PassthroughCluster' || cluster === 'BlackHoleCluster') return 'outbound';
  return undefined;
}

/** The cluster evidence of a span: `upstream_cluster` first, `upstream_cluster.name` if the first says nothing. */
export function spanClusterDirection(f: SpanFacts): Direction | undefined {
  return clusterDirection(f.upstreamCluster) ?? clusterDirection(f.upstreamClusterName);
}

/** Istio gateways (ingress and egress) run with a node ID of type `router`. */
export function isGatewayNode(nodeId: string | undefined): boolean {
  return nodeId !== undefined && nodeId.startsWith('router~');
}

/** Istio ambient waypoints run with a node ID of type `waypoint` (see waypoint.ts). */
export function isWaypointNode(nodeId: string | undefined): boolean {
  return nodeId !== undefined && nodeId.startsWith('waypoint~');
}

/** Clusters only a waypoint has: towards a service VIP, or (Istio 1.18–1.21) towards a pod. */
export function isWaypointCluster(cluster: string | undefined): boolean {
  return cluster !== undefined && (cluster.startsWith('inbound-vip|') || cluster.startsWith('inbound-pod|'));
}

/**
 * A waypoint's span: by its node id, or by its cluster when the node id is missing. A span with
 * another proxy's node id is never one, whatever its cluster says.
 */
export function isWaypointSpan(f: SpanFacts): boolean {
  if (f.nodeId) return isWaypointNode(f.nodeId);
  return isWaypointCluster(f.upstreamCluster) || isWaypointCluster(f.upstreamClusterName);
}

function kindOfDirection(d: Direction): number {
  return d === 'inbound' ? SpanKind.SERVER : SpanKind.CLIENT;
}

function directionOfKind(kind: number): Direction {
  return kind === SpanKind.SERVER ? 'inbound' : 'outbound';
}

/**
 * A stamp is stale when the span comes from a non-gateway proxy whose own cluster says the
 * opposite direction (a gateway's SERVER span legitimately routes to an `outbound|` cluster).
 */
function isStale(stamped: Direction, f: SpanFacts): boolean {
  if (isGatewayNode(f.nodeId)) return false;
  const fromCluster = spanClusterDirection(f);
  return fromCluster !== undefined && fromCluster !== stamped;
}

/** The span kind the span should have (SpanKind.SERVER / CLIENT), or 0 when nothing tells. */
export function decideKind(f: SpanFacts): number {
  if (isWaypointSpan(f)) return SpanKind.SERVER;
  const stamped = kindFromStamp(f.meshtraceKind);
  if (stamped !== 0 && !isStale(directionOfKind(stamped), f)) return stamped;
  if (isGatewayNode(f.nodeId)) return SpanKind.SERVER;
  const d = spanClusterDirection(f);
  return d === undefined ? 0 : kindOfDirection(d);
}

/** The traffic direction of the span, or undefined when nothing tells. */
export function decideDirection(f: SpanFacts): Direction | undefined {
  if (isWaypointSpan(f)) return 'inbound';
  const stamped = directionFromStamp(f.meshtraceDirection);
  if (stamped !== undefined && !isStale(stamped, f)) return stamped;
  const kindStamp = kindFromStamp(f.meshtraceKind);
  if (kindStamp !== 0) {
    const d = directionOfKind(kindStamp);
    if (!isStale(d, f)) return d;
  }
  if (isGatewayNode(f.nodeId)) return 'inbound';
  return spanClusterDirection(f);
}

/**
 * The host of an Istio cluster name `<prefix><port>|<subset>|<host>`: `outbound|9080||reviews.default.svc.cluster.local`,
 * `outbound|9080|v1|…`, and a waypoint's `inbound-vip|9080|http|…` / `inbound-vip|9080|http/v1|…`. Undefined when
 * the name has another prefix or shape, the port is not a number, or the host is empty, a wildcard
 * (`*.example.com`), or not a DNS name (letters, digits, `-`, `.`; no leading or trailing dot).
 */
export function istioClusterHost(cluster: string | undefined, prefix: string): string | undefined {
  if (cluster === undefined || !cluster.startsWith(prefix)) return undefined;
  const portStart = prefix.length;
  const portEnd = cluster.indexOf('|', portStart);
  if (portEnd <= portStart) return undefined;
  for (let i = portStart; i < portEnd; i++) {
    const c = cluster.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const subsetEnd = cluster.indexOf('|', portEnd + 1);
  if (subsetEnd < 0) return undefined;
  const hostStart = subsetEnd + 1;
  if (hostStart >= cluster.length || cluster.indexOf('|', hostStart) >= 0) return undefined;
  for (let i = hostStart; i < cluster.length; i++) {
    const c = cluster.charCodeAt(i);
    // DNS name characters only: letters, digits, '-', '.'; no wildcard, space or ':'.
    const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46;
    if (!ok) return undefined;
  }
  if (cluster.charCodeAt(hostStart) === 46 || cluster.charCodeAt(cluster.length - 1) === 46) return undefined;
  return cluster.slice(hostStart);
}

/**
 * For a Kubernetes service host `<service>.<namespace>.svc.<cluster domain>`, the index of the dot
 * that ends the namespace; -1 for any other host (a ServiceEntry host such as `api.example.com`).
 */
function kubernetesNamespaceEnd(host: string): number {
  const firstDot = host.indexOf('.');
  if (firstDot <= 0) return -1;
  const secondDot = host.indexOf('.', firstDot + 1);
  if (secondDot > firstDot + 1 && host.startsWith('.svc.', secondDot) && secondDot + 5 < host.length) return secondDot;
  return -1;
}

/** Whether `host` has the form `<service>.<namespace>.svc.<cluster domain>`. */
export function isKubernetesServiceHost(host: string | undefined): boolean {
  return host !== undefined && kubernetesNamespaceEnd(host) > 0;
}

/**
 * The service an outbound cluster points to, as OpenTelemetry's `peer.service`:
 * `outbound|9080||reviews.default.svc.cluster.local` and `outbound|9080|v1|reviews.default.svc.cluster.local`
 * → `reviews` (the Kubernetes service, whatever the cluster domain); a ServiceEntry host outside
 * the cluster (`outbound|443||api.example.com`) → the host itself. Wildcard or empty hosts, a
 * port that is not a number, or any other shape → undefined.
 */
export function peerServiceFromCluster(cluster: string | undefined): string | undefined {
  const host = istioClusterHost(cluster, 'outbound|');
  if (host === undefined) return undefined;
  return kubernetesNamespaceEnd(host) > 0 ? host.slice(0, host.indexOf('.')) : host;
}

/**
 * The service name a host stands for, in the form Istio names its proxies' services
 * (`<service>.<namespace>`, as `service_name_from_canonical` does): `reviews.bookinfo.svc.cluster.local`
 * → `reviews.bookinfo`; a ServiceEntry host stays whole (`api.example.com`); an IPv4 address
 * (a waypoint's pod target) names no service → undefined.
 */
export function serviceNameOfHost(host: string | undefined): string | undefined {
  if (host === undefined || host === '') return undefined;
  const nsEnd = kubernetesNamespaceEnd(host);
  if (nsEnd > 0) return host.slice(0, nsEnd);
  let digitsAndDots = true;
  for (let i = 0; i < host.length && digitsAndDots; i++) {
    const c = host.charCodeAt(i);
    digitsAndDots = c === 46 || (c >= 48 && c <= 57);
  }
  return digitsAndDots ? undefined : host;
}

/** peerServiceFromCluster memoised (see ClusterMemo). */
export class PeerServiceCache extends ClusterMemo {
  constructor(capacity = 256) {
    super(peerServiceFromCluster, capacity);
  }

  /** `peer.service` from the span's cluster tags (`upstream_cluster`, then `upstream_cluster.name`). */
  forSpan(f: SpanFacts): string | undefined {
    return this.lookup(f.upstreamCluster) ?? this.lookup(f.upstreamClusterName);
  }
}

/** Envoy's string `http.status_code` → its integer, only for exactly three digits 100–599. */
export function parseStatusCode(s: string): number | undefined {
  if (s.length !== 3) return undefined;
  const a = s.charCodeAt(0) - 48;
  const b = s.charCodeAt(1) - 48;
  const c = s.charCodeAt(2) - 48;
  if (a < 1 || a > 5 || b < 0 || b > 9 || c < 0 || c > 9) return undefined;
  return a * 100 + b * 10 + c;
}

/**
 * Matcher for generic `service.name` values (config `generic_service_names`: exact names, or
 * prefixes written with a trailing `*`). A missing name is always generic.
 */
export class GenericServiceNames {
  private readonly exact: Set<string>;
  private readonly prefixes: string[];

  constructor(patterns: readonly string[]) {
    this.exact = new Set(patterns.filter((p) => !p.endsWith('*')));
    this.prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  }

  matches(name: string | undefined): boolean {
    if (name === undefined) return true;
    if (this.exact.has(name)) return true;
    for (const p of this.prefixes) if (name.startsWith(p)) return true;
    return false;
  }
}

/** Whether `istio.canonical_service` names a workload (Istio writes `unknown` when it cannot tell). */
export function isUsableCanonical(canonical: string | undefined): canonical is string {
  return canonical !== undefined && canonical !== '' && canonical !== 'unknown';
}

/**
 * The service name Istio users expect for a workload: `<canonical service>.<namespace>`, the form
 * Istio itself gives its proxies' tracing service name (`APP_LABEL_AND_NAMESPACE`, the default, and
 * `CANONICAL_NAME_AND_NAMESPACE`), e.g. `reviews.default`; just the canonical service when the
 * namespace is unknown. Undefined when there is no usable canonical service.
 */
export function serviceNameFromCanonical(canonical: string | undefined, namespace: string | undefined): string | undefined {
  if (!isUsableCanonical(canonical)) return undefined;
  return namespace === undefined || namespace === '' ? canonical : `${canonical}.${namespace}`;
}
