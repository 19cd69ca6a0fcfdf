/**
 * OTLP/JSON encoder (ExportTraceServiceRequest) per the OTLP specification's JSON mapping:
 * lowerCamelCase field names, trace and span IDs as lower-case hex (not base64), enums as
 * integers, 64-bit integers (times, intValue) as decimal strings, bytes as base64, fields with
 * their default value (0, "", empty list, absent message) omitted. Written by hand rather than
 * through protobufjs' toObject + JSON.stringify: one pass, no intermediate object tree, and the
 * hex IDs the specification requires instead of protobuf JSON's base64.
 *
 * The writer encodes straight into one growable byte buffer: building the line as a string
 * made thousands of small strings and ropes per batch, and garbage collection took half the
 * time. IDs are written as hex bytes, field names as ASCII, and only string values pass through
 * JSON.stringify (native escaping).
 */
import type { AnyValue, KeyValue, Nanos, Span, TraceData } from './model.js';
import { ByteWriter } from './byte-writer.js';
import { nanosToBigInt } from './model.js';

const q = JSON.stringify;

function nanos(t: Nanos | null | undefined): string {
  if (t == null) return '0';
  if (typeof t === 'number') return Number.isSafeInteger(t) ? String(t) : BigInt(Math.trunc(t)).toString();
  return nanosToBigInt(t).toString();
}

function int64(v: NonNullable<AnyValue['intValue']>): string {
  if (typeof v === 'number') return String(Math.trunc(v));
  // Long: signed decimal. Values within ±2^31 (most attribute integers) skip Long's division loop.
  if ((v.high === 0 && v.low >= 0) || (v.high === -1 && v.low < 0 && !v.unsigned)) return String(v.low);
  return v.toString();
}

function double(v: number): string {
  // Proto3 JSON: non-finite doubles are the strings "NaN", "Infinity", "-Infinity".
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? '"NaN"' : v > 0 ? '"Infinity"' : '"-Infinity"';
}

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');

/** Escaped `"key":` prefixes of attributes, which repeat on every span. Bounded: keys are client data. */
const KEY_PREFIX_CACHE_MAX = 4096;

export class OtlpJsonWriter extends ByteWriter {
  private readonly keyPrefixes = new Map<string, Buffer>();

  constructor(initialBytes = 64 * 1024) {
    super(initialBytes);
  }

  /**
   * One ExportTraceServiceRequest as one line of OTLP/JSON (with a trailing newline when
   * asked). The bytes are a view into this writer's buffer, valid until its next encode().
   */
  encode(td: TraceData, newline = false): Buffer {
    this.pos = 0;
    this.ascii('{');
    const rss = td.resourceSpans;
    if (rss && rss.length > 0) {
      this.ascii('"resourceSpans":[');
      for (let i = 0; i < rss.length; i++) {
        if (i > 0) this.ascii(',');
        this.resourceSpans(rss[i]);
      }
      this.ascii(']');
    }
    this.ascii(newline ? '}\n' : '}');
    return this.buf.subarray(0, this.pos);
  }

