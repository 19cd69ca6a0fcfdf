/**
 * Zipkin v2 → OTLP, following the OpenTelemetry Collector's zipkin translator (contrib
 * pkg/translator/zipkin/zipkinv2) so data looks the same whichever collector received it:
 * - `localEndpoint.serviceName` → resource `service.name`; spans are grouped into one
 *   ResourceSpans per local service (and per set of resource-level tags, see below);
 * - tags whose keys are resource semantic conventions (`service.*`, `k8s.*`, `host.*`, ...) move
 *   to the resource; `otel.scope.name`/`otel.library.name` (+ version) become the scope;
 * - `kind` → SpanKind (absent: UNSPECIFIED, or INTERNAL with the OpenTracing `span.kind=internal`);
 * - `otel.status_code` / `otel.status_description` → status; an `error` tag → status ERROR, its
 *   value the status message unless it is just "true" (then the tag is dropped, else kept);
 * - other tags → string attributes (`parse_string_tags: true` turns "200" into an int, "1.5"
 *   into a double, "true" into a bool);
 * - localEndpoint ip/port → `net.host.ip`/`net.host.port`; remoteEndpoint serviceName/ip/port →
 *   `peer.service`/`net.peer.ip`/`net.peer.port`;
 * - timestamp/duration µs → ns (done by the decoders, exactly); a span without a
 *   timestamp starts at 0 and gets `otel.zipkin.absentField.startTime: true`;
 * - annotations → events (name = value; `name|{json attributes}|dropped` as otelcol writes them
 *   is unpacked);
 * - `w3c.tracestate` tag → traceState; a parentId equal to the span's own ID means no parent.
 *
 * Shared spans (`shared: true`, a SERVER span that reuses its caller's CLIENT span ID, which
 * Envoy sends with shared_span_context) cannot keep that ID in OTLP, where span IDs are unique
 * per trace. As Jaeger does for Zipkin data, the server span gets its own ID and the shared
 * (client) span as its parent. The new ID is derived from trace ID + shared ID (SHA-1, first 8
 * bytes), so a retried request yields the same ID; the span carries `zipkin.shared: true`.
 */
import crypto from 'node:crypto';
import Long from 'long';
import { sameBytes, setAttr, SpanKind, StatusCode, type AnyValue, type KeyValue, type ResourceSpans, type ScopeSpans, type Span, type SpanEvent, type TraceData } from '../../pdata/model.js';
import type { ZipkinSpan } from './zipkin-model.js';

/**
 * Tags that are resource semantic conventions (as otelcol's list of semconv resource attribute
 * names) go to the resource. Checked by namespace (the part before the first dot), one Set
 * lookup per tag.
 */
const RESOURCE_NAMESPACES = new Set(['service', 'host', 'os', 'process', 'container', 'k8s', 'cloud', 'faas', 'device', 'webengine', 'deployment', 'heroku']);
const RESOURCE_PREFIXES_IN_SHARED_NAMESPACES = ['telemetry.sdk.', 'telemetry.auto.', 'telemetry.distro.', 'aws.ecs.', 'aws.eks.', 'aws.log.', 'gcp.cloud_run.', 'gcp.gce.'];
const RESOURCE_KEYS = new Set(['opencensus.starttime', 'opencensus.exporterversion', 'opencensus.resourcetype']);

export function isResourceKey(key: string): boolean {
  const dot = key.indexOf('.');
  if (dot <= 0) return false;
  const ns = key.slice(0, dot);
  if (RESOURCE_NAMESPACES.has(ns)) return true;
  if (ns === 'telemetry' || ns === 'aws' || ns === 'gcp') {
    for (const p of RESOURCE_PREFIXES_IN_SHARED_NAMESPACES) if (key.startsWith(p)) return true;
    return false;
  }
  return ns === 'opencensus' && RESOURCE_KEYS.has(key);
}

