/**
 * OTLP/JSON → TraceData (the internal model, model.ts), as the OTLP specification's JSON
 * encoding defines it and as real clients send it:
 * - trace/span IDs in hex (case-insensitive), and also in base64 as some tools emit them (the
 *   proto3 JSON default); the two are told apart by length: 32/16 hex digits vs 24/12 base64
 *   characters;
 * - enums as integers, also by name (`SPAN_KIND_SERVER`, `STATUS_CODE_ERROR`);
 * - 64-bit integers as strings or numbers;
 * - lowerCamelCase field names, also the original snake_case ones (proto3 JSON parsers accept
 *   both), and the pre-1.0 `instrumentationLibrarySpans` / `instrumentationLibrary`;
 * - unknown fields are ignored; `null` means "not set".
 * Malformed data throws OtlpJsonError naming the JSON path
 * (`resourceSpans[0].scopeSpans[1].spans[3].traceId: expected 32 hex digits ...`).
 * ID *values* that are well-formed but unusable (empty, all zero) are left for the receiver to
 * reject span by span (partial success), as it does for protobuf input.
 */
import Long from 'long';
import { describeJsonValue as describe, parseJsonBody } from './json-input.js';
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  Resource,
  ResourceSpans,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  Status,
  TraceData,
} from './model.js';

export class OtlpJsonError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(path ? `${path}: ${detail}` : detail);
    this.name = 'OtlpJsonError';
  }
}

type Obj = Record<string, unknown>;

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };

const UINT64_MAX = (1n << 64n) - 1n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;


/** Field by its lowerCamelCase name, else by its snake_case name. */
function field(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  if (v !== undefined && v !== null) return v;
  if (snake === undefined) return undefined;
  const s = o[snake];
  return s === null ? undefined : s;
}

function obj(v: unknown, path: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new OtlpJsonError(path, `expected an object, got ${describe(v)}`);
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new OtlpJsonError(path, `expected an array, got ${describe(v)}`);
  return v;
}

function str(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new OtlpJsonError(path, `expected a string, got ${describe(v)}`);
  return v;
}

function uint32(v: unknown, path: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new OtlpJsonError(path, `expected an unsigned 32-bit integer, got ${describe(v)}`);
  }
  return n;
}

/** fixed64 nanoseconds: a decimal string or a number. */
function uint64(v: unknown, path: string): Long {
  if (v === undefined || v === null) return Long.UZERO;
  if (typeof v === 'number') {
    if (!Number.isInteger(v) || v < 0) throw new OtlpJsonError(path, `expected an unsigned integer, got ${describe(v)}`);
    return Long.fromNumber(v, true);
  }
  if (typeof v === 'string' && /^\d{1,20}$/.test(v) && BigInt(v) <= UINT64_MAX) return Long.fromString(v, true);
  throw new OtlpJsonError(path, `expected an unsigned 64-bit integer (decimal string or number), got ${describe(v)}`);
}

function int64(v: unknown, path: string): Long | number {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new OtlpJsonError(path, `expected an integer, got ${describe(v)}`);
    return v;
  }
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) {
    const b = BigInt(v);
    if (b >= INT64_MIN && b <= INT64_MAX) {
      const n = Number(b);
      return Number.isSafeInteger(n) ? n : Long.fromString(v, false);
    }
  }
  throw new OtlpJsonError(path, `expected a signed 64-bit integer (decimal string or number), got ${describe(v)}`);
}

function double(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return NaN;
    if (v === 'Infinity') return Infinity;
    if (v === '-Infinity') return -Infinity;
    if (v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  throw new OtlpJsonError(path, `expected a number, got ${describe(v)}`);
}

function enumValue(v: unknown, path: string, names: Record<string, number>): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0x7fffffff) return v;
  if (typeof v === 'string' && Object.prototype.hasOwnProperty.call(names, v)) return names[v];
  throw new OtlpJsonError(path, `expected an integer or one of ${Object.keys(names).join(', ')}, got ${describe(v)}`);
}

const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
const EMPTY = new Uint8Array(0);

/**
 * A trace ID (16 bytes) or span ID (8 bytes): hex of twice the length, or base64 of
 * ceil(n/3)*4 characters. The empty string means "not set".
 */
function id(v: unknown, path: string, bytes: 16 | 8): Uint8Array {
  if (v === undefined || v === null || v === '') return EMPTY;
  const hexLen = bytes * 2;
  const b64Len = bytes === 16 ? 24 : 12;
  if (typeof v === 'string') {
    if (v.length === hexLen) {
      // Buffer.from(…, 'hex') stops at the first pair that is not hex: full length = valid hex.
      const b = Buffer.from(v, 'hex');
      if (b.length === bytes) return b;
    }
    if (v.length === b64Len && BASE64_RE.test(v)) {
      const b = Buffer.from(v, 'base64');
      if (b.length === bytes) return b;
    }
  }
  throw new OtlpJsonError(path, `expected ${hexLen} hex digits (or ${b64Len} base64 characters), got ${describe(v)}`);
}

