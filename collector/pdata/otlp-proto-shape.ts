/**
 * The shape of an OTLP ExportTraceServiceRequest (or a zipkin.proto3 ListOfSpans), read from the
 * wire format before protobufjs builds anything: how many spans, how many messages (each one a
 * JS object once decoded), how many string/bytes bytes, and whether AnyValue nesting stays within
 * bounds.
 *
 * Why: an empty span costs 2 bytes on the wire (`12 00`) and a few hundred bytes of heap once
 * decoded, so a 6 MB body of 3,000,000 empty spans exhausts a 384 MB heap inside protobufjs,
 * before any validation can run. Walking the tags costs a few ns per field and allocates
 * nothing, so the receiver refuses such a request (span cap, memory budget) without decoding it.
 *
 * The walk knows the OTLP trace schema (opentelemetry-proto v1.x field numbers); unknown fields
 * are skipped as protobufjs skips them. Malformed wire data is reported with a message like
 * protobufjs' own, so the answer is the same 400 either way.
 */

/** Message kinds of the OTLP trace schema, as small integers for a switch. */
const REQUEST = 0;
const RESOURCE_SPANS = 1;
const RESOURCE = 2;
const SCOPE_SPANS = 3;
const SCOPE = 4;
const SPAN = 5;
const EVENT = 6;
const LINK = 7;
const STATUS = 8;
const KEY_VALUE = 9;
const ANY_VALUE = 10;
const ARRAY_VALUE = 11;
const KVLIST_VALUE = 12;
const ZIPKIN_LIST = 13;
const ZIPKIN_SPAN = 14;
const ZIPKIN_ENDPOINT = 15;
const ZIPKIN_ANNOTATION = 16;
const ZIPKIN_TAG = 17;

const NOT_A_MESSAGE = -1;

/**
 * The message kind of length-delimited field `field` inside a message of kind `kind`, or
 * NOT_A_MESSAGE for strings, bytes and unknown fields.
 */
function childKind(kind: number, field: number): number {
  switch (kind) {
    case REQUEST:
      return field === 1 ? RESOURCE_SPANS : NOT_A_MESSAGE;
    case RESOURCE_SPANS:
      return field === 1 ? RESOURCE : field === 2 ? SCOPE_SPANS : NOT_A_MESSAGE;
    case RESOURCE:
      return field === 1 ? KEY_VALUE : NOT_A_MESSAGE;
    case SCOPE_SPANS:
      return field === 1 ? SCOPE : field === 2 ? SPAN : NOT_A_MESSAGE;
    case SCOPE:
      return field === 3 ? KEY_VALUE : NOT_A_MESSAGE;
    case SPAN:
      return field === 9 ? KEY_VALUE : field === 11 ? EVENT : field === 13 ? LINK : field === 15 ? STATUS : NOT_A_MESSAGE;
    case EVENT:
      return field === 3 ? KEY_VALUE : NOT_A_MESSAGE;
    case LINK:
      return field === 4 ? KEY_VALUE : NOT_A_MESSAGE;
    case KEY_VALUE:
      return field === 2 ? ANY_VALUE : NOT_A_MESSAGE;
    case ANY_VALUE:
      return field === 5 ? ARRAY_VALUE : field === 6 ? KVLIST_VALUE : NOT_A_MESSAGE;
    case ARRAY_VALUE:
      return field === 1 ? ANY_VALUE : NOT_A_MESSAGE;
    case KVLIST_VALUE:
      return field === 1 ? KEY_VALUE : NOT_A_MESSAGE;
    case ZIPKIN_LIST:
      return field === 1 ? ZIPKIN_SPAN : NOT_A_MESSAGE;
    case ZIPKIN_SPAN:
      return field === 8 || field === 9 ? ZIPKIN_ENDPOINT : field === 10 ? ZIPKIN_ANNOTATION : field === 11 ? ZIPKIN_TAG : NOT_A_MESSAGE;
    default:
      return NOT_A_MESSAGE;
  }
}

/** childKind as a table, kind × field (fields 0-31; every schema field number is below 32). */
const CHILD = new Int8Array(32 * 32).fill(NOT_A_MESSAGE);
for (let kind = 0; kind <= ZIPKIN_TAG; kind++) for (let field = 0; field < 32; field++) CHILD[kind * 32 + field] = childKind(kind, field);

export interface ProtoShape {
  spans: number;
  /** Messages (objects once decoded), spans included. */
  messages: number;
  /** Bytes of string and bytes fields. */
  stringBytes: number;
}

