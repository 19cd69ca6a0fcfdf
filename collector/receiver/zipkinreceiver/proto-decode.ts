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

function endpoint(e: PbEndpoint | null | undefined, p: string): ZipkinEndpoint | undefined {
  if (!e) return undefined;
  const out: ZipkinEndpoint = {};
  if (e.serviceName) out.serviceName = e.serviceName;
  if (e.ipv4 && e.ipv4.length) {
    if (e.ipv4.length !== 4) throw new ZipkinSpanError(`${p}.ipv4`, `expected 4 bytes, got ${e.ipv4.length}`);
    out.ipv4 = Array.from(e.ipv4).join('.');
  }
  if (e.ipv6 && e.ipv6.length) {
    if (e.ipv6.length !== 16) throw new ZipkinSpanError(`${p}.ipv6`, `expected 16 bytes, got ${e.ipv6.length}`);
    out.ipv6 = ipv6Text(e.ipv6);
  }
  if (e.port && e.port > 0 && e.port <= 65535) out.port = e.port;
  return out;
}

function id(b: Uint8Array | undefined, p: string, sizes: number[], size: number, required: boolean): Uint8Array | undefined {
  if (!b || b.length === 0) {
    if (required) throw new ZipkinSpanError(p, 'missing');
    return undefined;
  }
  if (!sizes.includes(b.length)) throw new ZipkinSpanError(p, `expected ${sizes.join(' or ')} bytes, got ${b.length}`);
  const padded = padId(b, size);
  if (isAllZero(padded)) {
    if (required) throw new ZipkinSpanError(p, 'must not be all zeros');
    return undefined;
  }
  return padded;
}

function span(s: PbSpan, p: string): ZipkinSpan {
  const kindIndex = s.kind ?? 0;
  if (kindIndex < 0 || kindIndex >= KINDS.length) throw new ZipkinSpanError(`${p}.kind`, `unknown kind ${kindIndex}`);
  const ts = microsToNanos(s.timestamp);
  return {
    traceId: id(s.traceId, `${p}.traceId`, [8, 16], 16, true)!,
    id: id(s.id, `${p}.id`, [8], 8, true)!,
    parentId: id(s.parentId, `${p}.parentId`, [8], 8, false),
    kind: KINDS[kindIndex],
    name: s.name ?? '',
    timestampNs: ts.isZero() ? undefined : ts,
    durationNs: microsToNanos(s.duration),
    localEndpoint: endpoint(s.localEndpoint, `${p}.localEndpoint`),
    remoteEndpoint: endpoint(s.remoteEndpoint, `${p}.remoteEndpoint`),
    annotations: (s.annotations ?? []).map((a) => ({ timestampNs: microsToNanos(a.timestamp), value: a.value ?? '' })),
    tags: { ...(s.tags ?? {}) },
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
  const out: DecodedZipkinSpans = { spans: [], rejected: [] };
  const spans = list.spans ?? [];
  for (let i = 0; i < spans.length; i++) {
    try {
      out.spans.push(span(spans[i], `[${i}]`));
    } catch (e) {
      if (!(e instanceof ZipkinSpanError)) throw e;
      out.rejected.push({ index: i, message: e.message });
    }
  }
  return out;
}