function bytesValue(v: unknown, path: string): Uint8Array {
  if (typeof v === 'string' && BASE64_RE.test(v)) return Buffer.from(v, 'base64');
  throw new OtlpJsonError(path, `expected base64 bytes, got ${describe(v)}`);
}

/**
 * Nesting allowed for array/kvlist values. protobufjs (like protoc) refuses messages nested
 * deeper than 100, and a kvlist level costs 3 message levels below the 6 of an event attribute:
 * 30 keeps every decoded request encodable for the exporters.
 */
export const MAX_VALUE_NESTING = 30;

function anyValue(v: unknown, path: string, depth: number): AnyValue {
  if (depth > MAX_VALUE_NESTING) throw new OtlpJsonError(path, `values nested deeper than ${MAX_VALUE_NESTING} levels`);
  const o = obj(v, path);
  let x: unknown;
  if ((x = field(o, 'stringValue', 'string_value')) !== undefined) return { stringValue: str(x, `${path}.stringValue`) };
  if ((x = field(o, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') throw new OtlpJsonError(`${path}.boolValue`, `expected true or false, got ${describe(x)}`);
    return { boolValue: x };
  }
  if ((x = field(o, 'intValue', 'int_value')) !== undefined) return { intValue: int64(x, `${path}.intValue`) };
  if ((x = field(o, 'doubleValue', 'double_value')) !== undefined) return { doubleValue: double(x, `${path}.doubleValue`) };
  if ((x = field(o, 'arrayValue', 'array_value')) !== undefined) {
    const p = `${path}.arrayValue`;
    const values = arr(field(obj(x, p), 'values'), `${p}.values`).map((e, i) => anyValue(e, `${p}.values[${i}]`, depth + 1));
    return { arrayValue: { values } };
  }
  if ((x = field(o, 'kvlistValue', 'kvlist_value')) !== undefined) {
    const p = `${path}.kvlistValue`;
    return { kvlistValue: { values: keyValues(field(obj(x, p), 'values'), `${p}.values`, depth + 1) } };
  }
  if ((x = field(o, 'bytesValue', 'bytes_value')) !== undefined) return { bytesValue: bytesValue(x, `${path}.bytesValue`) };
  return {}; // an empty AnyValue is valid OTLP (the attribute's value is "empty")
}

function keyValues(v: unknown, path: string, depth = 0): KeyValue[] {
  const list = arr(v, path);
  const out: KeyValue[] = new Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const p = `${path}[${i}]`;
    const o = obj(list[i], p);
    const key = str(o.key, `${p}.key`) ?? '';
    const value = o.value === undefined || o.value === null ? undefined : anyValue(o.value, `${p}.value`, depth);
    out[i] = value === undefined ? { key } : { key, value };
  }
  return out;
}

function resource(v: unknown, path: string): Resource | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, path);
  const r: Resource = { attributes: keyValues(o.attributes, `${path}.attributes`) };
  const dropped = uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`);
  if (dropped) r.droppedAttributesCount = dropped;
  return r;
}

function scope(v: unknown, path: string): InstrumentationScope | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, path);
  const s: InstrumentationScope = {};
  const name = str(o.name, `${path}.name`);
  if (name) s.name = name;
  const version = str(o.version, `${path}.version`);
  if (version) s.version = version;
  if (o.attributes !== undefined && o.attributes !== null) s.attributes = keyValues(o.attributes, `${path}.attributes`);
  const dropped = uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`);
  if (dropped) s.droppedAttributesCount = dropped;
  return s;
}

function status(v: unknown, path: string): Status | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, path);
  const s: Status = {};
  const message = str(o.message, `${path}.message`);
  if (message) s.message = message;
  const code = enumValue(o.code, `${path}.code`, STATUS_CODES);
  if (code) s.code = code;
  return s;
}

