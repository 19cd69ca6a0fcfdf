/**
 * The span Envoy's HTTP connection manager keeps for one request (pure: IDs come from the random
 * source passed in, times from the caller). Read from Envoy's source:
 *
 * - conn_manager_impl.cc ActiveStream::decodeHeaders calls traceRequest() — the tracer's
 *   startSpan on the request headers — and only then filter_manager_.decodeHeaders: the span's
 *   parent, trace ID and kind are fixed before any filter runs.
 * - Span kind (Istio's listeners: spawn_upstream_span off): the OpenTelemetry tracer makes the
 *   downstream span CLIENT when the listener's operation is Egress, else SERVER
 *   (opentelemetry_tracer_impl.cc getSpanKind); the Zipkin tracer likewise (tracer.cc
 *   getAnnotation: CLIENT_SEND for Egress, SERVER_RECV otherwise). Istio's sidecar inbound is
 *   Ingress, its outbound Egress; its gateways run Egress listeners, so their spans are CLIENT
 *   (the span-kind bug the istio processor corrects with meshtrace.kind).
 * - Zipkin `shared_span_context` (Istio: false): a SERVER span with it on reuses the caller's span
 *   ID (and its parent), reported with `shared: true`; off, it gets an ID of its own, child of the
 *   caller's span. A CLIENT span always gets its own.
 * - http_tracer_impl.cc finalizeDownstreamSpan / setCommonTags, when the request ends: the tags
 *   `guid:x-request-id` (the final request headers' x-request-id), `http.url`, `http.method`,
 *   `downstream_cluster`, `user_agent`, `http.protocol`, `peer.address`, `request_size`,
 *   `response_size`, `component: proxy`, `upstream_cluster` (+ `.name`), `http.status_code`,
 *   `response_flags`, `error: true` on a 5xx; then every custom tag, `request_header` ones read from
 *   the request headers as they are at that moment (ReadOnlyHttpTraceContext of the stream's
 *   request headers: what the filters and the router left). `node_id` and `zone` are set when the
 *   span starts (HttpTracerImpl::startSpan). Unsampled spans are not reported.
 */
import type { HeaderList } from '../headers-input.js';
import { firstValue, type Extraction, type SpanContextOut, type TracerProvider } from './context.js';

/** The listener's tracing operation: Ingress (a sidecar's inbound) or Egress (its outbound; Istio's gateways). */
export type Operation = 'ingress' | 'egress';

export interface TracerConfig {
  provider: TracerProvider;
  /** Zipkin: a SERVER span shares its caller's span ID (Envoy's default true; Istio sets false). Default false. */
  sharedSpanContext?: boolean;
  /** Zipkin: new trace IDs are 128-bit (Istio sets it). Default true. */
  traceId128Bit?: boolean;
}

/** A custom tag as Istio's Telemetry `customTags` configures Envoy's (request_header / literal / environment). */
export type CustomTag = { header: string; defaultValue?: string } | { literal: string } | { environment: string; defaultValue?: string };

/** A span while its request runs. */
export interface ActiveSpan extends SpanContextOut {
  kind: 'SERVER' | 'CLIENT';
  /** Zipkin shared_span_context: this SERVER span reuses its caller's span ID. */
  shared: boolean;
  name: string;
  startNanos: bigint;
  /** Tags set when the span started. */
  tags: Record<string, string>;
}

/** A finished span, as the tracer reports it. */
export interface FinishedSpan extends ActiveSpan {
  endNanos: bigint;
  /** Every tag, in the order Envoy set them (a later value of a name replaces the earlier one). */
  tags: Record<string, string>;
}

/** 16 lower-hex digits of randomness (a 64-bit ID); an all-zero draw is redrawn. */
export type RandomId = () => string;

/** Zipkin keeps a 128-bit trace ID only when its high half is not zero (SpanContext::is128BitTraceId). */
function zipkinTraceId(id: string): string {
  return id.length === 32 && /^0{16}/.test(id) ? id.slice(16) : id;
}

/**
 * The span Envoy's tracer starts for a request, from what its extractor found (context.ts);
 * null when the extractor refused the context (a NullSpan: the request is not traced).
 */
