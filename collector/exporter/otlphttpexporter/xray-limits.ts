/**
 * X-Ray's OTLP endpoint (`https://xray.<region>.amazonaws.com/v1/traces`, AWS CloudWatch "OTLP
 * Endpoints") refuses a whole request when one span breaks its limits: at most 10,000 spans and
 * 5 MB uncompressed per request, a span at most 200 KB, resource + scope at most 16 KB, span start
 * times at most 2 h ahead and 14 days back, and at most 24 h between the earliest and the latest
 * span of a request. planXrayRequests turns one batch into requests that respect all of that:
 * spans that can never be accepted are taken out (with their reason, for counting and logging),
 * the rest is split by time window, count and size. encodeWithinLimit then guarantees the exact
 * encoded size, which the plan only estimates. Pure functions; table-tested.
 *
 * Byte limits are read as decimal (200 KB = 200,000 bytes): where AWS's unit is ambiguous, the
 * smaller reading never sends a request that fails as a whole. The time window keeps margins:
 * a span must still be inside it when a retry sends it minutes later, and clocks differ.
 */
import { nanosToNumber, idToHex, getStringAttr, spanCount, type ResourceSpans, type ScopeSpans, type Span, type TraceData } from '../../pdata/model.js';
import { protoRoot } from '../../pdata/otlp-proto.js';
import { estimateResourceBytes, estimateScopeBytes, estimateSpanBytes } from '../exporterhelper/sizes.js';