function event(v: unknown, path: string): SpanEvent {
  const o = obj(v, path);
  const e: SpanEvent = {
    timeUnixNano: uint64(field(o, 'timeUnixNano', 'time_unix_nano'), `${path}.timeUnixNano`),
    name: str(o.name, `${path}.name`) ?? '',
    attributes: keyValues(o.attributes, `${path}.attributes`),
  };
  const dropped = uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`);
  if (dropped) e.droppedAttributesCount = dropped;
  return e;
}

function link(v: unknown, path: string): SpanLink {
  const o = obj(v, path);
  const l: SpanLink = {
    traceId: id(field(o, 'traceId', 'trace_id'), `${path}.traceId`, 16),
    spanId: id(field(o, 'spanId', 'span_id'), `${path}.spanId`, 8),
    attributes: keyValues(o.attributes, `${path}.attributes`),
  };
  const traceState = str(field(o, 'traceState', 'trace_state'), `${path}.traceState`);
  if (traceState) l.traceState = traceState;
  const dropped = uint32(field(o, 'droppedAttributesCount', 'dropped_attributes_count'), `${path}.droppedAttributesCount`);
  if (dropped) l.droppedAttributesCount = dropped;
  const flags = uint32(o.flags, `${path}.flags`);
  if (flags) l.flags = flags;
  return l;
}

function span(v: unknown, path: string): Span {
  const o = obj(v, path);
  const s: Span = {
    traceId: id(field(o, 'traceId', 'trace_id'), `${path}.traceId`, 16),
    spanId: id(field(o, 'spanId', 'span_id'), `${path}.spanId`, 8),
    parentSpanId: id(field(o, 'parentSpanId', 'parent_span_id'), `${path}.parentSpanId`, 8),
    name: str(o.name, `${path}.name`) ?? '',
    kind: enumValue(o.kind, `${path}.kind`, SPAN_KINDS),
    startTimeUnixNano: uint64(field(o, 'startTimeUnixNano', 'start_time_unix_nano'), `${path}.startTimeUnixNano`),
    endTimeUnixNano: uint64(field(o, 'endTimeUnixNano', 'end_time_unix_nano'), `${path}.endTimeUnixNano`),
    attributes: keyValues(o.attributes, `${path}.attributes`),
  };
  const traceState = str(field(o, 'traceState', 'trace_state'), `${path}.traceState`);
  if (traceState) s.traceState = traceState;
  const flags = uint32(o.flags, `${path}.flags`);
  if (flags) s.flags = flags;
  let x: unknown;
  if ((x = field(o, 'droppedAttributesCount', 'dropped_attributes_count')) !== undefined) {
    s.droppedAttributesCount = uint32(x, `${path}.droppedAttributesCount`);
  }
  if ((x = o.events) !== undefined && x !== null) s.events = arr(x, `${path}.events`).map((e, i) => event(e, `${path}.events[${i}]`));
  if ((x = field(o, 'droppedEventsCount', 'dropped_events_count')) !== undefined) s.droppedEventsCount = uint32(x, `${path}.droppedEventsCount`);
  if ((x = o.links) !== undefined && x !== null) s.links = arr(x, `${path}.links`).map((l, i) => link(l, `${path}.links[${i}]`));
  if ((x = field(o, 'droppedLinksCount', 'dropped_links_count')) !== undefined) s.droppedLinksCount = uint32(x, `${path}.droppedLinksCount`);
  const st = status(o.status, `${path}.status`);
  if (st) s.status = st;
  return s;
}

function scopeSpans(v: unknown, path: string): ScopeSpans {
  const o = obj(v, path);
  const scopeRaw = o.scope ?? o.instrumentationLibrary ?? o.instrumentation_library;
  const ss: ScopeSpans = {
    spans: arr(o.spans, `${path}.spans`).map((s, i) => span(s, `${path}.spans[${i}]`)),
  };
  const sc = scope(scopeRaw, `${path}.scope`);
  if (sc) ss.scope = sc;
  const schemaUrl = str(field(o, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`);
  if (schemaUrl) ss.schemaUrl = schemaUrl;
  return ss;
}

function resourceSpans(v: unknown, path: string): ResourceSpans {
  const o = obj(v, path);
  const ssRaw = field(o, 'scopeSpans', 'scope_spans') ?? field(o, 'instrumentationLibrarySpans', 'instrumentation_library_spans');
  const rs: ResourceSpans = {
    scopeSpans: arr(ssRaw, `${path}.scopeSpans`).map((s, i) => scopeSpans(s, `${path}.scopeSpans[${i}]`)),
  };
  const r = resource(o.resource, `${path}.resource`);
  if (r) rs.resource = r;
  const schemaUrl = str(field(o, 'schemaUrl', 'schema_url'), `${path}.schemaUrl`);
  if (schemaUrl) rs.schemaUrl = schemaUrl;
  return rs;
}

/** Decodes an ExportTraceServiceRequest (or TracesData) in OTLP/JSON. Throws OtlpJsonError. */
export function decodeTraceRequestJson(input: string | Uint8Array): TraceData {
  const parsed = parseJsonBody(input, (m) => new OtlpJsonError('', m));
  const o = obj(parsed, '');
  const list = arr(field(o, 'resourceSpans', 'resource_spans'), 'resourceSpans');
  return { resourceSpans: list.map((r, i) => resourceSpans(r, `resourceSpans[${i}]`)) };
}
