/**
 * OTLP's gRPC trace service with identity (Buffer) serializers. Requests and responses cross
 * grpc-js as bytes so that the collector decodes and encodes each one exactly once, through
 * otlp-proto.ts, instead of letting a generated stub do it again.
 */
import type * as grpc from '@grpc/grpc-js';

export const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

export const identityBuffer = (b: Buffer): Buffer => b;

export const rawTraceServiceDefinition: grpc.ServiceDefinition = {
  Export: {
    path: EXPORT_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identityBuffer,
    requestDeserialize: identityBuffer,
    responseSerialize: identityBuffer,
    responseDeserialize: identityBuffer,
    originalName: 'export',
  },
};
