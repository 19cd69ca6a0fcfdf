/**
 * The collector's one internal trace model: the OTLP ExportTraceServiceRequest shape, exactly as
 * protobufjs decodes it (see otlp-proto.ts), so OTLP protobuf input is decoded once and encoded
 * once with no intermediate copy. Receivers of other formats (OTLP/JSON, Zipkin) build plain
 * objects of the same shape.
 *
 * Conventions every component relies on:
 * - IDs are byte arrays (Uint8Array/Buffer): traceId 16 bytes, spanId 8, parentSpanId 8 or
 *   length 0 for a root span. Never hex strings inside the pipeline.
 * - Times are unsigned nanoseconds as `Long` (protobufjs) or a `number` when built by hand for
 *   values that fit; read them through nanosToNumber / nanosToBigInt.
 * - AnyValue: exactly one member is defined (not undefined/null). The protobuf codec clears the
 *   prototype defaults protobufjs puts on oneof members, so `v.stringValue !== undefined` is a
 *   valid test on decoded and hand-built values alike.
 * - `kind` is the OTLP enum number (SpanKind below); `status.code` the OTLP StatusCode number.
 */
import Long from 'long';

export type Nanos = Long | number;

export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKindValue = (typeof SpanKind)[keyof typeof SpanKind];

export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;

export interface AnyValue {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: Long | number | null;
  doubleValue?: number | null;
  arrayValue?: { values: AnyValue[] } | null;
  kvlistValue?: { values: KeyValue[] } | null;
  bytesValue?: Uint8Array | null;
}

export interface KeyValue {
  key: string;
  value?: AnyValue | null;
}

export interface InstrumentationScope {
  name?: string;
  version?: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
}

export interface SpanEvent {
  timeUnixNano: Nanos;
  name: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
}

export interface SpanLink {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState?: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
}

export interface Status {
  message?: string;
  code?: number;
}

export interface Span {
  traceId: Uint8Array;
  spanId: Uint8Array;
  traceState?: string;
  parentSpanId?: Uint8Array;
  flags?: number;
  name: string;
  kind: number;
  startTimeUnixNano: Nanos;
  endTimeUnixNano: Nanos;
  attributes: KeyValue[];
  droppedAttributesCount?: number;
  events?: SpanEvent[];
  droppedEventsCount?: number;
  links?: SpanLink[];
  droppedLinksCount?: number;
  status?: Status | null;
}

export interface ScopeSpans {
  scope?: InstrumentationScope | null;
  spans: Span[];
  schemaUrl?: string;
}

export interface Resource {
  attributes: KeyValue[];
  droppedAttributesCount?: number;
}

export interface ResourceSpans {
  resource?: Resource | null;
  scopeSpans: ScopeSpans[];
  schemaUrl?: string;
}

/** One unit of work through the pipeline: the body of one OTLP export request. */
export interface TraceData {
  resourceSpans: ResourceSpans[];
}

export function spanCount(td: TraceData): number {
  let n = 0;
  for (const rs of td.resourceSpans) for (const ss of rs.scopeSpans) n += ss.spans.length;
  return n;
}

// ---- attributes ---------------------------------------------------------------------------

export function findAttr(attrs: readonly KeyValue[] | undefined | null, key: string): AnyValue | undefined {
  if (!attrs) return undefined;
  for (let i = 0; i < attrs.length; i++) {
    if (attrs[i].key === key) return attrs[i].value ?? undefined;
  }
  return undefined;
}

/** The attribute's value when it is a string, else undefined. */
export function getStringAttr(attrs: readonly KeyValue[] | undefined | null, key: string): string | undefined {
  const v = findAttr(attrs, key);
  return v != null && v.stringValue != null ? v.stringValue : undefined;
}

/** Sets (replacing) an attribute. */
export function setAttr(attrs: KeyValue[], key: string, value: AnyValue): void {
  for (let i = 0; i < attrs.length; i++) {
    if (attrs[i].key === key) {
      attrs[i] = { key, value };
      return;
    }
  }
  attrs.push({ key, value });
}

export function removeAttr(attrs: KeyValue[], key: string): boolean {
  for (let i = 0; i < attrs.length; i++) {
    if (attrs[i].key === key) {
      attrs.splice(i, 1);
      return true;
    }
  }
  return false;
}

/** A plain JS value of an AnyValue (Long ints become numbers when safe, else decimal strings). */
export function anyValueToJs(v: AnyValue | null | undefined): unknown {
  if (v == null) return undefined;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return intToJs(v.intValue);
  if (v.doubleValue != null) return v.doubleValue;
  if (v.arrayValue != null) return (v.arrayValue.values ?? []).map(anyValueToJs);
  if (v.kvlistValue != null) {
    const o: Record<string, unknown> = {};
    for (const kv of v.kvlistValue.values ?? []) o[kv.key] = anyValueToJs(kv.value);
    return o;
  }
  if (v.bytesValue != null) return Buffer.from(v.bytesValue).toString('base64');
  return undefined;
}

function intToJs(i: Long | number): number | string {
  if (typeof i === 'number') return i;
  const n = i.toNumber();
  return Number.isSafeInteger(n) ? n : i.toString();
}

// ---- times and IDs --------------------------------------------------------------------------

export function nanosToBigInt(t: Nanos | null | undefined): bigint {
  if (t == null) return 0n;
  if (typeof t === 'number') return BigInt(Math.trunc(t));
  return (BigInt(t.high >>> 0) << 32n) | BigInt(t.low >>> 0);
}

/** Nanoseconds as a float number (loses sub-microsecond precision for current epochs). */
export function nanosToNumber(t: Nanos | null | undefined): number {
  if (t == null) return 0;
  if (typeof t === 'number') return t;
  return (t.high >>> 0) * 4294967296 + (t.low >>> 0);
}

export function nanosFromBigInt(n: bigint): Long {
  return new Long(Number(n & 0xffffffffn) | 0, Number((n >> 32n) & 0xffffffffn) | 0, true);
}

export function idToHex(id: Uint8Array | null | undefined): string {
  if (!id || id.length === 0) return '';
  // Node's native hex: one flat string, where joining 16 two-digit pieces made a rope of 15 parts
  // (IDs are hex-encoded several times per span on the exporters' paths). Decoded IDs are Buffers;
  // protobufjs gives an absent bytes field as an empty plain array.
  // hexSlice is what toString('hex') ends in, without its argument handling (a third of the cost
  // for an 8- or 16-byte ID).
  if (Buffer.isBuffer(id)) return (id as unknown as HexSlicer).hexSlice(0, id.length);
  return (ArrayBuffer.isView(id) ? Buffer.from(id.buffer, id.byteOffset, id.byteLength) : Buffer.from(id)).toString('hex');
}

/** Node's Buffer#hexSlice (what toString('hex') calls). */
interface HexSlicer {
  hexSlice(start: number, end: number): string;
}

/** Parses lower- or upper-case hex of even length into bytes; undefined when it is not hex. */
export function hexToId(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  return Buffer.from(hex, 'hex');
}

export function isAllZero(id: Uint8Array): boolean {
  for (let i = 0; i < id.length; i++) if (id[i] !== 0) return false;
  return true;
}

/** Whether two IDs hold the same bytes (a plain loop: IDs are 8 or 16 bytes, too short for a native call to pay). */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