const SCOPE_NAME_TAGS = ['otel.scope.name', 'otel.library.name'];
const SCOPE_VERSION_TAGS = ['otel.scope.version', 'otel.library.version'];
const SERVICE_NAME_SOURCE = 'otlp.service.name.source'; // otelcol's TagServiceNameSource
const START_TIME_ABSENT = 'otel.zipkin.absentField.startTime';
export const SHARED_ATTRIBUTE = 'zipkin.shared';

const STATUS_CODES: Record<string, number> = {
  STATUS_CODE_UNSET: StatusCode.UNSET,
  STATUS_CODE_OK: StatusCode.OK,
  STATUS_CODE_ERROR: StatusCode.ERROR,
  UNSET: StatusCode.UNSET,
  OK: StatusCode.OK,
  ERROR: StatusCode.ERROR,
};

const KIND: Record<string, number> = {
  CLIENT: SpanKind.CLIENT,
  SERVER: SpanKind.SERVER,
  PRODUCER: SpanKind.PRODUCER,
  CONSUMER: SpanKind.CONSUMER,
};

const BOOL_VALUES: Record<string, boolean> = { true: true, TRUE: true, True: true, t: true, T: true, false: false, FALSE: false, False: false, f: false, F: false };
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
/** An int64 has at most 19 digits: longer digit strings are not parsed as integers at all. */
const MAX_INT64_DIGITS = 19;

const NOT_NUMERIC = 0;
const INTEGER = 1;
const DECIMAL = 2;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Whether `v` is an integer (`[+-]?\d+`), a decimal number (`[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?`)
 * or neither, in one pass. A hand-written scanner rather than regular expressions: the regular
 * expression for decimals backtracks quadratically on a long run of digits followed by another
 * character (an 80 KB tag took ~11 s); this is linear.
 */
export function numericKind(v: string): number {
  const n = v.length;
  let i = 0;
  if (i < n && (v.charCodeAt(i) === 0x2b || v.charCodeAt(i) === 0x2d)) i++; // + -
  const intStart = i;
  while (i < n && isDigit(v.charCodeAt(i))) i++;
  const intDigits = i - intStart;
  if (intDigits > 0 && i === n) return INTEGER;
  let fracDigits = 0;
  if (i < n && v.charCodeAt(i) === 0x2e) {
    i++;
    const fracStart = i;
    while (i < n && isDigit(v.charCodeAt(i))) i++;
    fracDigits = i - fracStart;
  }
  if (intDigits === 0 && fracDigits === 0) return NOT_NUMERIC;
  if (i < n && (v.charCodeAt(i) === 0x65 || v.charCodeAt(i) === 0x45)) {
    i++;
    if (i < n && (v.charCodeAt(i) === 0x2b || v.charCodeAt(i) === 0x2d)) i++;
    const expStart = i;
    while (i < n && isDigit(v.charCodeAt(i))) i++;
    if (i === expStart) return NOT_NUMERIC;
  }
  return i === n ? DECIMAL : NOT_NUMERIC;
}

/**
 * A tag value as otelcol's DetermineValueType reads it: int, else double, else bool, else string.
 * As Go's strconv there, an integer outside int64 is tried as a double, and a double that
 * overflows (±Inf) is not one: it stays a string.
 */
export function typedTagValue(v: string): AnyValue {
  const kind = numericKind(v);
  if (kind === INTEGER) {
    const sign = v.charCodeAt(0) === 0x2b || v.charCodeAt(0) === 0x2d ? 1 : 0;
    if (v.length - sign <= MAX_INT64_DIGITS) {
      const b = BigInt(v);
      if (b >= INT64_MIN && b <= INT64_MAX) {
        const n = Number(b);
        return { intValue: Number.isSafeInteger(n) ? n : Long.fromString(b.toString(), false) };
      }
    }
  }
  if (kind !== NOT_NUMERIC) {
    const d = Number(v);
    if (Number.isFinite(d)) return { doubleValue: d };
  }
  const bool = BOOL_VALUES[v];
  if (bool !== undefined) return { boolValue: bool };
  return { stringValue: v };
}

