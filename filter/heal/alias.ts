// The healed trace's alias: the header that tells every span downstream of a healed request
// which trace it belongs to (`healed_trace_header`, default x-meshtrace-healed-trace, value the
// trace ID in 32 lower-hex digits). Pure: reads bytes at the addresses given.
//
// Why it exists: Envoy starts a request's span from the request's headers before any filter runs
// (conn_manager_impl.cc traceRequest, then the filter chain), so the proxy span of an outbound
// request that lost its context starts a trace of its own (T2), and when the router forwards the
// request it writes that span's context over the tracer's own format. The callee's proxy
// continues T2. The healed trace (T1) reaches the spans only as this header, which Istio's
// Telemetry customTags record (meshtrace.healed_trace) and the collector's reparent processor
// uses to move them into T1.
//
// Who may set it: the filter itself, on outbound requests (healed, or of a request whose inbound
// side carried an alias), and the filter of the caller's sidecar, seen on an inbound
// request that arrived over mutual TLS. Istio's sidecar inbound listener runs with
// forward_client_cert_details APPEND_FORWARD and set_current_client_cert_details, so Envoy adds
// x-forwarded-client-cert to every mTLS request and removes it from any other before the filters
// run (conn_manager_utility.cc mutateXfccRequestHeader; istio buildSidecarInboundHTTPOpts): its
// presence is the proof that a mesh workload sent the request. Gateways and waypoints never trust
// the header (their callers are outside the sidecar mesh), nor does an inbound request without the
// certificate header; the filter removes it there, as it removes a forged stamp.
import { isLowerHexRange, isZeroRange } from "../tracecontext/chars";

/** Length of an alias value: a 128-bit trace ID in lower-case hex. */
export const ALIAS_LENGTH: i32 = 32;

/** The header Envoy sets on mutual-TLS requests of an Istio sidecar's inbound listener. */
export const CLIENT_CERT_HEADER: string = "x-forwarded-client-cert";

/** A well-formed alias value: 32 lower-hex digits, not all zero (the n bytes at p). */
export function isAliasValue(p: usize, n: i32): bool {
  return n == ALIAS_LENGTH && isLowerHexRange(p, n) && !isZeroRange(p, n);
}

/**
 * An inbound alias header is trusted when this proxy is a sidecar (not a gateway or waypoint:
 * `edge`), the header arrived exactly once, and the request came over mutual TLS (Envoy left
 * x-forwarded-client-cert on it).
 */
export function isTrustedInboundAlias(edge: bool, aliasCount: i32, mutualTls: bool): bool {
  return !edge && aliasCount == 1 && mutualTls;
}