export interface XrayOtlpLimits {
  maxSpansPerRequest: number;
  /** Uncompressed encoded ExportTraceServiceRequest. */
  maxRequestBytes: number;
  /** Encoded Span message. */
  maxSpanBytes: number;
  /** Encoded Resource + InstrumentationScope messages. */
  maxResourceScopeBytes: number;
  /** How far ahead of now a span may start. */
  maxAheadMs: number;
  /** How far back a span may start. */
  maxAgeMs: number;
  /** Start-time spread within one request (kept strictly below). */
  maxSpreadMs: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const XRAY_OTLP_LIMITS: Readonly<XrayOtlpLimits> = Object.freeze({
  maxSpansPerRequest: 10_000,
  maxRequestBytes: 5_000_000,
  maxSpanBytes: 200_000,
  maxResourceScopeBytes: 16_000,
  // 2 h minus 5 min for clock skew between this host and AWS.
  maxAheadMs: 2 * HOUR - 5 * 60_000,
  // 14 days minus 1 h: room for the sending queue's retries (300 s by default) and clock skew.
  maxAgeMs: 14 * DAY - HOUR,
  maxSpreadMs: DAY,
});

export type XrayDropReason = 'xray_span_too_large' | 'xray_span_too_old' | 'xray_span_in_future' | 'xray_resource_too_large';

export interface XrayDrop {
  spans: number;
  /** The first span dropped for this reason, described for the log. */
  detail: string;
}

export interface XrayRequestPlan {
  /** Requests within the count, time and (estimated) size limits; `[td]` itself when nothing had to change. */
  requests: TraceData[];
  drops: Map<XrayDropReason, XrayDrop>;
  /** Spans in `requests`. */
  kept: number;
}

/**
 * Estimated bytes a request is filled to. Estimates count UTF-16 units and may be low for
 * non-ASCII text; encodeWithinLimit checks the exact size and halves a request that is over.
 */
const ESTIMATE_BUDGET_SHARE = 0.8;
/** An estimate below limit / 3 - this margin proves the exact size is under the limit (UTF-8 ≤ 3 bytes per UTF-16 unit). */
const ESTIMATE_SAFE_MARGIN = 1024;

const SpanMessage = protoRoot.lookupType('opentelemetry.proto.trace.v1.Span');
const ResourceMessage = protoRoot.lookupType('opentelemetry.proto.resource.v1.Resource');
const ScopeMessage = protoRoot.lookupType('opentelemetry.proto.common.v1.InstrumentationScope');

type Encodable = Parameters<typeof SpanMessage.encode>[0];

function encodedLength(type: typeof SpanMessage, msg: unknown): number {
  return type.encode(msg as Encodable).finish().length;
}

/** Exact only when the estimate cannot prove the span small enough (rare: huge spans). */
function spanBytesOver(span: Span, limit: number, estimate: number): number | undefined {
  if (estimate * 3 + ESTIMATE_SAFE_MARGIN <= limit) return undefined;
  const exact = encodedLength(SpanMessage, span);
  return exact > limit ? exact : undefined;
}

function resourceScopeBytesOver(rs: ResourceSpans, ss: ScopeSpans, limit: number): number | undefined {
  const estimate = estimateResourceBytes(rs.resource) + estimateScopeBytes(ss.scope);
  if (estimate * 3 + ESTIMATE_SAFE_MARGIN <= limit) return undefined;
  const exact = encodedLength(ResourceMessage, rs.resource ?? {}) + encodedLength(ScopeMessage, ss.scope ?? {});
  return exact > limit ? exact : undefined;
}

function describeSpan(span: Span): string {
  return `span ${JSON.stringify(span.name)} (trace ${idToHex(span.traceId)}, span ${idToHex(span.spanId)})`;
}

function record(drops: Map<XrayDropReason, XrayDrop>, reason: XrayDropReason, spans: number, detail: () => string): void {
  const d = drops.get(reason);
  if (d) d.spans += spans;
  else drops.set(reason, { spans, detail: detail() });
}

const fmt = (n: number) => n.toLocaleString('en');
const hoursText = (ms: number) => `${(ms / HOUR).toFixed(1)} h`;

/** Whether X-Ray can accept this span at all; if not, the drop is recorded with its reason. */
function acceptable(span: Span, startMs: number, estimate: number, nowMs: number, limits: XrayOtlpLimits, drops: Map<XrayDropReason, XrayDrop>): boolean {
  if (startMs < nowMs - limits.maxAgeMs) {
    record(drops, 'xray_span_too_old', 1, () =>
      `${describeSpan(span)} started ${((nowMs - startMs) / DAY).toFixed(1)} days ago; X-Ray's OTLP endpoint takes spans up to 14 days old`);
    return false;
  }
  if (startMs > nowMs + limits.maxAheadMs) {
    record(drops, 'xray_span_in_future', 1, () =>
      `${describeSpan(span)} starts ${hoursText(startMs - nowMs)} in the future (clock skew?); X-Ray's OTLP endpoint takes spans up to 2 h ahead`);
    return false;
  }
  const over = spanBytesOver(span, limits.maxSpanBytes, estimate);
  if (over !== undefined) {
    record(drops, 'xray_span_too_large', 1, () =>
      `${describeSpan(span)} is ${fmt(over)} bytes; X-Ray's OTLP endpoint takes spans up to ${fmt(limits.maxSpanBytes)} bytes`);
    return false;
  }
  return true;
}

/** Accumulates one request: spans appended in input order, resource/scope groups copied on first use. */
class RequestBuilder {
  readonly td: TraceData = { resourceSpans: [] };
  spans = 0;
  bytes = 0;
  private lastRs?: ResourceSpans;
  private outRs?: ResourceSpans;
  private lastSs?: ScopeSpans;
  private outSs?: ScopeSpans;

