/**
 * How Envoy's tracers read a request's trace context and write their span's (pure functions,
 * table-tested in test/host/tracing.test.ts). Read from Envoy's source:
 *
 * OpenTelemetry tracer (source/extensions/tracers/opentelemetry/opentelemetry_tracer_impl.cc,
 * span_context_extractor.cc, tracer.cc):
 * - no `traceparent` header: a new root span, sampled by Envoy's own decision;
 * - a `traceparent` of exactly 55 characters, 4 dash-separated fields of 2-32-16-2 hex digits
 *   (either case: absl::ascii_isxdigit), trace and parent IDs not all zero: a child span of it,
 *   keeping its sampled flag and the `tracestate` values joined with ",";
 * - any other `traceparent`: no span at all (a NullSpan: nothing traced, nothing written);
 * - the router writes `traceparent: 00-<trace>-<span>-<01|00>` and `tracestate` (the span's, even
 *   empty), replacing what the request had (setByReferenceKey).
 *
 * Zipkin tracer (source/extensions/tracers/zipkin/zipkin_tracer_impl.cc,
 * span_context_extractor.cc, tracer.cc):
 * - the sampling decision: `b3` if present (its sampling character by the value's length), else
 *   `X-B3-Sampled` (`1` or `true`), else Envoy's own decision;
 * - the context: `b3` first, whenever the header is present; a `b3` that is only a sampling flag
 *   gives no context (a root span); a malformed one gives no span at all; without `b3`,
 *   `X-B3-TraceId` and `X-B3-SpanId` (and `X-B3-ParentSpanId`); malformed values: no span;
 * - a root span's ID is the low 64 bits of its trace ID (one random number for both);
 * - the router writes `X-B3-TraceId`, `X-B3-SpanId`, `X-B3-ParentSpanId` (when the span has a
 *   parent) and `X-B3-Sampled` (`1`/`0`), replacing those headers; never `b3` or `traceparent`.
 *
 * Hex numbers are read as Envoy's StringUtil::atoull reads them: 1 to 16 hex digits of either case
 * (a value it would reject gives no span); IDs are kept in lower case.
 */
import type { HeaderList } from '../headers-input.js';

export type TracerProvider = 'opentelemetry' | 'zipkin';

/** The context a span continues, as the tracer read it. */
export interface ParentContext {
  /** Lower-case hex: 32 digits, or 16 for a 64-bit Zipkin trace ID. */
  traceId: string;
  /** The caller's span ID (16 hex digits). */
  spanId: string;
  /** Zipkin only: the caller's parent (X-B3-ParentSpanId or b3's fourth field). */
  parentSpanId?: string;
  sampled: boolean;
  /** OpenTelemetry only: the tracestate values joined with ",". */
  tracestate?: string;
}

export type Extraction =
  /** No context: the span is the root of a new trace. */
  | { kind: 'root'; sampled: boolean }
  /** A context to continue. */
  | { kind: 'parent'; parent: ParentContext }
  /** A malformed context: Envoy starts no span at all (NullSpan). */
  | { kind: 'none'; reason: string };

/** The first value of a header (names lower-case), as Envoy's TraceContext::getByKey returns it. */
export function firstValue(headers: HeaderList, name: string): string | undefined {
  for (const [k, v] of headers) if (k === name) return v;
  return undefined;
}

function allValues(headers: HeaderList, name: string): string[] {
  return headers.filter(([k]) => k === name).map(([, v]) => v);
}

const HEX = /^[0-9a-fA-F]+$/;
const isHex = (s: string): boolean => s.length > 0 && HEX.test(s);
const isZero = (s: string): boolean => /^0+$/.test(s);
/** StringUtil::atoull(s, out, 16) as Envoy uses it: 1 to 16 hex digits. */
const isAtoullHex = (s: string): boolean => s.length >= 1 && s.length <= 16 && isHex(s);
const hex16 = (s: string): string => s.toLowerCase().padStart(16, '0');

/** OpenTelemetry tracer: the span context of a request (tracerDecision: Envoy's own sampling decision). */
export function extractOpenTelemetry(headers: HeaderList, tracerDecision: boolean): Extraction {
  const tp = firstValue(headers, 'traceparent');
  if (tp === undefined) return { kind: 'root', sampled: tracerDecision };
  if (tp.length !== 55) return { kind: 'none', reason: 'Invalid traceparent header length' };
  const parts = tp.split('-').filter((p) => p.length > 0); // absl::SkipEmpty
  if (parts.length !== 4) return { kind: 'none', reason: 'Invalid traceparent hyphenation' };
  const [version, traceId, spanId, flags] = parts as [string, string, string, string];
  if (version.length !== 2 || traceId.length !== 32 || spanId.length !== 16 || flags.length !== 2) return { kind: 'none', reason: 'Invalid traceparent field sizes' };
  if (![version, traceId, spanId, flags].every(isHex)) return { kind: 'none', reason: 'Invalid header hex' };
  if (isZero(traceId)) return { kind: 'none', reason: 'Invalid trace id' };
  if (isZero(spanId)) return { kind: 'none', reason: 'Invalid parent id' };
  const tracestate = allValues(headers, 'tracestate').join(',');
  return {
    kind: 'parent',
    parent: { traceId: traceId.toLowerCase(), spanId: spanId.toLowerCase(), sampled: (parseInt(flags, 16) & 1) === 1, tracestate },
  };
}

const validSamplingFlag = (c: string | undefined): boolean => c === '1' || c === '0' || c === 'd';