/** Malformed wire data, or nesting past the limit. */
export class ProtoShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtoShapeError';
  }
}

/**
 * AnyValue nesting allowed (array/kvlist values inside values), as OTLP/JSON allows
 * (otlp-json-decode.ts MAX_VALUE_NESTING): protobufjs itself recurses without a limit, so a body
 * of nested kvlists would otherwise end in a stack overflow.
 */
export const MAX_PROTO_VALUE_NESTING = 30;

interface Cursor {
  buf: Uint8Array;
  pos: number;
}

function varint(c: Cursor, end: number): number {
  // Up to 10 bytes; values above 2^53 lose precision, which only matters for lengths (refused).
  let result = 0;
  let shift = 1;
  for (let i = 0; i < 10; i++) {
    if (c.pos >= end) throw new ProtoShapeError(`index out of range: ${c.pos} + 1 > ${end}`);
    const b = c.buf[c.pos++];
    result += (b & 0x7f) * shift;
    if (b < 0x80) return result;
    shift *= 128;
  }
  throw new ProtoShapeError('invalid varint encoding');
}

function skip(c: Cursor, end: number, n: number): void {
  if (c.pos + n > end) throw new ProtoShapeError(`index out of range: ${c.pos} + ${n} > ${end}`);
  c.pos += n;
}

/** Skips a (deprecated) group that started with field `field`, up to its end-group tag. */
function skipGroup(c: Cursor, end: number, field: number, depth: number): void {
  if (depth > 100) throw new ProtoShapeError('groups nested too deep');
  for (;;) {
    const tag = varint(c, end);
    const wire = tag & 7;
    const f = Math.floor(tag / 8);
    if (wire === 4) {
      if (f !== field) throw new ProtoShapeError(`invalid end group tag for field ${f}`);
      return;
    }
    skipValue(c, end, wire, f, depth + 1);
  }
}

function skipValue(c: Cursor, end: number, wire: number, field: number, depth: number): void {
  switch (wire) {
    case 0:
      varint(c, end);
      return;
    case 1:
      skip(c, end, 8);
      return;
    case 2:
      skip(c, end, varint(c, end));
      return;
    case 3:
      skipGroup(c, end, field, depth);
      return;
    case 5:
      skip(c, end, 4);
      return;
    default:
      throw new ProtoShapeError(`invalid wire type ${wire} at offset ${c.pos}`);
  }
}

/**
 * Deepest message nesting the walk follows: the schema's own levels (request → resource spans →
 * scope spans → span → attribute → value: 6) plus three per nested AnyValue level.
 */
const MAX_STACK = 8 + 3 * (MAX_PROTO_VALUE_NESTING + 1);

/**
 * The walk, iterative with an explicit stack so that it can stop after a number of fields and go
 * on later (a 20 MB body has 10 million fields: ~0.5 s in one go would stall the event loop).
 */
export class ProtoShapeScan {
  readonly shape: ProtoShape = { spans: 0, messages: 0, stringBytes: 0 };
  private readonly c: Cursor;
  private readonly kinds = new Int32Array(MAX_STACK);
  private readonly ends = new Int32Array(MAX_STACK);
  private readonly valueDepths = new Int32Array(MAX_STACK);
  private sp = 0;

  constructor(buf: Uint8Array, root: number) {
    if (buf.length > 0x7fffffff) throw new ProtoShapeError(`body of ${buf.length} bytes is too large`);
    this.c = { buf, pos: 0 };
    this.kinds[0] = root;
    this.ends[0] = buf.length;
  }