  add(rs: ResourceSpans, ss: ScopeSpans, span: Span, estimate: number): void {
    if (rs !== this.lastRs) {
      this.lastRs = rs;
      this.lastSs = undefined;
      this.outRs = { resource: rs.resource, scopeSpans: [], schemaUrl: rs.schemaUrl };
      this.td.resourceSpans.push(this.outRs);
      this.bytes += estimateResourceBytes(rs.resource);
    }
    if (ss !== this.lastSs) {
      this.lastSs = ss;
      this.outSs = { scope: ss.scope, spans: [], schemaUrl: ss.schemaUrl };
      this.outRs!.scopeSpans.push(this.outSs);
      this.bytes += estimateScopeBytes(ss.scope);
    }
    this.outSs!.spans.push(span);
    this.spans++;
    this.bytes += estimate;
  }
}

export function planXrayRequests(td: TraceData, nowMs: number, limits: XrayOtlpLimits = XRAY_OTLP_LIMITS): XrayRequestPlan {
  const drops = new Map<XrayDropReason, XrayDrop>();
  // Pass 1: verdicts, the start-time range and the estimated size of what is kept. The common
  // batch (nothing to drop or split) allocates nothing and is sent as it is.
  const total = spanCount(td);
  let keep: Uint8Array | undefined; // allocated at the first drop: 1 = kept, by span index
  let kept = 0;
  let estimated = 0;
  let minStart = Infinity;
  let maxStart = -Infinity;
  let i = 0;
  for (const rs of td.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      const rsOver = ss.spans.length > 0 ? resourceScopeBytesOver(rs, ss, limits.maxResourceScopeBytes) : undefined;
      if (rsOver !== undefined) {
        keep ??= new Uint8Array(total).fill(1, 0, i);
        i += ss.spans.length;
        const service = getStringAttr(rs.resource?.attributes, 'service.name');
        record(drops, 'xray_resource_too_large', ss.spans.length, () =>
          `resource${service ? ` of service ${JSON.stringify(service)}` : ''} + scope ${JSON.stringify(ss.scope?.name ?? '')} is ${fmt(rsOver)} bytes; ` +
            `X-Ray's OTLP endpoint takes up to ${fmt(limits.maxResourceScopeBytes)}`);
        continue;
      }
      for (const span of ss.spans) {
        const startMs = nanosToNumber(span.startTimeUnixNano) / 1e6;
        const estimate = estimateSpanBytes(span);
        if (acceptable(span, startMs, estimate, nowMs, limits, drops)) {
          if (keep) keep[i] = 1;
          kept++;
          estimated += estimate;
          if (startMs < minStart) minStart = startMs;
          if (startMs > maxStart) maxStart = startMs;
        } else {
          keep ??= new Uint8Array(total).fill(1, 0, i);
        }
        i++;
      }
    }
  }
  if (kept === 0) return { requests: [], drops, kept };
  const budget = limits.maxRequestBytes * ESTIMATE_BUDGET_SHARE;
  const splitByTime = maxStart - minStart >= limits.maxSpreadMs;
  if (!keep && !splitByTime && kept <= limits.maxSpansPerRequest && estimated <= budget) {
    return { requests: [td], drops, kept };
  }

  // Pass 2: spans into requests. Time windows of maxSpreadMs from the earliest start (each holds
  // less than 24 h), then count and size within each window, in input order.
  const windows = new Map<number, RequestBuilder>();
  const requests: TraceData[] = [];
  i = 0;
  for (const rs of td.resourceSpans) {
    for (const ss of rs.scopeSpans) {
      for (const span of ss.spans) {
        if (keep && keep[i++] === 0) continue;
        const startMs = nanosToNumber(span.startTimeUnixNano) / 1e6;
        const w = splitByTime ? Math.floor((startMs - minStart) / limits.maxSpreadMs) : 0;
        const estimate = estimateSpanBytes(span);
        let b = windows.get(w);
        if (b && b.spans > 0 && (b.spans >= limits.maxSpansPerRequest || b.bytes + estimate > budget)) {
          requests.push(b.td);
          b = undefined;
        }
        if (!b) {
          b = new RequestBuilder();
          windows.set(w, b);
        }
        b.add(rs, ss, span, estimate);
      }
    }
  }
  for (const w of [...windows.keys()].sort((a, b) => a - b)) requests.push(windows.get(w)!.td);
  return { requests, drops, kept };
}

/** Splits a request's spans into two halves (resource/scope groups kept), for an encoded request over the limit. */
export function halveTraceData(td: TraceData): [TraceData, TraceData] {
  const half = Math.ceil(spanCount(td) / 2);
  const a = new RequestBuilder();
  const b = new RequestBuilder();
  for (const rs of td.resourceSpans) for (const ss of rs.scopeSpans) for (const span of ss.spans) (a.spans < half ? a : b).add(rs, ss, span, 0);
  return [a.td, b.td];
}

/**
 * Encodes a planned request, halving it until every encoded part is within maxBytes (a single
 * span that is still over cannot be split further and goes as it is; the plan drops those).
 */
export function encodeWithinLimit(td: TraceData, spans: number, maxBytes: number, encode: (td: TraceData) => Uint8Array, out: { bytes: Uint8Array; spans: number }[] = []): { bytes: Uint8Array; spans: number }[] {
  const bytes = encode(td);
  if (bytes.byteLength <= maxBytes || spans <= 1) {
    out.push({ bytes, spans });
    return out;
  }
  const [a, b] = halveTraceData(td);
  const half = Math.ceil(spans / 2);
  encodeWithinLimit(a, half, maxBytes, encode, out);
  encodeWithinLimit(b, spans - half, maxBytes, encode, out);
  return out;
}
