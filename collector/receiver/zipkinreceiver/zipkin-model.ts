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
  /** Every span rejected. */
  rejectedCount: number;
  /** The first MAX_REJECTION_SAMPLES rejections, for the answer and the log. */
  rejected: ZipkinSpanRejection[];
}

/** Rejections kept with their message; the others are only counted (a body can hold millions). */
export const MAX_REJECTION_SAMPLES = 10;

export function emptyDecoded(): DecodedZipkinSpans {
  return { spans: [], rejectedCount: 0, rejected: [] };
}

/** Counts a rejected span, keeping its message only while there are few. */
export function addRejection(out: DecodedZipkinSpans, index: number, e: ZipkinSpanError): void {
  if (out.rejected.length < MAX_REJECTION_SAMPLES) out.rejected.push({ index, message: `[${index}]${e.path ? '.' : ''}${e.path}: ${e.detail}` });
  out.rejectedCount++;
}

/** The whole body is unusable (not JSON, not a list, not protobuf). */
export class ZipkinDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipkinDecodeError';
  }
}

/**
 * A problem with one span; the decoder turns it into a rejection of that span only. Deliberately
 * not an Error: throwing it captures no stack trace, so a body of a million malformed spans costs
 * what checking them costs (an Error per span took ~10 s for 1M spans). `path` is relative to the
 * span (`traceId`, `tags.x`), the index is added when the rejection is recorded.
 */
export class ZipkinSpanError {
  constructor(
    public path: string,
    readonly detail: string,
  ) {}

  /** Prefixes the path with the field that contains it (`annotations[3]`). */
  within(prefix: string): ZipkinSpanError {
    this.path = this.path ? `${prefix}.${this.path}` : prefix;
    return this;
  }
}

/** A key or field name as it may appear in a message: at most 64 characters of it. */
export function shortName(name: string): string {
  return name.length > 64 ? `${name.slice(0, 64)}…` : name;
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
