/**
 * Test builders: spans and TraceData in the collector's model, with attributes from plain values.
 */
import Long from 'long';
import type { AnyValue, KeyValue, Resource, Span, SpanEvent, TraceData } from '../../../pdata/model.js';
import { SpanKind } from '../../../pdata/model.js';

/** 2026-11-21T12:00:00Z — tests pass their own clock, never the real one. */
export const NOW_MS = Date.UTC(2026, 10, 21, 12, 0, 0);
export const NOW_SEC = NOW_MS / 1000;

export const dbl = (n: number): AnyValue => ({ doubleValue: n });

export function anyValue(v: unknown): AnyValue {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !Long.isLong(v)) {
    const o = v as Record<string, unknown>;
    if ('doubleValue' in o || 'intValue' in o || 'stringValue' in o || 'boolValue' in o) return o as AnyValue;
    return { kvlistValue: { values: Object.entries(o).map(([key, val]) => ({ key, value: anyValue(val) })) } };
  }
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: v } : { doubleValue: v };
  if (Long.isLong(v)) return { intValue: v as Long };
  if (v instanceof Uint8Array) return { bytesValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyValue) } };
  throw new Error(`unsupported test value ${String(v)}`);
}

export function attrs(o: Record<string, unknown> = {}): KeyValue[] {
  return Object.entries(o).map(([key, v]) => ({ key, value: anyValue(v) }));
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

/** Nanoseconds since the epoch as a protobufjs Long. */
export function nanos(sec: number): Long {
  const ms = BigInt(Math.round(sec * 1e6)) * 1000n;
  return Long.fromString(ms.toString(), true);
}

export interface SpanSpec {
  traceId?: string | Uint8Array;
  spanId?: string | Uint8Array;
  parentSpanId?: string | Uint8Array;
  name?: string;
  kind?: number;
  startSec?: number;
  durationSec?: number;
  endSec?: number;
  attributes?: Record<string, unknown>;
  events?: SpanEvent[];
  status?: { code?: number; message?: string };
  links?: Span['links'];
}

export const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
export const SPAN_1 = '00f067aa0ba902b7';
export const SPAN_2 = 'b7ad6b7169203331';

const id = (v: string | Uint8Array | undefined, def: string): Uint8Array => (v instanceof Uint8Array ? v : hex(v ?? def));

export function span(s: SpanSpec = {}): Span {
  const start = s.startSec ?? NOW_SEC - 10;
  const end = s.endSec ?? start + (s.durationSec ?? 0.25);
  return {
    traceId: id(s.traceId, TRACE_A),
    spanId: id(s.spanId, SPAN_1),
    parentSpanId: s.parentSpanId === undefined ? new Uint8Array(0) : id(s.parentSpanId, ''),
    name: s.name ?? 'op',
    kind: s.kind ?? SpanKind.SERVER,
    startTimeUnixNano: nanos(start),
    endTimeUnixNano: end === 0 ? 0 : nanos(end),
    attributes: attrs(s.attributes),
    events: s.events,
    status: s.status ?? null,
    links: s.links,
  };
}

export function resource(o: Record<string, unknown> = { 'service.name': 'svc' }): Resource {
  return { attributes: attrs(o) };
}

export function traces(res: Resource | null, spans: Span[]): TraceData {
  return { resourceSpans: [{ resource: res, scopeSpans: [{ scope: { name: 'test' }, spans }] }] };
}

let counter = 1;
/** A span ID unique within the test run. */
export function freshSpanId(): string {
  return (counter++).toString(16).padStart(16, '0');
}
