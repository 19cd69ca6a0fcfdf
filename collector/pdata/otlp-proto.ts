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

// protobufjs puts the default of every oneof member on the message prototype ("" for
// stringValue, false for boolValue, ...), so a decoded AnyValue whose intValue is set still reads
// stringValue === "". Clearing those defaults makes "the defined member is the set one" hold for
// decoded and hand-built values alike (see model.ts). The encoder checks own properties, so it
// is unaffected.
{
  const anyValue = root.lookupType('opentelemetry.proto.common.v1.AnyValue');
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
