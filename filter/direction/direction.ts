// Which way a request flows through this proxy, and so which span kind Envoy's
// span for it has. Pure: the filter reads the properties and passes them in.
// The staged functions let the filter read a property only when the earlier
// sources did not decide (each property read is a host call).

export const DIRECTION_UNKNOWN: i32 = 0;
export const DIRECTION_INBOUND: i32 = 1;
export const DIRECTION_OUTBOUND: i32 = 2;

export const KIND_NONE: i32 = 0;
export const KIND_SERVER: i32 = 1;
export const KIND_CLIENT: i32 = 2;

/** Configured `direction`: auto (detect) or a fixed direction (DIRECTION_INBOUND / DIRECTION_OUTBOUND). */
export const CONFIG_DIRECTION_AUTO: i32 = 0;

/** What decided, for logs. */
export const SOURCE_NONE: i32 = 0;
export const SOURCE_CONFIG: i32 = 1;
export const SOURCE_GATEWAY: i32 = 2;
export const SOURCE_LISTENER_DIRECTION: i32 = 3; // xds.listener_direction
export const SOURCE_OLD_LISTENER_DIRECTION: i32 = 4; // listener_direction (Envoy < 1.33)
export const SOURCE_CLUSTER_NAME: i32 = 5; // xds.cluster_name
export const SOURCE_OLD_CLUSTER_NAME: i32 = 6; // cluster_name (Envoy < 1.33)
export const SOURCE_WAYPOINT: i32 = 7; // node id waypoint~ (Istio ambient)

/** Pass this for a listener-direction property the host did not return. */
export const LISTENER_DIRECTION_ABSENT: i64 = -1;

export class DirectionDecision {
  direction: i32 = DIRECTION_UNKNOWN;
  kind: i32 = KIND_NONE;
  source: i32 = SOURCE_NONE;

  reset(): void {
    this.direction = DIRECTION_UNKNOWN;
    this.kind = KIND_NONE;
    this.source = SOURCE_NONE;
  }

  get known(): bool {
    return this.direction != DIRECTION_UNKNOWN;
  }
}

/** inbound → server, outbound → client: the proxy receives the inbound request and makes the outbound call. */
export function kindFor(direction: i32): i32 {
  if (direction == DIRECTION_INBOUND) return KIND_SERVER;
  if (direction == DIRECTION_OUTBOUND) return KIND_CLIENT;
  return KIND_NONE;
}

function decide(out: DirectionDecision, direction: i32, source: i32): bool {
  out.direction = direction;
  out.kind = kindFor(direction);
  out.source = source;
  return true;
}

/** Istio gateways run with node ids `router~<ip>~<pod>.<ns>~<domain>` (sidecars: `sidecar~...`). */
export function isGatewayNodeId(nodeId: string | null): bool {
  return nodeId !== null && nodeId.startsWith("router~");
}

/**
 * Istio ambient waypoints run with node ids `waypoint~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`.
 * A waypoint reports one span per request, on behalf of the destination service: the server
 * side of the hop (its listener `main_internal` is an INBOUND listener in Istio's config).
 */
export function isWaypointNodeId(nodeId: string | null): bool {
  return nodeId !== null && nodeId.startsWith("waypoint~");
}

/**
 * Stage 1, no host calls: the configured `direction` overrides everything; a gateway
 * (configured, or detected by node id) is the mesh's entry point, so inbound / SERVER; a
 * waypoint (node id) acts for the destination service, so inbound / SERVER as well.
 * Returns true when decided. The node id is per proxy: read it once at configure time.
 */
export function decideFromConfig(configDirection: i32, configGateway: bool, nodeId: string | null, out: DirectionDecision): bool {
  out.reset();
  if (configDirection == DIRECTION_INBOUND || configDirection == DIRECTION_OUTBOUND) {
    return decide(out, configDirection, SOURCE_CONFIG);
  }
  if (configGateway || isGatewayNodeId(nodeId)) return decide(out, DIRECTION_INBOUND, SOURCE_GATEWAY);
  if (isWaypointNodeId(nodeId)) return decide(out, DIRECTION_INBOUND, SOURCE_WAYPOINT);
  return false;
}

