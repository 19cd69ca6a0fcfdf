/**
 * Zipkin v2 proto3 (`zipkin.proto3.ListOfSpans`, Content-Type application/x-protobuf, as
 * Envoy's Zipkin tracer can send) → ZipkinSpan, through protobufjs over the schema in
 * collector/proto/zipkin/zipkin.proto.
 */
import protobuf from 'protobufjs';
import Long from 'long';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import {
  addRejection,
  emptyDecoded,
  isAllZero,
  padId,
  ZipkinDecodeError,
  ZipkinSpanError,
  type DecodedZipkinSpans,
  type ZipkinEndpoint,
  type ZipkinKind,
  type ZipkinSpan,
} from './zipkin-model.js';

function protoFile(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.resolve(here, '../../proto'), path.resolve(here, '../../../../collector/proto')]) {
    const f = path.join(candidate, 'zipkin/zipkin.proto');
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`zipkin/zipkin.proto not found near ${here}`);
}

const root = protobuf.loadSync(protoFile());
export const ListOfSpans = root.lookupType('zipkin.proto3.ListOfSpans');

interface PbEndpoint {
  serviceName?: string;
  ipv4?: Uint8Array;
  ipv6?: Uint8Array;
  port?: number;
}
interface PbSpan {
  traceId?: Uint8Array;
  parentId?: Uint8Array;
  id?: Uint8Array;
  kind?: number;
  name?: string;
  timestamp?: Long | number;
  duration?: Long | number;
  localEndpoint?: PbEndpoint | null;
  remoteEndpoint?: PbEndpoint | null;
  annotations?: { timestamp?: Long | number; value?: string }[];
  tags?: Record<string, string>;
  shared?: boolean;
}

const KINDS: ZipkinKind[] = [undefined, 'CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER'];

const THOUSAND = Long.fromInt(1000, true);
const TRACE_ID_SIZES = [8, 16];
const SPAN_ID_SIZES = [8];

/** fixed64/uint64 microseconds → nanoseconds (Long arithmetic, exact). */
function microsToNanos(v: Long | number | undefined): Long {
  if (v === undefined || v === null) return Long.UZERO;
  const us = typeof v === 'number' ? Long.fromNumber(v, true) : Long.fromBits(v.low, v.high, true);
  return us.multiply(THOUSAND);
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  return groups.join(':');
}

// A span is checked before anything is built for it, and a bad one is reported, not thrown: an
// exception per span costs microseconds of unwinding, seconds for a million bad spans.

function endpointProblem(e: PbEndpoint | null | undefined, p: 'localEndpoint' | 'remoteEndpoint'): ZipkinSpanError | undefined {
  if (!e) return undefined;
  if (e.ipv4 && e.ipv4.length && e.ipv4.length !== 4) return new ZipkinSpanError(`${p}.ipv4`, `expected 4 bytes, got ${e.ipv4.length}`);
  if (e.ipv6 && e.ipv6.length && e.ipv6.length !== 16) return new ZipkinSpanError(`${p}.ipv6`, `expected 16 bytes, got ${e.ipv6.length}`);
  return undefined;
}

function idProblem(b: Uint8Array | undefined, p: 'traceId' | 'id' | 'parentId', sizes: number[], required: boolean): ZipkinSpanError | undefined {
  if (!b || b.length === 0) return required ? new ZipkinSpanError(p, 'missing') : undefined;
  if (!sizes.includes(b.length)) return new ZipkinSpanError(p, `expected ${sizes.join(' or ')} bytes, got ${b.length}`);
  if (required && isAllZero(b)) return new ZipkinSpanError(p, 'must not be all zeros');
  return undefined;
}

/** Why the span cannot be used, or undefined. */
function spanProblem(s: PbSpan): ZipkinSpanError | undefined {
  const kindIndex = s.kind ?? 0;
  return (
    idProblem(s.traceId, 'traceId', TRACE_ID_SIZES, true) ??
    idProblem(s.id, 'id', SPAN_ID_SIZES, true) ??
    idProblem(s.parentId, 'parentId', SPAN_ID_SIZES, false) ??
    (kindIndex < 0 || kindIndex >= KINDS.length ? new ZipkinSpanError('kind', `unknown kind ${kindIndex}`) : undefined) ??
    endpointProblem(s.localEndpoint, 'localEndpoint') ??
    endpointProblem(s.remoteEndpoint, 'remoteEndpoint')
  );
}

function endpoint(e: PbEndpoint | null | undefined): ZipkinEndpoint | undefined {
  if (!e) return undefined;
  const out: ZipkinEndpoint = {};
  if (e.serviceName) out.serviceName = e.serviceName;
  if (e.ipv4 && e.ipv4.length) out.ipv4 = Array.from(e.ipv4).join('.');
  if (e.ipv6 && e.ipv6.length) out.ipv6 = ipv6Text(e.ipv6);
  if (e.port && e.port > 0 && e.port <= 65535) out.port = e.port;
  return out;
}

/** A checked ID, padded; undefined when absent or (a parent) all zeros. */
function id(b: Uint8Array | undefined, size: number): Uint8Array | undefined {
  if (!b || b.length === 0) return undefined;
  const padded = padId(b, size);
  return isAllZero(padded) ? undefined : padded;
}

/** A span that passed spanProblem. */
function span(s: PbSpan): ZipkinSpan {
  const ts = microsToNanos(s.timestamp);
  return {
    traceId: id(s.traceId, 16)!,
    id: id(s.id, 8)!,
    parentId: id(s.parentId, 8),
    kind: KINDS[s.kind ?? 0],
    name: s.name ?? '',
    timestampNs: ts.isZero() ? undefined : ts,
    durationNs: microsToNanos(s.duration),
    localEndpoint: endpoint(s.localEndpoint),
    remoteEndpoint: endpoint(s.remoteEndpoint),
    annotations: (s.annotations ?? []).map((a) => ({ timestampNs: microsToNanos(a.timestamp), value: a.value ?? '' })),
    // protobufjs gives every span its own map object (or a shared frozen empty one): read-only here.
    tags: s.tags ?? {},
    shared: s.shared === true,
  };
}

export function decodeZipkinProto(body: Uint8Array): DecodedZipkinSpans {
  let list: { spans?: PbSpan[] };
  try {
    list = ListOfSpans.decode(body) as unknown as { spans?: PbSpan[] };
  } catch (e) {
    throw new ZipkinDecodeError(`invalid zipkin.proto3.ListOfSpans protobuf: ${(e as Error).message}`);
  }
  const out = emptyDecoded();
  const spans = list.spans ?? [];
  for (let i = 0; i < spans.length; i++) {
    const problem = spanProblem(spans[i]);
    if (problem) addRejection(out, i, problem);
    else out.spans.push(span(spans[i]));
  }
  return out;
}
