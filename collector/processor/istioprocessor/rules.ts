/**
 * The istio processor's rules: pure functions over one span's facts (span-facts.ts) or over one
 * tag value. They decide; processor.ts applies. Each returns `undefined` (or 0 for a kind) when
 * the evidence cannot be interpreted, and the processor then leaves the span as it is.
 *
 * Span kind / direction, strongest evidence first:
 *  1. the meshtrace filter's stamps `meshtrace.kind` (server|client) and `meshtrace.direction`
 *     (inbound|outbound) — unless a sidecar's own cluster contradicts them: the filter replaces
 *     the headers on every proxy it runs on, so a contradiction means the stamp was forwarded
 *     from the previous hop by a proxy without the filter (stale) or forged by a client;
 *  2. a gateway `node_id` (`router~…`): gateways are the mesh's entry point, their one span per
 *     request is the SERVER side (Envoy marks it CLIENT: envoy#13141, grafana/tempo#1418);
 *  3. Envoy's `upstream_cluster` (then `upstream_cluster.name`): `inbound|…` → SERVER/inbound,
 *     `outbound|…` → CLIENT/outbound, plus Istio's passthrough clusters.
 */
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
 * (older Istio), `InboundPassthroughCluster[Ipv4|Ipv6]` → inbound; `outbound|9080||reviews.default.svc.cluster.local`,
 * `outbound|9080|v1|…`, `PassthroughCluster`, `BlackHoleCluster` → outbound. Anything else
 * (ambient `inbound-vip|…`, non-Istio clusters like `ns/service`) → undefined.
 */
export function clusterDirection(cluster: string | undefined): Direction | undefined {
  if (cluster === undefined) return undefined;
  if (cluster.startsWith('inbound|')) return 'inbound';
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
  const stamped = kindFromStamp(f.meshtraceKind);
  if (stamped !== 0 && !isStale(directionOfKind(stamped), f)) return stamped;
  if (isGatewayNode(f.nodeId)) return SpanKind.SERVER;
  const d = spanClusterDirection(f);
  return d === undefined ? 0 : kindOfDirection(d);
}

/** The traffic direction of the span, or undefined when nothing tells. */
export function decideDirection(f: SpanFacts): Direction | undefined {
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
 * The service an outbound cluster points to, as OpenTelemetry's `peer.service`:
 * `outbound|9080||reviews.default.svc.cluster.local` and `outbound|9080|v1|reviews.default.svc.cluster.local`
 * → `reviews` (the Kubernetes service, whatever the cluster domain); a ServiceEntry host outside
 * the cluster (`outbound|443||api.example.com`) → the host itself. Wildcard or empty hosts, a
 * port that is not a number, or any other shape → undefined.
 */
export function peerServiceFromCluster(cluster: string | undefined): string | undefined {
  if (cluster === undefined || !cluster.startsWith('outbound|')) return undefined;
  const portEnd = cluster.indexOf('|', 9);
  if (portEnd <= 9) return undefined;
  for (let i = 9; i < portEnd; i++) {
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
  const firstDot = cluster.indexOf('.', hostStart);
  if (firstDot === hostStart || cluster.charCodeAt(cluster.length - 1) === 46) return undefined;
  // <service>.<namespace>.svc.<cluster domain>
  if (firstDot > 0) {
    const secondDot = cluster.indexOf('.', firstDot + 1);
    if (secondDot > firstDot + 1 && cluster.startsWith('.svc.', secondDot) && secondDot + 5 < cluster.length) {
      return cluster.slice(hostStart, firstDot);
    }
  }
  return cluster.slice(hostStart);
}

/**
 * peerServiceFromCluster behind a small bounded memory: the spans of a proxy name the same few
 * clusters over and over, so most lookups skip the scan and share one string. At most
 * `capacity` clusters are kept; the memory starts over when full.
 */
export class PeerServiceCache {
  private readonly known = new Map<string, string | undefined>();

  constructor(private readonly capacity = 256) {}

  lookup(cluster: string | undefined): string | undefined {
    if (cluster === undefined) return undefined;
    const hit = this.known.get(cluster);
    if (hit !== undefined || this.known.has(cluster)) return hit;
    const peer = peerServiceFromCluster(cluster);
    if (this.known.size >= this.capacity) this.known.clear();
    this.known.set(cluster, peer);
    return peer;
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