export function startSpan(
  cfg: TracerConfig, op: Operation, ex: Extraction, randomId: RandomId, name: string, startNanos: bigint, startTags: Record<string, string>,
): ActiveSpan | null {
  if (ex.kind === 'none') return null;
  const kind = op === 'egress' ? 'CLIENT' : 'SERVER';
  const base = { kind, shared: false, name, startNanos, tags: { ...startTags } } as const;
  if (cfg.provider === 'opentelemetry') {
    if (ex.kind === 'root') return { ...base, traceId: randomId() + randomId(), spanId: randomId(), sampled: ex.sampled, tracestate: '' };
    const p = ex.parent;
    return { ...base, traceId: p.traceId, spanId: randomId(), parentSpanId: p.spanId, sampled: p.sampled, tracestate: p.tracestate ?? '' };
  }
  if (ex.kind === 'root') {
    // Tracer::startSpan: one random number is the span ID and the trace ID's low half.
    const id = randomId();
    return { ...base, traceId: cfg.traceId128Bit === false ? id : randomId() + id, spanId: id, sampled: ex.sampled };
  }
  const p = ex.parent;
  const traceId = zipkinTraceId(p.traceId);
  if (kind === 'SERVER' && cfg.sharedSpanContext === true) {
    return { ...base, shared: true, traceId, spanId: p.spanId, ...(p.parentSpanId ? { parentSpanId: p.parentSpanId } : {}), sampled: p.sampled };
  }
  return { ...base, traceId, spanId: randomId(), parentSpanId: p.spanId, sampled: p.sampled };
}

/** What the end of a request tells the span, besides the final request headers. */
export interface RequestEnd {
  status: number;
  upstreamCluster: string;
  protocol?: string;
  peerAddress?: string;
  requestSize?: number;
  responseSize?: number;
  env?: Record<string, string>;
  customTags?: Record<string, CustomTag>;
}

/** http.url as HttpTracerUtility builds it: scheme (x-forwarded-proto, else :scheme) :// authority path. */
function buildUrl(h: HeaderList): string {
  const proto = firstValue(h, 'x-forwarded-proto') ?? firstValue(h, ':scheme') ?? 'http';
  return `${proto}://${firstValue(h, ':authority') ?? ''}${(firstValue(h, ':path') ?? '').slice(0, 256)}`;
}

/** Finishes the span: Envoy's tags and the custom tags, read from the final request headers. */
export function finishSpan(span: ActiveSpan, finalRequest: HeaderList, end: RequestEnd, endNanos: bigint): FinishedSpan {
  const tags: Record<string, string> = { ...span.tags };
  const set = (k: string, v: string | undefined): void => {
    if (k !== '' && v !== undefined && v !== '') tags[k] = v; // Span::setTag ignores empty values (Zipkin)
  };
  set('guid:x-request-id', firstValue(finalRequest, 'x-request-id'));
  set('http.url', buildUrl(finalRequest));
  set('http.method', firstValue(finalRequest, ':method'));
  set('downstream_cluster', firstValue(finalRequest, 'x-envoy-downstream-service-cluster') ?? '-');
  set('user_agent', firstValue(finalRequest, 'user-agent') ?? '-');
  set('http.protocol', end.protocol ?? 'HTTP/1.1');
  set('peer.address', end.peerAddress);
  set('request_size', String(end.requestSize ?? 0));
  set('response_size', String(end.responseSize ?? 0));
  set('component', 'proxy');
  set('upstream_cluster', end.upstreamCluster);
  set('upstream_cluster.name', end.upstreamCluster);
  set('http.status_code', String(end.status));
  set('response_flags', '-');
  if (end.status >= 500) set('error', 'true');
  for (const [tag, how] of Object.entries(end.customTags ?? {})) {
    if ('header' in how) set(tag, firstValue(finalRequest, how.header) ?? how.defaultValue);
    else if ('literal' in how) set(tag, how.literal);
    else set(tag, end.env?.[how.environment] ?? how.defaultValue);
  }
  return { ...span, tags, endNanos };
}
