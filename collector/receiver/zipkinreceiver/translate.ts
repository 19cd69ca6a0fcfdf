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
import { SpanKind, StatusCode, type AnyValue, type KeyValue, type ResourceSpans, type ScopeSpans, type Span, type SpanEvent, type TraceData } from '../../pdata/model.js';
import type { ZipkinSpan } from './zipkin-model.js';

/** Resource semantic-convention namespaces (semconv resource attributes) → resource, as otelcol. */
const RESOURCE_PREFIXES = [
  'service.',
  'telemetry.sdk.',
  'telemetry.auto.',
  'telemetry.distro.',
  'host.',
  'os.',
  'process.',
  'container.',
  'k8s.',
  'cloud.',
  'faas.',
  'device.',
  'webengine.',
  'aws.ecs.',
  'aws.eks.',
  'aws.log.',
  'gcp.cloud_run.',
  'gcp.gce.',
  'heroku.',
  'deployment.',
];
const RESOURCE_KEYS = new Set(['deployment.environment', 'opencensus.starttime', 'opencensus.exporterversion', 'opencensus.resourcetype']);

function isResourceKey(key: string): boolean {
  if (RESOURCE_KEYS.has(key)) return true;
  for (const p of RESOURCE_PREFIXES) if (key.startsWith(p)) return true;
  return false;
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

const INT_RE = /^[+-]?\d+$/;
const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const BOOL_VALUES: Record<string, boolean> = { true: true, TRUE: true, True: true, t: true, T: true, false: false, FALSE: false, False: false, f: false, F: false };
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** A tag value as otelcol's DetermineValueType reads it: int, else double, else bool, else string. */
export function typedTagValue(v: string): AnyValue {
  if (INT_RE.test(v)) {
    const b = BigInt(v);
    if (b >= INT64_MIN && b <= INT64_MAX) {
      const n = Number(b);
      return { intValue: Number.isSafeInteger(n) ? n : Long.fromString(b.toString(), false) };
    }
  }
  if (FLOAT_RE.test(v)) return { doubleValue: Number(v) };
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
    const resourceAttrs: KeyValue[] = [];
    if (serviceName !== '') {
      const snKey = tags[SERVICE_NAME_SOURCE] || 'service.name';
      resourceAttrs.push(strAttr(snKey, serviceName));
    }
    let spanTagKeys: string[] | undefined;
    let scopeName = '';
    let scopeVersion = '';
    for (const key in tags) {
      if (key === SERVICE_NAME_SOURCE) continue;
      if (isResourceKey(key)) {
        // Unlike otelcol, kept even without a local service name (it would drop them).
        const existing = resourceAttrs.find((a) => a.key === key);
        if (existing) existing.value = { stringValue: tags[key] };
        else resourceAttrs.push(strAttr(key, tags[key]));
        continue;
      }
      if (SCOPE_NAME_TAGS.includes(key)) {
        scopeName = tags[key];
        continue;
      }
      if (SCOPE_VERSION_TAGS.includes(key)) {
        scopeVersion = tags[key];
        continue;
      }
      (spanTagKeys ??= []).push(key);
    }
    const groupKey = JSON.stringify(resourceAttrs.map((a) => [a.key, a.value!.stringValue]));
    let group = groups.get(groupKey);
    if (!group) {
      group = { rs: { resource: { attributes: resourceAttrs }, scopeSpans: [] }, scopes: new Map() };
      groups.set(groupKey, group);
      td.resourceSpans.push(group.rs);
    }
    const scopeKey = `${scopeName}\0${scopeVersion}`;
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
    if (z.parentId && !Buffer.from(z.parentId).equals(z.id)) span.parentSpanId = z.parentId;
    const handled = new Set<string>();
    if (z.kind) span.kind = KIND[z.kind];
    else if (tags['span.kind'] !== undefined) {
      handled.add('span.kind');
      if (tags['span.kind'] === 'internal') span.kind = SpanKind.INTERNAL;
    }
    if (tags['w3c.tracestate'] !== undefined) {
      span.traceState = tags['w3c.tracestate'];
      handled.add('w3c.tracestate');
    }
    // status
    const statusCode = tags['otel.status_code'];
    let code: number = StatusCode.UNSET;
    let message = '';
    if (statusCode !== undefined) {
      handled.add('otel.status_code');
      code = STATUS_CODES[statusCode.toUpperCase()] ?? StatusCode.UNSET;
      if (tags['otel.status_description'] !== undefined) {
        message = tags['otel.status_description'];
        handled.add('otel.status_description');
      }
    }
    const err = tags.error;
    if (err !== undefined) {
      code = StatusCode.ERROR;
      if (err === 'true' || err === '') handled.add('error');
      else if (message === '') message = err;
    }
    if (code !== StatusCode.UNSET || message !== '') span.status = message ? { code, message } : { code };

    // attributes
    if (spanTagKeys) {
      for (const key of spanTagKeys) {
        if (handled.has(key)) continue;
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
