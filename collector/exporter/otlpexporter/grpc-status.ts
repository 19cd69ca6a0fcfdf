/**
 * Which gRPC failures are worth retrying, exactly as the OTLP specification lists them
 * (opentelemetry-proto docs/specification.md, "Failures"): UNAVAILABLE, CANCELLED,
 * DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, DATA_LOSS always; RESOURCE_EXHAUSTED only when the
 * server sent RetryInfo (it can recover); everything else is permanent.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { PermanentError, RetryableError } from '../exporterhelper/errors.js';

const ALWAYS_RETRYABLE: ReadonlySet<number> = new Set([
  GrpcStatus.CANCELLED,
  GrpcStatus.DEADLINE_EXCEEDED,
  GrpcStatus.ABORTED,
  GrpcStatus.OUT_OF_RANGE,
  GrpcStatus.UNAVAILABLE,
  GrpcStatus.DATA_LOSS,
]);

export function isRetryableGrpcCode(code: number, hasRetryInfo: boolean): boolean {
  if (ALWAYS_RETRYABLE.has(code)) return true;
  return code === GrpcStatus.RESOURCE_EXHAUSTED && hasRetryInfo;
}

/** `INVALID_ARGUMENT` → `grpc_invalid_argument`: the drop reason label of a permanent failure. */
export function grpcCodeReason(code: number): string {
  const name = (GrpcStatus as unknown as Record<number, string>)[code];
  return `grpc_${(name ?? String(code)).toLowerCase()}`;
}

/** The error the sending queue acts on, for a failed Export call. */
export function grpcFailure(code: number, details: string, retryDelayMs: number | undefined): RetryableError | PermanentError {
  const name = (GrpcStatus as unknown as Record<number, string>)[code] ?? String(code);
  const message = `OTLP/gRPC export failed: ${name}: ${details}`;
  if (isRetryableGrpcCode(code, retryDelayMs !== undefined)) return new RetryableError(message, { retryAfterMs: retryDelayMs });
  return new PermanentError(message, grpcCodeReason(code));
}