  /**
   * A JSON string literal. Printable ASCII without `"` and `\` (nearly every value in spans)
   * is copied as it is; anything else is escaped by JSON.stringify and written as UTF-8.
   */
  private jsonString(s: string): void {
    const n = s.length;
    this.ensure(n + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        const quoted = q(s);
        this.ensure(quoted.length * 3);
        this.pos += this.buf.write(quoted, this.pos, 'utf8');
        return;
      }
      b[p++] = c;
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  private hex(id: Uint8Array): void {
    this.ensure(id.length * 2 + 2);
    const b = this.buf;
    let p = this.pos;
    b[p++] = 0x22;
    for (let i = 0; i < id.length; i++) {
      b[p++] = HEX_DIGITS[id[i] >> 4];
      b[p++] = HEX_DIGITS[id[i] & 15];
    }
    b[p++] = 0x22;
    this.pos = p;
  }

  /** Writes `,` before every member but the first of the object being written. */
  private sep(first: boolean): false {
    if (!first) this.ascii(',');
    return false;
  }

  private anyValue(v: AnyValue | null | undefined): void {
    if (v == null) return this.ascii('{}');
    if (v.stringValue != null) {
      this.ascii('{"stringValue":');
      this.jsonString(v.stringValue);
      return this.ascii('}');
    }
    if (v.boolValue != null) return this.ascii(v.boolValue ? '{"boolValue":true}' : '{"boolValue":false}');
    if (v.intValue != null) return this.ascii('{"intValue":"' + int64(v.intValue) + '"}');
    if (v.doubleValue != null) return this.ascii('{"doubleValue":' + double(v.doubleValue) + '}');
    if (v.arrayValue != null) {
      const vals = v.arrayValue.values;
      if (!vals || vals.length === 0) return this.ascii('{"arrayValue":{}}');
      this.ascii('{"arrayValue":{"values":[');
      for (let i = 0; i < vals.length; i++) {
        if (i > 0) this.ascii(',');
        this.anyValue(vals[i]);
      }
      return this.ascii(']}}');
    }
    if (v.kvlistValue != null) {
      const kvs = v.kvlistValue.values;
      if (!kvs || kvs.length === 0) return this.ascii('{"kvlistValue":{}}');
      this.ascii('{"kvlistValue":{"values":');
      this.keyValues(kvs);
      return this.ascii('}}');
    }
    if (v.bytesValue != null) {
      this.ascii('{"bytesValue":"' + Buffer.from(v.bytesValue.buffer, v.bytesValue.byteOffset, v.bytesValue.byteLength).toString('base64') + '"}');
      return;
    }
    this.ascii('{}');
  }

  private keyPrefix(key: string): Buffer {
    let prefix = this.keyPrefixes.get(key);
    if (prefix === undefined) {
      prefix = Buffer.from('{"key":' + q(key) + ',"value":', 'utf8');
      if (this.keyPrefixes.size < KEY_PREFIX_CACHE_MAX) this.keyPrefixes.set(key, prefix);
    }
    return prefix;
  }

  /** `[{"key":..,"value":..},...]` for a non-empty list. */
  private keyValues(kvs: readonly KeyValue[]): void {
    this.ascii('[');
    for (let i = 0; i < kvs.length; i++) {
      if (i > 0) this.ascii(',');
      const prefix = this.keyPrefix(kvs[i].key);
      this.ensure(prefix.length);
      this.pos += prefix.copy(this.buf, this.pos);
      this.anyValue(kvs[i].value);
      this.ascii('}');
    }
    this.ascii(']');
  }

  // Optional members: each writes nothing when it holds its default, else `,"name":value` (no
  // comma first). They return the new `first` flag.
  private str(first: boolean, name: string, v: string | null | undefined): boolean {
    if (!v) return first;
    this.sep(first);
    this.ascii('"' + name + '":');
    this.jsonString(v);
    return false;
  }
  private num(first: boolean, name: string, v: number | null | undefined): boolean {
    if (!v) return first;
    this.sep(first);
    this.ascii('"' + name + '":' + v);
    return false;
  }
  private id(first: boolean, name: string, v: Uint8Array | null | undefined): boolean {
    if (!v || v.length === 0) return first;
    this.sep(first);
    this.ascii('"' + name + '":');
    this.hex(v);
    return false;
  }
  private attrs(first: boolean, v: readonly KeyValue[] | null | undefined): boolean {
    if (!v || v.length === 0) return first;
    this.sep(first);
    this.ascii('"attributes":');
    this.keyValues(v);
    return false;
  }

  private resourceSpans(rs: TraceData['resourceSpans'][number]): void {
    this.ascii('{');
    let first = true;
    const res = rs.resource;
    if (res) {
      first = this.sep(first);
      this.ascii('"resource":{');
      this.num(this.attrs(true, res.attributes), 'droppedAttributesCount', res.droppedAttributesCount);
      this.ascii('}');
    }
    const sss = rs.scopeSpans;
    if (sss && sss.length > 0) {
      first = this.sep(first);
      this.ascii('"scopeSpans":[');
      for (let i = 0; i < sss.length; i++) {
        if (i > 0) this.ascii(',');
        this.scopeSpans(sss[i]);
      }
      this.ascii(']');
    }
    this.str(first, 'schemaUrl', rs.schemaUrl);
    this.ascii('}');
  }

  private scopeSpans(ss: TraceData['resourceSpans'][number]['scopeSpans'][number]): void {
    this.ascii('{');
    let first = true;
    const sc = ss.scope;
    if (sc) {
      first = this.sep(first);
      this.ascii('"scope":{');
      let f = this.str(true, 'name', sc.name);
      f = this.str(f, 'version', sc.version);
      f = this.attrs(f, sc.attributes);
      this.num(f, 'droppedAttributesCount', sc.droppedAttributesCount);
      this.ascii('}');
    }
    const spans = ss.spans;
    if (spans && spans.length > 0) {
      first = this.sep(first);
      this.ascii('"spans":[');
      for (let i = 0; i < spans.length; i++) {
        if (i > 0) this.ascii(',');
        this.span(spans[i]);
      }
      this.ascii(']');
    }
    this.str(first, 'schemaUrl', ss.schemaUrl);
    this.ascii('}');
  }

  private span(s: Span): void {
    this.ascii('{');
    let f = this.id(true, 'traceId', s.traceId);
    f = this.id(f, 'spanId', s.spanId);
    f = this.str(f, 'traceState', s.traceState);
    f = this.id(f, 'parentSpanId', s.parentSpanId);
    f = this.num(f, 'flags', s.flags);
    f = this.str(f, 'name', s.name);
    f = this.num(f, 'kind', s.kind);
    this.sep(f);
    this.ascii('"startTimeUnixNano":"' + nanos(s.startTimeUnixNano) + '","endTimeUnixNano":"' + nanos(s.endTimeUnixNano) + '"');
    f = this.attrs(false, s.attributes);
    f = this.num(f, 'droppedAttributesCount', s.droppedAttributesCount);
    const events = s.events;
    if (events && events.length > 0) {
      this.ascii(',"events":[');
      for (let i = 0; i < events.length; i++) {
        const e = events[i];
        this.ascii(i > 0 ? ',{"timeUnixNano":"' : '{"timeUnixNano":"');
        this.ascii(nanos(e.timeUnixNano) + '"');
        this.num(this.attrs(this.str(false, 'name', e.name), e.attributes), 'droppedAttributesCount', e.droppedAttributesCount);
        this.ascii('}');
      }
      this.ascii(']');
    }
    f = this.num(f, 'droppedEventsCount', s.droppedEventsCount);
    const links = s.links;
    if (links && links.length > 0) {
      this.ascii(',"links":[');
      for (let i = 0; i < links.length; i++) {
        const l = links[i];
        this.ascii(i > 0 ? ',{' : '{');
        let lf = this.id(true, 'traceId', l.traceId);
        lf = this.id(lf, 'spanId', l.spanId);
        lf = this.str(lf, 'traceState', l.traceState);
        lf = this.attrs(lf, l.attributes);
        lf = this.num(lf, 'droppedAttributesCount', l.droppedAttributesCount);
        this.num(lf, 'flags', l.flags);
        this.ascii('}');
      }
      this.ascii(']');
    }
    this.num(false, 'droppedLinksCount', s.droppedLinksCount);
    // Message fields are written when present, even empty (`"status":{}`), as protobuf JSON does.
    if (s.status) {
      this.ascii(',"status":{');
      this.num(this.str(true, 'message', s.status.message), 'code', s.status.code);
      this.ascii('}');
    }
    this.ascii('}');
  }
}

const sharedWriter = new OtlpJsonWriter();

/** One ExportTraceServiceRequest as a single line of OTLP/JSON. */
export function encodeTracesJson(td: TraceData): string {
  return sharedWriter.encode(td).toString('utf8');
}
