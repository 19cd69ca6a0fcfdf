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
  addRejection,
  emptyDecoded,
  isAllZero,
  padId,
  shortName,
  ZipkinDecodeError,
  ZipkinSpanError,
  type DecodedZipkinSpans,
  type ZipkinAnnotation,
  type ZipkinEndpoint,
  type ZipkinKind,
  type ZipkinSpan,
} from './zipkin-model.js';

type Obj = Record<string, unknown>;

// Field paths are constants: a message is only built for a span that is rejected, so valid spans
// cost no string building. A bad field is reported through `problem`, not by throwing: an
// exception unwinding through the span decoder costs ~7 µs (deoptimisation), seconds for a body
// of a million bad spans.

/** The first problem of the span being decoded, set by the readers below. */
let problem: ZipkinSpanError | undefined;

function fail(path: string, detail: string): undefined {
  problem ??= new ZipkinSpanError(path, detail);
  return undefined;
}

/** The problem so far (a call, so that TypeScript does not narrow it across the readers). */
function pending(): ZipkinSpanError | undefined {
  return problem;
}

function hexId(v: unknown, path: string, maxDigits: 16 | 32, size: 8 | 16, required: boolean): Uint8Array | undefined {
  if (v === undefined || v === null || v === '') return required ? fail(path, 'missing') : undefined;
  const what = maxDigits === 32 ? '16 or 32 hex digits' : '16 hex digits';
  if (typeof v !== 'string' || v.length > maxDigits) return fail(path, `expected ${what}, got ${describe(v)}`);
  const text = v.length % 2 === 1 ? `0${v}` : v;
  // Buffer.from(…, 'hex') stops at the first pair that is not hex: a short result = not hex.
  const raw = Buffer.from(text, 'hex');
  if (raw.length * 2 !== text.length) return fail(path, `expected ${what}, got ${describe(v)}`);
  const bytes = padId(raw, size);
  if (isAllZero(bytes)) return required ? fail(path, 'must not be all zeros') : undefined; // an all-zero parent means "no parent"
  return bytes;
}

const TWO_32 = 4294967296;

/** Decimal digits only, 1 to 16 of them (a linear check: no regular expression on input). */
function isShortDecimal(v: string): boolean {
  if (v.length === 0 || v.length > 16) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

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
  if (typeof v === 'string' && isShortDecimal(v)) return Long.fromString(v, true).multiply(1000);
  return fail(path, `expected a non-negative number of microseconds, got ${describe(v)}`);
}

function str(v: unknown, path: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return fail(path, `expected a string, got ${describe(v)}`);
  return v;
}

function endpoint(v: unknown, path: 'localEndpoint' | 'remoteEndpoint'): ZipkinEndpoint | undefined {
  // An earlier field already failed (the span is rejected): its problem must not get this prefix.
  if (v === undefined || v === null || problem) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) return fail(path, `expected an object, got ${describe(v)}`);
  const o = v as Obj;
  const e: ZipkinEndpoint = {};
  const serviceName = str(o.serviceName, 'serviceName');
  if (serviceName) e.serviceName = serviceName;
  const ipv4 = str(o.ipv4, 'ipv4');
  if (ipv4) e.ipv4 = ipv4;
  const ipv6 = str(o.ipv6, 'ipv6');
  if (ipv6) e.ipv6 = ipv6;
  if (o.port !== undefined && o.port !== null) {
    if (typeof o.port !== 'number' || !Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
      fail('port', `expected a port number 0-65535, got ${describe(o.port)}`);
    } else if (o.port > 0) e.port = o.port;
  }
  const p = pending();
  if (p) {
    p.within(path);
    return undefined;
  }
  return e;
}

const KINDS = new Set(['CLIENT', 'SERVER', 'PRODUCER', 'CONSUMER']);

function kind(v: unknown): ZipkinKind {
  if (v === undefined || v === null || v === '') return undefined;
  const k = typeof v === 'string' && v.length <= 8 ? v.toUpperCase() : '';
  if (!KINDS.has(k)) return fail('kind', `expected CLIENT, SERVER, PRODUCER or CONSUMER, got ${describe(v)}`);
  return k as ZipkinKind;
}

function annotations(v: unknown): ZipkinAnnotation[] {
  if (v === undefined || v === null || problem) return [];
  if (!Array.isArray(v)) return fail('annotations', `expected an array, got ${describe(v)}`) ?? [];
  const out: ZipkinAnnotation[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const a = v[i] as unknown;
    if (a === null || typeof a !== 'object' || Array.isArray(a)) return fail(`annotations[${i}]`, `expected an object, got ${describe(a)}`) ?? [];
    const o = a as Obj;
    const timestampNs = microsToNanos(o.timestamp, 'timestamp');
    const value = str(o.value, 'value');
    const p = pending();
    if (p) {
      p.within(`annotations[${i}]`);
      return [];
    }
    out[i] = { timestampNs: timestampNs ?? Long.UZERO, value: value ?? '' };
  }
  return out;
}

function tags(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return fail('tags', `expected an object of strings, got ${describe(v)}`) ?? {};
  const o = v as Obj;
  // The usual case (every value a string) keeps the parsed object as it is: no copy.
  for (const k in o) {
    const val = o[k];
    if (typeof val === 'string') continue;
    if (typeof val === 'number' || typeof val === 'boolean') o[k] = String(val);
    else if (val === null) delete o[k];
    else return fail(`tags.${shortName(k)}`, `expected a string, got ${describe(val)}`) ?? {};
  }
  return o as Record<string, string>;
}

/** The span, or undefined with `problem` set. */
function span(v: unknown): ZipkinSpan | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return fail('', `expected a span object, got ${describe(v)}`);
  const o = v as Obj;
  // Most bad spans lack their IDs: stop there before reading the rest.
  const traceId = hexId(o.traceId, 'traceId', 32, 16, true);
  const id = hexId(o.id, 'id', 16, 8, true);
  if (pending()) return undefined;
  const s: ZipkinSpan = {
    traceId: traceId!,
    id: id!,
    parentId: hexId(o.parentId, 'parentId', 16, 8, false),
    kind: kind(o.kind),
    name: str(o.name, 'name') ?? '',
    timestampNs: microsToNanos(o.timestamp, 'timestamp'),
    durationNs: microsToNanos(o.duration, 'duration'),
    localEndpoint: endpoint(o.localEndpoint, 'localEndpoint'),
    remoteEndpoint: endpoint(o.remoteEndpoint, 'remoteEndpoint'),
    annotations: annotations(o.annotations),
    tags: tags(o.tags),
    shared: o.shared === true,
  };
  return pending() ? undefined : s;
}

export function decodeZipkinJson(body: Uint8Array | string): DecodedZipkinSpans {
  const parsed = parseJsonBody(body, (m) => new ZipkinDecodeError(m));
  if (!Array.isArray(parsed)) throw new ZipkinDecodeError(`expected a JSON list of Zipkin v2 spans, got ${describe(parsed)}`);
  const out = emptyDecoded();
  for (let i = 0; i < parsed.length; i++) {
    problem = undefined;
    const s = span(parsed[i]);
    if (s) out.spans.push(s);
    else addRejection(out, i, problem!);
  }
  problem = undefined;
  return out;
}