/**
 * Stage 2: a listener-direction property (int64: 0 unspecified, 1 inbound, 2 outbound).
 * Unspecified, absent and unknown values do not decide.
 */
export function decideFromListenerDirection(value: i64, source: i32, out: DirectionDecision): bool {
  if (value == 1) return decide(out, DIRECTION_INBOUND, source);
  if (value == 2) return decide(out, DIRECTION_OUTBOUND, source);
  return false;
}

/**
 * Stage 3: an Istio cluster name. `inbound|9080||` / `outbound|9080||reviews.default.svc.cluster.local`;
 * also Istio's passthrough clusters `InboundPassthroughCluster*` (inbound) and `PassthroughCluster` (outbound),
 * and a waypoint's clusters (inbound: it serves the destination): `inbound-vip|9080|http|reviews.default.svc.cluster.local`
 * towards a service, `inbound-pod|9080||10.244.2.9` towards a pod (Istio 1.18-1.21 waypoints).
 */
export function directionOfClusterName(name: string | null): i32 {
  if (name === null) return DIRECTION_UNKNOWN;
  const n = name;
  if (n.startsWith("inbound|")) return DIRECTION_INBOUND;
  if (n.startsWith("inbound-vip|") || n.startsWith("inbound-pod|")) return DIRECTION_INBOUND;
  if (n.startsWith("outbound|")) return DIRECTION_OUTBOUND;
  if (n.startsWith("InboundPassthroughCluster")) return DIRECTION_INBOUND;
  if (n == "PassthroughCluster") return DIRECTION_OUTBOUND;
  return DIRECTION_UNKNOWN;
}

export function decideFromClusterName(name: string | null, source: i32, out: DirectionDecision): bool {
  const d = directionOfClusterName(name);
  if (d == DIRECTION_UNKNOWN) return false;
  return decide(out, d, source);
}

/**
 * All sources in order: configured direction, gateway, waypoint, xds.listener_direction, listener_direction,
 * xds.cluster_name, cluster_name. Nothing tells → DIRECTION_UNKNOWN / KIND_NONE (stamp nothing).
 * Pass LISTENER_DIRECTION_ABSENT / null for properties the host did not return.
 */
export function decideDirection(
  xdsListenerDirection: i64, oldListenerDirection: i64,
  xdsClusterName: string | null, oldClusterName: string | null,
  nodeId: string | null, configDirection: i32, configGateway: bool,
  out: DirectionDecision,
): DirectionDecision {
  if (decideFromConfig(configDirection, configGateway, nodeId, out)) return out;
  if (decideFromListenerDirection(xdsListenerDirection, SOURCE_LISTENER_DIRECTION, out)) return out;
  if (decideFromListenerDirection(oldListenerDirection, SOURCE_OLD_LISTENER_DIRECTION, out)) return out;
  if (decideFromClusterName(xdsClusterName, SOURCE_CLUSTER_NAME, out)) return out;
  if (decideFromClusterName(oldClusterName, SOURCE_OLD_CLUSTER_NAME, out)) return out;
  return out;
}

/** Stamp values: `inbound` / `outbound`, `server` / `client` ("" when unknown). Static strings. */
export function directionName(direction: i32): string {
  if (direction == DIRECTION_INBOUND) return "inbound";
  if (direction == DIRECTION_OUTBOUND) return "outbound";
  return "";
}

export function kindName(kind: i32): string {
  if (kind == KIND_SERVER) return "server";
  if (kind == KIND_CLIENT) return "client";
  return "";
}

export function sourceName(source: i32): string {
  switch (source) {
    case SOURCE_CONFIG: return "config direction";
    case SOURCE_GATEWAY: return "gateway";
    case SOURCE_LISTENER_DIRECTION: return "xds.listener_direction";
    case SOURCE_OLD_LISTENER_DIRECTION: return "listener_direction";
    case SOURCE_CLUSTER_NAME: return "xds.cluster_name";
    case SOURCE_OLD_CLUSTER_NAME: return "cluster_name";
    case SOURCE_WAYPOINT: return "waypoint";
  }
  return "none";
}