  /** Reads up to `maxFields` fields; true when the whole body has been read. Throws ProtoShapeError. */
  step(maxFields: number): boolean {
    const c = this.c;
    const buf = c.buf;
    const shape = this.shape;
    const kinds = this.kinds;
    const ends = this.ends;
    let pos = c.pos;
    let sp = this.sp;
    try {
      for (let n = 0; n < maxFields; n++) {
        while (pos >= ends[sp]) {
          if (sp === 0) return true;
          sp--;
        }
        const end = ends[sp];
        // The tag: one byte for every field number below 16, the usual case, read inline.
        let tag = buf[pos];
        if (tag < 0x80) pos++;
        else {
          c.pos = pos;
          tag = varint(c, end);
          pos = c.pos;
        }
        const wire = tag & 7;
        const field = tag < 0x80000000 ? tag >>> 3 : Math.floor(tag / 8);
        if (field === 0) throw new ProtoShapeError(`illegal tag: field no 0 at offset ${pos}`);
        if (wire !== 2) {
          c.pos = pos;
          skipValue(c, end, wire, field, 0);
          pos = c.pos;
          continue;
        }
        let len = pos < end ? buf[pos] : 0x80;
        if (len < 0x80) pos++;
        else {
          c.pos = pos;
          len = varint(c, end);
          pos = c.pos;
        }
        const stop = pos + len;
        if (stop > end) throw new ProtoShapeError(`index out of range: ${pos} + ${len} > ${end}`);
        const child = field < 32 ? CHILD[kinds[sp] * 32 + field] : NOT_A_MESSAGE;
        if (child === NOT_A_MESSAGE) {
          shape.stringBytes += len;
          pos = stop;
          continue;
        }
        if (child === KEY_VALUE && scalarKeyValue(buf, pos, stop, shape)) {
          // key + scalar value: counted without walking into it; its value sits one level down.
          if (this.valueDepths[sp] + 1 > MAX_PROTO_VALUE_NESTING + 1) {
            throw new ProtoShapeError(`attribute values nested deeper than ${MAX_PROTO_VALUE_NESTING} levels`);
          }
          pos = stop;
          continue;
        }
        shape.messages++;
        if (child === SPAN || child === ZIPKIN_SPAN) shape.spans++;
        let depth = this.valueDepths[sp];
        if (child === ANY_VALUE && ++depth > MAX_PROTO_VALUE_NESTING + 1) {
          throw new ProtoShapeError(`attribute values nested deeper than ${MAX_PROTO_VALUE_NESTING} levels`);
        }
        if (len === 0) continue; // an empty message: nothing inside to read
        sp++;
        kinds[sp] = child;
        ends[sp] = stop;
        this.valueDepths[sp] = depth;
      }
      return false;
    } finally {
      c.pos = pos;
      this.sp = sp;
    }
  }
}

/**
 * Counts a KeyValue whose value is a scalar (string, bool, int, double, bytes) — nearly every
 * attribute — by reading its few bytes in place, without walking into it: key (field 1) then
 * value (field 2) holding one scalar field, each length under 128 (one-byte lengths). Anything
 * else (array and kvlist values, longer fields, other layouts) returns false and is walked.
 */
function scalarKeyValue(buf: Uint8Array, pos: number, stop: number, shape: ProtoShape): boolean {
  if (stop - pos < 4 || buf[pos] !== 0x0a) return false; // key, length-delimited
  const keyLen = buf[pos + 1];
  if (keyLen >= 0x80) return false;
  let p = pos + 2 + keyLen;
  if (p + 2 > stop || buf[p] !== 0x12) return false; // value, length-delimited
  const valueLen = buf[p + 1];
  if (valueLen >= 0x80 || p + 2 + valueLen !== stop) return false;
  p += 2;
  let bytes = keyLen;
  if (valueLen > 0) {
    const tag = buf[p];
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 1 || field === 7) {
      // string_value / bytes_value: one-byte length covering the rest
      if (wire !== 2 || p + 2 > stop || buf[p + 1] >= 0x80 || p + 2 + buf[p + 1] !== stop) return false;
      bytes += buf[p + 1];
    } else if (field === 2 || field === 3) {
      // bool_value / int_value: a varint filling the rest
      if (wire !== 0 || (buf[stop - 1] & 0x80) !== 0) return false;
    } else if (field === 4) {
      if (wire !== 1 || p + 9 !== stop) return false; // double_value
    } else return false;
  }
  shape.messages += 2;
  shape.stringBytes += bytes;
  return true;
}

function scanAll(buf: Uint8Array, root: number): ProtoShape {
  const scan = new ProtoShapeScan(buf, root);
  while (!scan.step(1 << 20));
  return scan.shape;
}

/** Shape of an OTLP ExportTraceServiceRequest (or TracesData), in one go. Throws ProtoShapeError. */
export function scanTraceRequestShape(buf: Uint8Array): ProtoShape {
  return scanAll(buf, REQUEST);
}

/** Shape of a zipkin.proto3 ListOfSpans, in one go. Throws ProtoShapeError. */
export function scanZipkinListShape(buf: Uint8Array): ProtoShape {
  return scanAll(buf, ZIPKIN_LIST);
}

export const ROOT_TRACE_REQUEST = REQUEST;
export const ROOT_ZIPKIN_LIST = ZIPKIN_LIST;
