/**
 * Zipkin v2 spans as both wire formats decode them (JSON list, proto3 ListOfSpans), before
 * translation to OTLP. IDs are already bytes (trace ID left-padded to 16 bytes); Zipkin's
 * microsecond times are already converted to nanoseconds as unsigned Longs (integer µs × 1000
 * in Long arithmetic, so nothing is lost).
 */
import type Long from 'long';

export interface ZipkinEndpoint {
  serviceName?: string;
  ipv4?: string;
  ipv6?: string;
  port?: number;
}

export interface ZipkinAnnotation {
  timestampNs: Long;
  value: string;
}

export type ZipkinKind = 'CLIENT' | 'SERVER' | 'PRODUCER' | 'CONSUMER' | undefined;

export interface ZipkinSpan {
  traceId: Uint8Array; // 16 bytes
  id: Uint8Array; // 8 bytes
  parentId?: Uint8Array; // 8 bytes
  kind: ZipkinKind;
  name: string;
  timestampNs?: Long;
  durationNs?: Long;
  localEndpoint?: ZipkinEndpoint;
  remoteEndpoint?: ZipkinEndpoint;
  annotations: ZipkinAnnotation[];
  tags: Record<string, string>;
  shared: boolean;
}

/** A span that could not be used, with the reason (`[3].id: expected 16 hex digits ...`). */
export interface ZipkinSpanRejection {
  index: number;
  message: string;
}

export interface DecodedZipkinSpans {
  spans: ZipkinSpan[];
  rejected: ZipkinSpanRejection[];
}

/** The whole body is unusable (not JSON, not a list, not protobuf). */
export class ZipkinDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipkinDecodeError';
  }
}

/** A problem with one span; the decoder turns it into a rejection of that span only. */
export class ZipkinSpanError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'ZipkinSpanError';
  }
}

export function isAllZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** Left-pads an ID to `size` bytes (64-bit trace IDs become 128-bit with zero high bits). */
export function padId(b: Uint8Array, size: number): Uint8Array {
  if (b.length === size) return b;
  const out = new Uint8Array(size);
  out.set(b, size - b.length);
  return out;
}
