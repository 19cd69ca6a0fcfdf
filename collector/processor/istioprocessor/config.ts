/**
 * Configuration of the `istio` processor. Every rule can be switched off on its own; the order in
 * which span-kind evidence is read is fixed (see rules.ts) because each source is only trusted
 * where a more reliable one is silent.
 *
 *   processors:
 *     istio:
 *       correct_span_kind: true
 *       record_direction: true
 *       set_peer_service: true
 *       convert_status_code: true
 *       rename_user_agent: true
 *       service_name_from_canonical: true
 *       waypoint_destination_service: true
 *       waypoint_client_spans: true
 *       generic_service_names: ["", "unknown_service", "unknown_service:*", "istio-proxy", "istio-proxy.*", "OTLPResourceNoServiceName"]
 */
import type { ConfigIssues } from '../../config/issues.js';
import { join, readBool, readObject, readStringList } from '../../config/validate.js';

export interface IstioProcessorConfig {
  /** Set span kind from `meshtrace.kind`, then `upstream_cluster`, then a gateway `node_id`. */
  correct_span_kind: boolean;
  /** Write the derived direction into `meshtrace.direction` when the span does not carry it. */
  record_direction: boolean;
  /** `peer.service` on client spans from the host of an `outbound|…` cluster. */
  set_peer_service: boolean;
  /** Envoy's string `http.status_code` → integer attribute (valid 100–599 only). */
  convert_status_code: boolean;
  /** Envoy's `user_agent` → `user_agent.original` (OpenTelemetry semantic conventions). */
  rename_user_agent: boolean;
  /** `service.name` from `istio.canonical_service` (+ `.<istio.namespace>`) when it is generic. */
  service_name_from_canonical: boolean;
  /**
   * Ambient waypoint spans under the destination service's `service.name` (not `waypoint.<ns>`),
   * with the waypoint in `meshtrace.waypoint` and the caller in `meshtrace.source`.
   */
  waypoint_destination_service: boolean;
  /**
   * For a waypoint span whose caller is known (Istio ≥ 1.29 tags), a synthesized CLIENT span of
   * the calling service as its parent, so that service maps built from client → server pairs
   * (Tempo, Jaeger) draw the edge caller → destination (docs/istio-processor.md).
   */
  waypoint_client_spans: boolean;
  /**
   * Resource `service.name` values that mean "the tracer did not know the workload". An entry
   * ending in `*` matches by prefix. A missing `service.name` always counts as generic.
   */
  generic_service_names: string[];
}

export const DEFAULT_GENERIC_SERVICE_NAMES: readonly string[] = [
  '', // Envoy's Zipkin tracer with no --service-cluster
  'unknown_service', // OpenTelemetry SDK default
  'unknown_service:*', // `unknown_service:envoy`, the Envoy OpenTelemetry tracer's default
  'istio-proxy', // Istio's service cluster when the pod has no app label, workload or namespace
  'istio-proxy.*', // ... with only the namespace known (`istio-proxy.default`)
  'OTLPResourceNoServiceName', // what the OpenTelemetry Collector's Zipkin translator writes
];

export function defaultIstioProcessorConfig(): IstioProcessorConfig {
  return {
    correct_span_kind: true,
    record_direction: true,
    set_peer_service: true,
    convert_status_code: true,
    rename_user_agent: true,
    service_name_from_canonical: true,
    waypoint_destination_service: true,
    waypoint_client_spans: true,
    generic_service_names: [...DEFAULT_GENERIC_SERVICE_NAMES],
  };
}

const BOOL_KEYS = [
  'correct_span_kind',
  'record_direction',
  'set_peer_service',
  'convert_status_code',
  'rename_user_agent',
  'service_name_from_canonical',
  'waypoint_destination_service',
  'waypoint_client_spans',
] as const;

const KNOWN_KEYS: readonly string[] = [...BOOL_KEYS, 'generic_service_names'];

/** Validates `processors.istio` (or `processors.istio/<name>`); never throws. */
export function parseIstioProcessorConfig(raw: unknown, path: string, issues: ConfigIssues): IstioProcessorConfig {
  const cfg = defaultIstioProcessorConfig();
  const o = readObject(raw, path, issues, KNOWN_KEYS);
  for (const key of BOOL_KEYS) cfg[key] = readBool(o[key], join(path, key), issues, cfg[key]);
  cfg.generic_service_names = readStringList(
    o.generic_service_names,
    join(path, 'generic_service_names'),
    issues,
    cfg.generic_service_names,
  );
  return cfg;
}
