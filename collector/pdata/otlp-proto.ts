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

/** Decodes an ExportTraceServiceRequest; throws protobufjs' error on malformed input. */
export function decodeTraceRequest(buf: Uint8Array): TraceData {
  return ExportTraceServiceRequest.decode(buf) as unknown as TraceData;
}

export function encodeTraceRequest(td: TraceData): Uint8Array {
  return ExportTraceServiceRequest.encode(td as unknown as protobuf.Message).finish();
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
