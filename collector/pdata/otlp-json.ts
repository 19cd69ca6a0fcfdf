/**
 * OTLP/JSON encoder (ExportTraceServiceRequest) per the OTLP specification's JSON mapping:
 * lowerCamelCase field names, trace and span IDs as lower-case hex (not base64), enums as
 * integers, 64-bit integers (times, intValue) as decimal strings, bytes as base64, fields with
 * their default value (0, "", empty list, absent message) omitted. Written by hand rather than
 * through protobufjs' toObject + JSON.stringify: one pass, no intermediate object tree, and the
 * hex IDs the specification requires instead of protobuf JSON's base64.
 */
import type { AnyValue, KeyValue, Nanos, Span, TraceData } from './model.js';
import { idToHex, nanosToBigInt } from './model.js';

const q = JSON.stringify;

function nanos(t: Nanos | null | undefined): string {
  if (t == null) return '0';
  if (typeof t === 'number') return Number.isSafeInteger(t) ? String(t) : BigInt(Math.trunc(t)).toString();
  return nanosToBigInt(t).toString();
}

function int64(v: NonNullable<AnyValue['intValue']>): string {
  if (typeof v === 'number') return String(Math.trunc(v));
  return v.toString(); // Long: signed decimal
}

function double(v: number): string {
  // Proto3 JSON: non-finite doubles are the strings "NaN", "Infinity", "-Infinity".
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

export function anyValueJson(v: AnyValue | null | undefined): string {
  if (v == null) return '{}';
  if (v.stringValue != null) return `{"stringValue":${q(v.stringValue)}}`;
  if (v.boolValue != null) return `{"boolValue":${v.boolValue ? 'true' : 'false'}}`;
  if (v.intValue != null) return `{"intValue":"${int64(v.intValue)}"}`;
  if (v.doubleValue != null) return `{"doubleValue":${double(v.doubleValue)}}`;
  if (v.arrayValue != null) return `{"arrayValue":{${listField('values', v.arrayValue.values, anyValueJson)}}}`;
  if (v.kvlistValue != null) return `{"kvlistValue":{${listField('values', v.kvlistValue.values, keyValueJson)}}}`;
  if (v.bytesValue != null) return `{"bytesValue":${q(Buffer.from(v.bytesValue.buffer, v.bytesValue.byteOffset, v.bytesValue.byteLength).toString('base64'))}}`;
  return '{}';
}

function keyValueJson(kv: KeyValue): string {
  return `{"key":${q(kv.key)},"value":${anyValueJson(kv.value)}}`;
}

/** `"name":[...]` or '' when the list is empty/absent (default omitted). */
function listField<T>(name: string, items: readonly T[] | null | undefined, enc: (t: T) => string): string {
  if (!items || items.length === 0) return '';
  let s = `"${name}":[`;
  for (let i = 0; i < items.length; i++) {
    if (i > 0) s += ',';
    s += enc(items[i]);
  }
  return s + ']';
}

/** Joins non-empty `"k":v` members into an object. */
function obj(members: string[]): string {
  let s = '{';
  let first = true;
  for (const m of members) {
    if (m === '') continue;
    if (!first) s += ',';
    s += m;
    first = false;
  }
  return s + '}';
}

function str(name: string, v: string | null | undefined): string {
  return v ? `"${name}":${q(v)}` : '';
}

function num(name: string, v: number | null | undefined): string {
  return v ? `"${name}":${v}` : '';
}

function id(name: string, v: Uint8Array | null | undefined): string {
  return v && v.length > 0 ? `"${name}":"${idToHex(v)}"` : '';
}

function spanJson(s: Span): string {
  // Message fields are written when present, even empty (`"status":{}`), as protobuf JSON does.
  const status = s.status ? `"status":${obj([str('message', s.status.message), num('code', s.status.code)])}` : '';
  return obj([
    id('traceId', s.traceId),
    id('spanId', s.spanId),
    str('traceState', s.traceState),
    id('parentSpanId', s.parentSpanId),
    num('flags', s.flags),
    str('name', s.name),
    num('kind', s.kind),
    `"startTimeUnixNano":"${nanos(s.startTimeUnixNano)}"`,
    `"endTimeUnixNano":"${nanos(s.endTimeUnixNano)}"`,
    listField('attributes', s.attributes, keyValueJson),
    num('droppedAttributesCount', s.droppedAttributesCount),
    listField('events', s.events, (e) =>
      obj([`"timeUnixNano":"${nanos(e.timeUnixNano)}"`, str('name', e.name), listField('attributes', e.attributes, keyValueJson), num('droppedAttributesCount', e.droppedAttributesCount)]),
    ),
    num('droppedEventsCount', s.droppedEventsCount),
    listField('links', s.links, (l) =>
      obj([
        id('traceId', l.traceId),
        id('spanId', l.spanId),
        str('traceState', l.traceState),
        listField('attributes', l.attributes, keyValueJson),
        num('droppedAttributesCount', l.droppedAttributesCount),
        num('flags', l.flags),
      ]),
    ),
    num('droppedLinksCount', s.droppedLinksCount),
    status,
  ]);
}

/** One ExportTraceServiceRequest as a single line of OTLP/JSON. */
export function encodeTracesJson(td: TraceData): string {
  return obj([
    listField('resourceSpans', td.resourceSpans, (rs) => {
      const res = rs.resource;
      const resource = res
          ? `"resource":${obj([listField('attributes', res.attributes, keyValueJson), num('droppedAttributesCount', res.droppedAttributesCount)])}`
          : '';
      return obj([
        resource,
        listField('scopeSpans', rs.scopeSpans, (ss) => {
          const sc = ss.scope;
          const scope = sc
              ? `"scope":${obj([str('name', sc.name), str('version', sc.version), listField('attributes', sc.attributes, keyValueJson), num('droppedAttributesCount', sc.droppedAttributesCount)])}`
              : '';
          return obj([scope, listField('spans', ss.spans, spanJson), str('schemaUrl', ss.schemaUrl)]);
        }),
        str('schemaUrl', rs.schemaUrl),
      ]);
    }),
  ]);
}