function sharedServerSpanId(traceId: Uint8Array, sharedId: Uint8Array): Uint8Array {
  const h = crypto.createHash('sha1').update(traceId).update(sharedId).update('meshtrace/zipkin-shared-server').digest();
  const id = new Uint8Array(h.subarray(0, 8));
  if (id.every((b) => b === 0)) id[7] = 1;
  return id;
}

/** Splits `name|{"k":"v"}|2` (otelcol's event encoding) into an event; anything else is a plain name. */
function annotationToEvent(timeNs: Long, value: string): SpanEvent {
  const ev: SpanEvent = { timeUnixNano: timeNs, name: value, attributes: [] };
  const first = value.indexOf('|');
  const last = value.lastIndexOf('|');
  if (first < 0 || last === first) return ev;
  const dropped = value.slice(last + 1);
  if (!/^\d+$/.test(dropped)) return ev;
  try {
    const attrs = JSON.parse(value.slice(first + 1, last)) as unknown;
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) return ev;
    ev.name = value.slice(0, first);
    for (const [k, v] of Object.entries(attrs as Record<string, unknown>)) {
      if (typeof v === 'string') ev.attributes!.push({ key: k, value: { stringValue: v } });
      else if (typeof v === 'number') ev.attributes!.push({ key: k, value: Number.isInteger(v) ? { intValue: v } : { doubleValue: v } });
      else if (typeof v === 'boolean') ev.attributes!.push({ key: k, value: { boolValue: v } });
    }
    const d = Number(dropped);
    if (d) ev.droppedAttributesCount = d;
  } catch {
    /* not otelcol's encoding: keep the annotation value as the event name */
  }
  return ev;
}

interface Group {
  rs: ResourceSpans;
  scopes: Map<string, ScopeSpans>;
}

function strAttr(key: string, value: string): KeyValue {
  return { key, value: { stringValue: value } };
}

