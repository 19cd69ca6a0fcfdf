/**
 * Zipkin v2 JSON (`[{"traceId": ..., "id": ..., ...}]`) → ZipkinSpan. As zipkin-go (which the
 * OpenTelemetry Collector uses) does: IDs are 1–32 (trace) / 1–16 (span) hex digits, shorter
 * ones left-padded; case-insensitive. Lenient where it costs nothing: tag values that are
 * numbers or booleans are taken as their string form, numeric strings for times.
 * A span that breaks the format is rejected alone (ZipkinSpanRejection); a body that is not a
 * JSON list fails as a whole (ZipkinDecodeError).
 */
import Long from 'long';
import { describeJsonValue as describe, parseJsonBody } from '../../pdata/json-input.js';
import {
  isAllZero,
  padId,
  ZipkinDecodeError,
  ZipkinSpanError,
  type DecodedZipkinSpans,
  type ZipkinAnnotation,
  type ZipkinEndpoint,
  type ZipkinKind,
  type ZipkinSpan,
} from './zipkin-model.js';

type Obj = Record<string, unknown>;



function hexId(v: unknown, path: string, maxDigits: 16 | 32, size: 8 | 16, required: boolean): Uint8Array | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) throw new ZipkinSpanError(path, 'missing');
    return undefined;
  }
  const what = maxDigits === 32 ? '16 or 32 hex digits' : '16 hex digits';
  if (typeof v !== 'string' || v.length > maxDigits) throw new ZipkinSpanError(path, `expected ${what}, got ${describe(v)}`);
  const text = v.length % 2 === 1 ? `0${v}` : v;
  // Buffer.from(…, 'hex') stops at the first pair that is not hex: a short result = not hex.
  const raw = Buffer.from(text, 'hex');
  if (raw.length * 2 !== text.length) throw new ZipkinSpanError(path, `expected ${what}, got ${describe(v)}`);
  const bytes = padId(raw, size);
  if (isAllZero(bytes)) {
    if (required) throw new ZipkinSpanError(path, 'must not be all zeros');
    return undefined; // an all-zero parent means "no parent"
  }
  return bytes;
}

const TWO_32 = 4294967296;

/**
 * Microseconds → nanoseconds. Integers (the Zipkin format) convert exactly in Long arithmetic.
 * Fractional microseconds, which the OpenTelemetry JS Zipkin exporter sends, are accepted and
 * rounded to the nanosecond (within the precision of the JSON double they came in).
 */
function microsToNanos(v: unknown, path: string): Long | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER) {
    const whole = Math.floor(v);
    // whole × 1000 + fraction in 32-bit halves: exact, and one Long allocated per time.
    const hi = Math.floor(whole / TWO_32);
    const lo = (whole - hi * TWO_32) * 1000 + Math.round((v - whole) * 1000); // < 2^42: exact
    const carry = Math.floor(lo / TWO_32);
    return new Long((lo - carry * TWO_32) | 0, (hi * 1000 + carry) | 0, true);
  }
  if (typeof v === 'string' && /^\d{1,16}$/.test(v)) return Long.fromString(v, true).multiply(1000);
  throw new ZipkinSpanError(path, `expected a non-negative number of microseconds, got ${describe(v)}`);
}

function str(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new ZipkinSpanError(path, `expected a string, got ${describe(v)}`);
  return v;
}

function endpoint(v: unknown, path: string): ZipkinEndpoint | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ZipkinSpanError(path, `expected an object, got ${describe(v)}`);
  const o = v as Obj;
  const e: ZipkinEndpoint = {};
  const serviceName = str(o.serviceName, `${path}.serviceName`);
  if (serviceName) e.serviceName = serviceName;
  const ipv4 = str(o.ipv4, `${path}.ipv4`);
  if (ipv4) e.ipv4 = ipv4;
  const ipv6 = str(o.ipv6, `${path}.ipv6`);
  if (ipv6) e.ipv6 = ipv6;
  if (o.port !== undefined && o.port !== null) {
    if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
      throw new ZipkinSpanError(`${path}.port`, `expected a port number 0-65535, got ${describe(o.port)}`);
    }
    if (o.port > 0) e.port = o.port;
  }
  return e;
}

const KINDS = new Set(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);

function kind(v: unknown, path: string): ZipkinKind {
  if (v === undefined || v === null || v === '') return undefined;
  const k = typeof v === 'string' ? v.toUpperCase() : '';
  if (!KINDS.has(k)) throw new ZipkinSpanError(path, `expected CLIENT, SERVER, PRODUCER or CONSUMER, got ${describe(v)}`);
  return k as ZipkinKind;
}

function annotations(v: unknown, path: string): ZipkinAnnotation[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ZipkinSpanError(path, `expected an array, got ${describe(v)}`);
  return v.map((a, i) => {
    const p = `${path}[${i}]`;
    if (a === null || typeof a !== 'object' || Array.isArray(a)) throw new ZipkinSpanError(p, `expected an object, got ${describe(a)}`);
    const o = a as Obj;
    return { timestampNs: microsToNanos(o.timestamp, `${p}.timestamp`) ?? Long.UZERO, value: str(o.value, `${p}.value`) ?? '' };
  });
}

function tags(v: unknown, path: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ZipkinSpanError(path, `expected an object of strings, got ${describe(v)}`);
  const o = v as Obj;
  // The usual case (every value a string) keeps the parsed object as it is: no copy.
  for (const k in o) {
    const val = o[k];
    if (typeof val === 'string') continue;
    if (typeof val === 'number' || typeof val === 'boolean') o[k] = String(val);
    else if (val === null) delete o[k];
    else throw new ZipkinSpanError(`${path}.${k}`, `expected a string, got ${describe(val)}`);
  }
  return o as Record<string, string>;
}

function span(v: unknown, path: string): ZipkinSpan {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ZipkinSpanError(path, `expected a span object, got ${describe(v)}`);
  const o = v as Obj;
  const s: ZipkinSpan = {
    traceId: hexId(o.traceId, `${path}.traceId`, 32, 16, true)!,
    id: hexId(o.id, `${path}.id`, 16, 8, true)!,
    parentId: hexId(o.parentId, `${path}.parentId`, 16, 8, false),
    kind: kind(o.kind, `${path}.kind`),
    name: str(o.name, `${path}.name`) ?? '',
    timestampNs: microsToNanos(o.timestamp, `${path}.timestamp`),
    durationNs: microsToNanos(o.duration, `${path}.duration`),
    localEndpoint: endpoint(o.localEndpoint, `${path}.localEndpoint`),
    remoteEndpoint: endpoint(o.remoteEndpoint, `${path}.remoteEndpoint`),
    annotations: annotations(o.annotations, `${path}.annotations`),
    tags: tags(o.tags, `${path}.tags`),
    shared: o.shared === true,
  };
  return s;
}

export function decodeZipkinJson(body: Uint8Array | string): DecodedZipkinSpans {
  const parsed = parseJsonBody(body, (m) => new ZipkinDecodeError(m));
  if (!Array.isArray(parsed)) throw new ZipkinDecodeError(`expected a JSON list of Zipkin v2 spans, got ${describe(parsed)}`);
  const out: DecodedZipkinSpans = { spans: [], rejected: [] };
  for (let i = 0; i < parsed.length; i++) {
    try {
      out.spans.push(span(parsed[i], `[${i}]`));
    } catch (e) {
      if (!(e instanceof ZipkinSpanError)) throw e;
      out.rejected.push({ index: i, message: e.message });
    }
  }
  return out;
}
