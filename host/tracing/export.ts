/**
 * Finished spans as Envoy's tracers send them (pure):
 * - the OpenTelemetry tracer: one ExportTraceServiceRequest per flush, one ResourceSpans with the
 *   tracer's resource (`service.name`), one ScopeSpans, string attributes (tracer.cc flushSpans),
 *   here in the OTLP/JSON mapping (hex IDs, enum numbers, nanosecond strings);
 * - the Zipkin tracer: a Zipkin v2 JSON list (span_buffer.cc, JSON_V2): microsecond times,
 *   `localEndpoint.serviceName` the proxy's cluster (Istio: `<app>.<namespace>`), tags as strings,
 *   `shared: true` on a span that shares its caller's span ID, 64-bit trace IDs as 16 digits.
 */
import type { FinishedSpan } from './span.js';

const OTLP_KIND = { SERVER: 2, CLIENT: 3 } as const;

/** OTLP/JSON ExportTraceServiceRequest of one flush. */
export function otlpJsonRequest(spans: readonly FinishedSpan[], serviceName: string): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: serviceName } }] },
        scopeSpans: [
          {
            scope: {},
            spans: spans.map((s) => ({
              traceId: s.traceId.padStart(32, '0'),
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              ...(s.tracestate ? { traceState: s.tracestate } : {}),
              name: s.name,
              kind: OTLP_KIND[s.kind],
              startTimeUnixNano: s.startNanos.toString(),
              endTimeUnixNano: s.endNanos.toString(),
              attributes: Object.entries(s.tags).map(([key, v]) => ({ key, value: { stringValue: v } })),
            })),
          },
        ],
      },
    ],
  };
}

/** Zipkin v2 JSON list of one flush. */
export function zipkinV2(spans: readonly FinishedSpan[], serviceName: string): Array<Record<string, unknown>> {
  return spans.map((s) => ({
    traceId: s.traceId,
    id: s.spanId,
    ...(s.parentSpanId ? { parentId: s.parentSpanId } : {}),
    name: s.name,
    kind: s.kind,
    timestamp: Number(s.startNanos / 1000n),
    duration: Math.max(1, Number((s.endNanos - s.startNanos) / 1000n)),
    localEndpoint: { serviceName },
    tags: { ...s.tags },
    ...(s.shared ? { shared: true } : {}),
  }));
}