/** Translates decoded Zipkin spans into one TraceData. Pure: no I/O, no clock. */
export function zipkinToTraceData(spans: readonly ZipkinSpan[], parseStringTags: boolean): TraceData {
  const groups = new Map<string, Group>();
  const td: TraceData = { resourceSpans: [] };

  for (const z of spans) {
    const tags = z.tags;
    // ---- resource: local service + resource-level tags --------------------------------------
    const serviceName = z.localEndpoint?.serviceName ?? '';
    let resourceKeys: string[] | undefined;
    let spanTagKeys: string[] | undefined;
    let scopeName = '';
    let scopeVersion = '';
    for (const key in tags) {
      if (key === SERVICE_NAME_SOURCE) continue;
      if (isResourceKey(key)) {
        // Unlike otelcol, kept even without a local service name (it would drop them).
        (resourceKeys ??= []).push(key);
      } else if (SCOPE_NAME_TAGS.includes(key)) scopeName = tags[key];
      else if (SCOPE_VERSION_TAGS.includes(key)) scopeVersion = tags[key];
      else (spanTagKeys ??= []).push(key);
    }
    let groupKey = serviceName;
    if (resourceKeys) {
      resourceKeys.sort();
      for (const k of resourceKeys) groupKey += `\0${k}\0${tags[k]}`;
    }
    let group = groups.get(groupKey);
    if (!group) {
      const resourceAttrs: KeyValue[] = [];
      if (serviceName !== '') resourceAttrs.push(strAttr(tags[SERVICE_NAME_SOURCE] || 'service.name', serviceName));
      for (const k of resourceKeys ?? []) setAttr(resourceAttrs, k, { stringValue: tags[k] });
      group = { rs: { resource: { attributes: resourceAttrs }, scopeSpans: [] }, scopes: new Map() };
      groups.set(groupKey, group);
      td.resourceSpans.push(group.rs);
    }
    const scopeKey = scopeVersion ? `${scopeName}\0${scopeVersion}` : scopeName;
    let ss = group.scopes.get(scopeKey);
    if (!ss) {
      ss = { spans: [] };
      if (scopeName) ss.scope = scopeVersion ? { name: scopeName, version: scopeVersion } : { name: scopeName };
      group.scopes.set(scopeKey, ss);
      group.rs.scopeSpans.push(ss);
    }

    // ---- the span ---------------------------------------------------------------------------
    const span: Span = {
      traceId: z.traceId,
      spanId: z.id,
      name: z.name,
      kind: SpanKind.UNSPECIFIED,
      startTimeUnixNano: Long.UZERO,
      endTimeUnixNano: Long.UZERO,
      attributes: [],
    };
    if (z.parentId && !sameBytes(z.parentId, z.id)) span.parentSpanId = z.parentId;
    if (z.kind) span.kind = KIND[z.kind];
    else if (tags['span.kind'] === 'internal') span.kind = SpanKind.INTERNAL;
    if (tags['w3c.tracestate'] !== undefined) span.traceState = tags['w3c.tracestate'];
    // status
    const statusCode = tags['otel.status_code'];
    let code: number = StatusCode.UNSET;
    let message = '';
    if (statusCode !== undefined) {
      code = STATUS_CODES[statusCode.toUpperCase()] ?? StatusCode.UNSET;
      if (tags['otel.status_description'] !== undefined) message = tags['otel.status_description'];
    }
    const err = tags.error;
    const errorIsFlag = err === 'true' || err === '';
    if (err !== undefined) {
      code = StatusCode.ERROR;
      if (!errorIsFlag && message === '') message = err;
    }
    if (code !== StatusCode.UNSET || message !== '') span.status = message ? { code, message } : { code };

    // attributes (tags consumed above are left out)
    if (spanTagKeys) {
      for (const key of spanTagKeys) {
        switch (key) {
          case 'span.kind':
            if (!z.kind) continue;
            break;
          case 'w3c.tracestate':
          case 'otel.status_code':
            continue;
          case 'otel.status_description':
            if (statusCode !== undefined) continue;
            break;
          case 'error':
            if (errorIsFlag) continue;
            break;
        }
        const v = tags[key];
        span.attributes.push({ key, value: parseStringTags ? typedTagValue(v) : { stringValue: v } });
      }
    }
    const le = z.localEndpoint;
    // With both IPv4 and IPv6 given, otelcol's later write (IPv6) wins.
    if (le) {
      const ip = le.ipv6 || le.ipv4;
      if (ip) span.attributes.push(strAttr('net.host.ip', ip));
      if (le.port) span.attributes.push({ key: 'net.host.port', value: { intValue: le.port } });
    }
    const re = z.remoteEndpoint;
    if (re) {
      if (re.serviceName) span.attributes.push(strAttr('peer.service', re.serviceName));
      const ip = re.ipv6 || re.ipv4;
      if (ip) span.attributes.push(strAttr('net.peer.ip', ip));
      if (re.port) span.attributes.push({ key: 'net.peer.port', value: { intValue: re.port } });
    }

    // times
    if (z.timestampNs === undefined || z.timestampNs.isZero()) {
      span.startTimeUnixNano = Long.UZERO;
      span.endTimeUnixNano = z.durationNs ?? Long.UZERO;
      span.attributes.push({ key: START_TIME_ABSENT, value: { boolValue: true } });
    } else {
      span.startTimeUnixNano = z.timestampNs;
      span.endTimeUnixNano = z.durationNs ? z.timestampNs.add(z.durationNs) : z.timestampNs;
    }

    if (z.annotations.length) span.events = z.annotations.map((a) => annotationToEvent(a.timestampNs, a.value));

    if (z.shared && z.kind === 'SERVER') {
      span.parentSpanId = z.id;
      span.spanId = sharedServerSpanId(z.traceId, z.id);
      span.attributes.push({ key: SHARED_ATTRIBUTE, value: { boolValue: true } });
    }
    ss.spans.push(span);
  }
  return td;
}
