/**
 * OTLP protobuf codec over the vendored opentelemetry-proto v1.11.0 files (collector/proto).
 * protobufjs reflection generates specialised decode/encode functions at load time, so this is
 * as fast as its static code generation without a generated file in the tree.
 */
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import type Long from 'long';
import type { TraceData } from './model.js';
import { interningReader } from './interning-reader.js';

function protoDir(): string {
  // Works from the TypeScript sources (collector/pdata) and from the build (dist/collector/pdata).
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.resolve(here, '../proto'), path.resolve(here, '../../../collector/proto')]) {
    if (fs.existsSync(path.join(candidate, 'opentelemetry'))) return candidate;
  }
  throw new Error(`opentelemetry proto files not found near ${here}`);
}

const root = new protobuf.Root();
const dir = protoDir();
root.resolvePath = (_origin, target) => path.join(dir, target);
root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto', { keepCase: false });

export const protoRoot = root;
export const ExportTraceServiceRequest = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
export const ExportTraceServiceResponse = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
export const TracesData = root.lookupType('opentelemetry.proto.trace.v1.TracesData');

// Two adjustments to AnyValue, the message decoded ~20 times per span:
// 1. protobufjs' decoder assigns the oneof's virtual `value` property after each member it
//    reads, and that setter `delete`s the six other members from the object: about 15% of
//    decode time, and deletes push V8 objects into slow dictionary mode. Each member is moved
//    into a single-field oneof of its own (what protobufjs does for proto3 `optional` fields),
//    so members keep explicit presence (an explicitly set 0, false or "" is still encoded)
//    while the setter has no sibling to delete. The wire format is unchanged: each member keeps
//    its field number. A value that arrives with two members set (proto3: the last wins) keeps
//    both; model readers take the first in model.ts order.
// 2. protobufjs puts every field's default on the message prototype ("" for stringValue, false
//    for boolValue, ...), so a decoded AnyValue whose intValue is set would still read
//    stringValue === "". Clearing those defaults makes "the defined member is the set one" hold
//    for decoded and hand-built values alike (see model.ts).
{
  const anyValue = root.lookupType('opentelemetry.proto.common.v1.AnyValue');
  for (const oneof of [...anyValue.oneofsArray]) {
    const members = [...oneof.fieldsArray];
    for (const field of members) oneof.remove(field);
    anyValue.remove(oneof);
    for (const field of members) {
      const single = new protobuf.OneOf(`_${field.name}`);
      anyValue.add(single);
      single.add(field);
    }
  }
  const proto = anyValue.ctor.prototype as Record<string, unknown>;
  for (const f of anyValue.fieldsArray) {
    Object.defineProperty(proto, f.name, { value: undefined, writable: true, configurable: true, enumerable: false });
  }
}

/**
 * Decodes an ExportTraceServiceRequest; throws protobufjs' error on malformed input. Short ASCII
 * strings come from a cache as flat strings (interning-reader.ts: same results, cheaper to use).
 */
export function decodeTraceRequest(buf: Uint8Array): TraceData {
  return ExportTraceServiceRequest.decode(interningReader(buf)) as unknown as TraceData;
}

/**
 * One writer reused by every encode (encoding is synchronous): its buffer grows once to the
 * usual request size instead of doubling up from 128 bytes for every request — for a 90 KB
 * request that is 10 grow-and-copy steps and as many short-lived buffers. `finish()` still
 * returns a fresh buffer of exactly the request's size. A writer grown past 4 MiB (a huge
 * request) is not kept, and one whose encode threw is dropped with it.
 */
let spareWriter: protobuf.Writer | undefined;
const MAX_KEPT_WRITER_BYTES = 4 * 1024 * 1024;

interface WriterInternals {
  pos: number;
  states: unknown;
  buf: Uint8Array;
}

export function encodeTraceRequest(td: TraceData): Uint8Array {
  const writer = spareWriter ?? protobuf.Writer.create();
  spareWriter = undefined;
  const out = ExportTraceServiceRequest.encode(td as unknown as protobuf.Message, writer).finish();
  const w = writer as unknown as WriterInternals;
  if (w.buf.length <= MAX_KEPT_WRITER_BYTES) {
    w.pos = 0;
    w.states = null;
    spareWriter = writer;
  }
  return out;
}

export interface PartialSuccess {
  rejectedSpans?: number | Long;
  errorMessage?: string;
}

export function encodeTraceResponse(partial?: PartialSuccess): Uint8Array {
  return ExportTraceServiceResponse.encode(
    (partial ? { partialSuccess: partial } : {}) as unknown as protobuf.Message,
  ).finish();
}

export function decodeTraceResponse(buf: Uint8Array): { partialSuccess?: PartialSuccess } {
  return ExportTraceServiceResponse.decode(buf) as unknown as { partialSuccess?: PartialSuccess };
}
