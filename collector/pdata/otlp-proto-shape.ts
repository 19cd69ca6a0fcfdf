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

function walk(c: Cursor, end: number, kind: number, valueDepth: number, shape: ProtoShape): void {
  shape.messages++;
  if (kind === SPAN || kind === ZIPKIN_SPAN) shape.spans++;
  while (c.pos < end) {
    const tag = varint(c, end);
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (field === 0) throw new ProtoShapeError(`illegal tag: field no 0 at offset ${c.pos}`);
    if (wire !== 2) {
      skipValue(c, end, wire, field, 0);
      continue;
    }
    const len = varint(c, end);
    const stop = c.pos + len;
    if (stop > end) throw new ProtoShapeError(`index out of range: ${c.pos} + ${len} > ${end}`);
    const child = childKind(kind, field);
    if (child === NOT_A_MESSAGE) {
      shape.stringBytes += len;
      c.pos = stop;
      continue;
    }
    let depth = valueDepth;
    if (child === ANY_VALUE && ++depth > MAX_PROTO_VALUE_NESTING + 1) {
      throw new ProtoShapeError(`attribute values nested deeper than ${MAX_PROTO_VALUE_NESTING} levels`);
    }
    walk(c, stop, child, depth, shape);
    c.pos = stop;
  }
}

function scan(buf: Uint8Array, root: number): ProtoShape {
  const shape: ProtoShape = { spans: 0, messages: 0, stringBytes: 0 };
  const c: Cursor = { buf, pos: 0 };
  walk(c, buf.length, root, 0, shape);
  shape.messages--; // the root itself is not built as a separate object worth counting
  return shape;
}

/** Shape of an OTLP ExportTraceServiceRequest (or TracesData). Throws ProtoShapeError. */
export function scanTraceRequestShape(buf: Uint8Array): ProtoShape {
  return scan(buf, REQUEST);
}

/** Shape of a zipkin.proto3 ListOfSpans. Throws ProtoShapeError. */
export function scanZipkinListShape(buf: Uint8Array): ProtoShape {
  return scan(buf, ZIPKIN_LIST);
}