/** Zipkin tracer: the sampling decision (SpanContextExtractor::extractSampled). */
export function zipkinSampled(headers: HeaderList, tracerDecision: boolean): boolean {
  const b3 = firstValue(headers, 'b3');
  if (b3 !== undefined) {
    const at = ({ 1: 0, 35: 34, 51: 50, 52: 34, 68: 50 } as Record<number, number>)[b3.length];
    if (at === undefined) return tracerDecision;
    const c = b3[at];
    return validSamplingFlag(c) ? c !== '0' : tracerDecision;
  }
  const s = firstValue(headers, 'x-b3-sampled');
  if (s === undefined) return tracerDecision;
  return s === '1' || s === 'true';
}

/** b3 single header (SpanContextExtractor::extractSpanContextFromB3SingleFormat). */
function extractB3Single(b3: string, sampled: boolean): Extraction {
  if (b3.length === 0) return { kind: 'none', reason: 'Invalid input: empty' };
  if (b3.length === 1) return validSamplingFlag(b3) ? { kind: 'root', sampled } : { kind: 'none', reason: `Invalid input: invalid sampling flag ${b3}` };
  if (b3.length < 33) return { kind: 'none', reason: 'Invalid input: truncated' };
  if (b3.length > 68) return { kind: 'none', reason: 'Invalid input: too long' };
  let pos = 0;
  let traceId: string;
  if (b3[32] === '-') {
    traceId = b3.slice(0, 32);
    if (!isAtoullHex(traceId.slice(0, 16)) || !isAtoullHex(traceId.slice(16))) return { kind: 'none', reason: 'Invalid input: invalid trace id' };
    pos = 32;
  } else {
    traceId = b3.slice(0, 16);
    if (!isAtoullHex(traceId)) return { kind: 'none', reason: 'Invalid input: invalid trace id' };
    pos = 16;
  }
  if (b3[pos++] !== '-') return { kind: 'none', reason: 'Invalid input: not exists span id' };
  const spanId = b3.slice(pos, pos + 16);
  if (!isAtoullHex(spanId)) return { kind: 'none', reason: 'Invalid input: invalid span id' };
  pos += 16;
  let parentSpanId: string | undefined;
  if (b3.length > pos) {
    if (b3.length === pos + 1) return { kind: 'none', reason: 'Invalid input: truncated' };
    if (b3[pos++] !== '-') return { kind: 'none', reason: 'Invalid input: not exists sampling field' };
    if (b3.length === pos + 1 || (b3.length >= pos + 2 && b3[pos + 1] === '-')) {
      if (!validSamplingFlag(b3[pos])) return { kind: 'none', reason: 'Invalid input: invalid sampling flag' };
      pos++;
    } else {
      return { kind: 'none', reason: 'Invalid input: truncated' };
    }
    if (b3.length > pos) {
      if (b3.length !== pos + 17) return { kind: 'none', reason: 'Invalid input: truncated' };
      const p = b3.slice(pos + 1);
      if (!isAtoullHex(p)) return { kind: 'none', reason: 'Invalid input: invalid parent id' };
      parentSpanId = hex16(p);
    }
  }
  return { kind: 'parent', parent: { traceId: traceId.toLowerCase(), spanId: hex16(spanId), sampled, ...(parentSpanId ? { parentSpanId } : {}) } };
}

/** Zipkin tracer: the span context of a request, `b3` before `X-B3-*` (SpanContextExtractor::extractSpanContext). */
export function extractZipkin(headers: HeaderList, tracerDecision: boolean): Extraction {
  const sampled = zipkinSampled(headers, tracerDecision);
  const b3 = firstValue(headers, 'b3');
  if (b3 !== undefined) return extractB3Single(b3, sampled);
  const traceId = firstValue(headers, 'x-b3-traceid');
  const spanId = firstValue(headers, 'x-b3-spanid');
  if (traceId === undefined || spanId === undefined) return { kind: 'root', sampled };
  let trace: string;
  if (traceId.length === 32) {
    if (!isAtoullHex(traceId.slice(0, 16)) || !isAtoullHex(traceId.slice(16))) return { kind: 'none', reason: `Invalid traceid_high or tracid ${traceId}` };
    trace = traceId.toLowerCase();
  } else {
    if (!isAtoullHex(traceId)) return { kind: 'none', reason: `Invalid trace_id ${traceId}` };
    trace = hex16(traceId);
  }
  if (!isAtoullHex(spanId)) return { kind: 'none', reason: `Invalid span id ${spanId}` };
  const parent = firstValue(headers, 'x-b3-parentspanid');
  if (parent !== undefined && parent !== '' && !isAtoullHex(parent)) return { kind: 'none', reason: `Invalid parent span id ${parent}` };
  return {
    kind: 'parent',
    parent: { traceId: trace, spanId: hex16(spanId), sampled, ...(parent ? { parentSpanId: hex16(parent) } : {}) },
  };
}

/** What a tracer's span puts on the request the router forwards. */
export interface SpanContextOut {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  sampled: boolean;
  tracestate?: string;
}

/** The headers the router sets (each replacing every value of its name), in order. */
export function injectedHeaders(provider: TracerProvider, span: SpanContextOut): Array<[string, string]> {
  if (provider === 'opentelemetry') {
    return [['traceparent', `00-${span.traceId}-${span.spanId}-${span.sampled ? '01' : '00'}`], ['tracestate', span.tracestate ?? '']];
  }
  const out: Array<[string, string]> = [['x-b3-traceid', span.traceId], ['x-b3-spanid', span.spanId]];
  if (span.parentSpanId !== undefined) out.push(['x-b3-parentspanid', span.parentSpanId]);
  out.push(['x-b3-sampled', span.sampled ? '1' : '0']);
  return out;
}
