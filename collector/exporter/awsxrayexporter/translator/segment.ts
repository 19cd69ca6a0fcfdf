/**
 * One span + its resource → one X-Ray segment document (pure). Rules follow upstream
 * awsxrayexporter (FACTS.md §4) where they are right; the differences are listed in
 * docs/exporter-xray.md ("Translation rules").
 */
import type { AnyValue, KeyValue, Resource, Span } from '../../../pdata/model.js';
import { SpanKind, StatusCode, anyValueToJs, getStringAttr, idToHex, isAllZero, nanosToNumber } from '../../../pdata/model.js';
import {
  deterministicEpoch,
  embeddedEpoch,
  formatXrayTraceId,
  needsRewrite,
  normalizeTraceId,
  traceIdHex,
  type TraceIdEpochMode,
} from '../traceid/epoch.js';
import type { EpochLookup } from '../traceid/epoch-resolver.js';
import { makeAwsBlock, determineOrigin, type AwsBlock } from './aws.js';
import { makeCause, type Cause } from './cause.js';
import { HTTP_ATTRIBUTE_KEYS, HttpFacts, buildHttpBlock, classifyStatus, takeHttpAttribute, type HttpBlock } from './http.js';
import {
  MAX_ANNOTATION_STRING_LENGTH,
  MAX_HTTP_FIELD_LENGTH,
  sanitizeAnnotationKey,
  sanitizeSegmentName,
  truncate,
} from './names.js';

export type AnnotationValue = string | number | boolean;

export interface SegmentDocument {
  name: string;
  id: string;
  trace_id: string;
  start_time: number;
  end_time: number;
  parent_id?: string;
  type?: 'subsegment';
  namespace?: 'remote' | 'aws';
  origin?: string;
  user?: string;
  fault: boolean;
  error: boolean;
  throttle: boolean;
  cause?: Cause;
  http?: HttpBlock;
  aws?: AwsBlock;
  service?: { version: string };
  annotations?: Record<string, AnnotationValue>;
  metadata?: { default: Record<string, unknown> };
}

/**
 * Annotations that make Istio traces searchable in X-Ray (`annotation.istio_canonical_service =
 * "reviews"`); upstream leaves these tags in unindexed metadata.
 */
export const MESH_ANNOTATIONS: ReadonlyMap<string, string> = new Map([
  ['istio.canonical_service', 'istio_canonical_service'],
  ['istio.namespace', 'istio_namespace'],
  ['meshtrace.direction', 'meshtrace_direction'],
  ['meshtrace.kind', 'meshtrace_kind'],
  ['upstream_cluster', 'upstream_cluster'],
  // Ambient waypoint spans (istio processor): the caller, the waypoint, Istio 1.29's source tags.
  ['meshtrace.source', 'meshtrace_source'],
  ['meshtrace.waypoint', 'meshtrace_waypoint'],
  ['istio.source_workload', 'istio_source_workload'],
  ['istio.source_namespace', 'istio_source_namespace'],
]);

/** X-Ray indexes at most 50 annotations per trace; more per document is pointless. */
export const MAX_ANNOTATIONS = 50;
export const OTEL_TRACE_ID_ANNOTATION = 'otel_trace_id';
/** Upstream's span attribute listing further attribute keys to index. */
const XRAY_ANNOTATIONS_ATTR = 'aws.xray.annotations';

/** Span attributes the translation rules look up, found in the one pass over the attributes. */
const enum Slot {
  PeerService,
  AwsService,
  DbName,
  DbConnectionString,
  RpcService,
  HttpHost,
  NetPeerName,
  ServerAddress,
  UpstreamCluster,
  UpstreamClusterName,
  RpcSystem,
  XrayAnnotations,
  EnduserId,
  HttpStatusText,
}
const SLOT_COUNT = Slot.HttpStatusText + 1;
const SLOT_MASK = 0xff;
const NO_SLOT = SLOT_MASK;
/** Flag: the key is one takeHttpAttribute handles. */
const HTTP_KEY = 0x100;
/** First value seen per slot (null: the attribute had no value), undefined when absent. */
type Found = Array<AnyValue | null | undefined>;

const SLOT_KEYS: ReadonlyArray<readonly [string, Slot]> = [
  ['peer.service', Slot.PeerService],
  ['aws.service', Slot.AwsService],
  ['db.name', Slot.DbName],
  ['db.connection_string', Slot.DbConnectionString],
  ['rpc.service', Slot.RpcService],
  ['http.host', Slot.HttpHost],
  ['net.peer.name', Slot.NetPeerName],
  ['server.address', Slot.ServerAddress],
  ['upstream_cluster', Slot.UpstreamCluster],
  ['upstream_cluster.name', Slot.UpstreamClusterName],
  ['rpc.system', Slot.RpcSystem],
  [XRAY_ANNOTATIONS_ATTR, Slot.XrayAnnotations],
  ['enduser.id', Slot.EnduserId],
  ['http.status_text', Slot.HttpStatusText],
];

/** Attribute key → slot | HTTP_KEY flag, for the keys makeSegment treats specially. */
const KEY_INFO: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (const key of HTTP_ATTRIBUTE_KEYS) m.set(key, HTTP_KEY | NO_SLOT);
  for (const [key, slot] of SLOT_KEYS) m.set(key, ((m.get(key) ?? 0) & HTTP_KEY) | slot);
  return m;
})();

function foundString(f: Found, slot: Slot): string | undefined {
  const v = f[slot];
  return v != null && v.stringValue != null ? v.stringValue : undefined;
}

export interface SegmentOptions {
  mode: TraceIdEpochMode;
  /** Epochs chosen by the resolver for IDs that need rewriting (trace hex → epoch). */
  epochs?: EpochLookup;
  /** Window of the deterministic rule, used when `epochs` lacks a trace. */
  windowSec: number;
  nowSec: number;
  indexedAttributes: ReadonlySet<string>;
  indexAllAttributes: boolean;
  /** Index the Istio/meshtrace tags of MESH_ANNOTATIONS. */
  meshAnnotations: boolean;
}

export type SegmentResult = { ok: true; doc: SegmentDocument } | { ok: false; reason: string; detail: string };

export function makeSegment(span: Span, resource: Resource | null | undefined, opts: SegmentOptions): SegmentResult {
  const traceId = normalizeTraceId(span.traceId);
  if (!traceId) return { ok: false, reason: 'invalid_trace_id', detail: `trace ID ${idToHex(span.traceId) || '(empty)'} is not 8 or 16 non-zero bytes` };
  if (!span.spanId || span.spanId.length !== 8 || isAllZero(span.spanId)) {
    return { ok: false, reason: 'invalid_span_id', detail: `span ID ${idToHex(span.spanId) || '(empty)'} is not 8 non-zero bytes` };
  }
  const attrs = span.attributes ?? [];
  const resAttrs = resource?.attributes ?? [];
  const hasParent = !!span.parentSpanId && span.parentSpanId.length === 8 && !isAllZero(span.parentSpanId);
  const isServer = span.kind === SpanKind.SERVER;
  const isSubsegment = !isServer && hasParent;

  // One pass: HTTP facts are consumed, everything else is kept for annotations/metadata, and the
  // attributes the rules below look up are noted (one hash lookup per attribute instead of a
  // scan of all attributes per rule).
  const http = new HttpFacts();
  const rest: KeyValue[] = [];
  const consumed: KeyValue[] = [];
  const found: Found = new Array(SLOT_COUNT);
  let user: string | undefined;
  let statusText: string | undefined;
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i];
    const info = KEY_INFO.get(kv.key);
    if (info === undefined) {
      rest.push(kv);
      continue;
    }
    const slot = info & SLOT_MASK;
    // First occurrence wins, as getStringAttr.
    if (slot !== NO_SLOT && found[slot] === undefined) found[slot] = kv.value ?? null;
    if ((info & HTTP_KEY) !== 0 && takeHttpAttribute(kv, http)) consumed.push(kv);
    else if (slot === Slot.EnduserId && kv.value?.stringValue != null) user = kv.value.stringValue;
    else rest.push(kv);
    if (slot === Slot.HttpStatusText && kv.value?.stringValue != null) statusText = kv.value.stringValue;
  }
  // net.* attributes alone do not make an HTTP span: give them back to metadata.
  if (!http.hasHttp) for (const kv of consumed) rest.push(kv);

  const statusIsError = span.status?.code === StatusCode.ERROR;
  const { error, fault, throttle } = classifyStatus(http.status, statusIsError);
  const startNs = nanosToNumber(span.startTimeUnixNano);
  let endNs = nanosToNumber(span.endTimeUnixNano);
  const endMissing = endNs === 0 || endNs < startNs;
  if (endMissing) endNs = startNs;

  const doc: SegmentDocument = {
    name: segmentName(span, found, resAttrs, isServer),
    id: idToHex(span.spanId),
    trace_id: xrayTraceId(traceId, span, opts),
    start_time: nanosToSeconds(startNs),
    end_time: nanosToSeconds(endNs),
    fault,
    error,
    throttle,
  };
  if (hasParent) doc.parent_id = idToHex(span.parentSpanId);
  if (isSubsegment) doc.type = 'subsegment';
  const namespace = segmentNamespace(span, found);
  if (namespace) doc.namespace = namespace;
  const origin = determineOrigin(resAttrs);
  if (origin) doc.origin = origin;
  if (user !== undefined) doc.user = truncate(user, MAX_HTTP_FIELD_LENGTH);
  // Exception events make a cause even on a span not marked failed (as upstream).
  const cause = makeCause(span, statusText);
  if (cause) doc.cause = cause;
  const httpBlock = buildHttpBlock(http, isServer);
  if (httpBlock) doc.http = httpBlock;
  const aws = makeAwsBlock(resAttrs, attrs, !isSubsegment);
  if (aws) doc.aws = aws;
  if (!isSubsegment) {
    const version = getStringAttr(resAttrs, 'service.version');
    if (version) doc.service = { version };
  }

  const annotations: Record<string, AnnotationValue> = {};
  annotations[OTEL_TRACE_ID_ANNOTATION] = idToHex(span.traceId);
  const metadata: Record<string, unknown> = {};
  fillAttributes(rest, found[Slot.XrayAnnotations] ?? undefined, resAttrs, !isSubsegment, opts, annotations, metadata);
  if (endMissing) metadata['meshtrace.end_time_missing'] = true;
  addEventsAndLinks(span, metadata);
  doc.annotations = annotations;
  if (Object.keys(metadata).length > 0) doc.metadata = { default: metadata };
  return { ok: true, doc };
}

/**
 * Float seconds with microsecond precision (X-Ray's): rounding to whole microseconds first means
 * 1700000000.25 s prints as such instead of 1700000000.2499998 (nanoseconds exceed a double's
 * integer precision).
 */
export function nanosToSeconds(ns: number): number {
  return Math.round(ns / 1000) / 1e6;
}

export function xrayTraceId(traceId: Uint8Array, span: Span, opts: SegmentOptions): string {
  if (!needsRewrite(opts.mode, traceId, opts.nowSec)) return formatXrayTraceId(embeddedEpoch(traceId), traceId);
  const epoch =
    opts.epochs?.get(traceIdHex(traceId)) ??
    deterministicEpoch(traceId, nanosToNumber(span.startTimeUnixNano) / 1e9, opts.nowSec, opts.windowSec);
  return formatXrayTraceId(epoch, traceId);
}

/**
 * X-Ray names are services, not operations. Upstream's order: peer.service, aws.service,
 * db.name[@host], the resource's service.name (SERVER spans only), rpc.service, http.host,
 * net.peer.name, then the span name. Added: server.address (current semconv) after net.peer.name,
 * and for a CLIENT span of an Istio sidecar the destination host from its outbound cluster name
 * (`outbound|9080||reviews.default.svc.cluster.local`), so the service map shows `reviews...`
 * instead of Envoy's span name. Every source is sanitised.
 */
function segmentName(span: Span, f: Found, res: readonly KeyValue[], isServer: boolean): string {
  let name =
    foundString(f, Slot.PeerService) ??
    foundString(f, Slot.AwsService) ??
    dbName(f) ??
    (isServer ? getStringAttr(res, 'service.name') : undefined) ??
    foundString(f, Slot.RpcService) ??
    foundString(f, Slot.HttpHost) ??
    foundString(f, Slot.NetPeerName) ??
    (span.kind === SpanKind.CLIENT ? foundString(f, Slot.ServerAddress) ?? outboundHost(foundString(f, Slot.UpstreamCluster) ?? foundString(f, Slot.UpstreamClusterName)) : undefined);
  if (name === undefined || name === '') name = span.name ?? '';
  return sanitizeSegmentName(name);
}

function dbName(f: Found): string | undefined {
  const db = foundString(f, Slot.DbName);
  if (db === undefined) return undefined;
  const conn = foundString(f, Slot.DbConnectionString);
  if (conn) {
    try {
      const host = new URL(conn).hostname;
      if (host) return `${db}@${host}`;
    } catch {
      /* not a URL: name without host, as upstream */
    }
  }
  return db;
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → `reviews.default.svc.cluster.local`. */
export function istioOutboundHost(attrs: readonly KeyValue[]): string | undefined {
  return outboundHost(getStringAttr(attrs, 'upstream_cluster') ?? getStringAttr(attrs, 'upstream_cluster.name'));
}

function outboundHost(cluster: string | undefined): string | undefined {
  if (!cluster || !cluster.startsWith('outbound|')) return undefined;
  const parts = cluster.split('|');
  return parts.length === 4 && parts[3] !== '' ? parts[3] : undefined;
}

function segmentNamespace(span: Span, f: Found): 'aws' | 'remote' | undefined {
  if (foundString(f, Slot.RpcSystem) === 'aws-api' || (foundString(f, Slot.AwsService) && !foundString(f, Slot.PeerService))) {
    return 'aws';
  }
  return span.kind === SpanKind.CLIENT ? 'remote' : undefined;
}

/** A value X-Ray can index: strings (≤ 1000 chars), finite numbers, booleans. */
export function annotationValue(v: AnyValue | null | undefined): AnnotationValue | undefined {
  if (v == null) return undefined;
  if (v.stringValue != null) return truncate(v.stringValue, MAX_ANNOTATION_STRING_LENGTH);
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) {
    const n = typeof v.intValue === 'number' ? v.intValue : v.intValue.toNumber();
    return Number.isSafeInteger(n) ? n : typeof v.intValue === 'number' ? undefined : v.intValue.toString();
  }
  if (v.doubleValue != null) return Number.isFinite(v.doubleValue) ? v.doubleValue : undefined;
  return undefined;
}

/** JSON-safe metadata value: non-finite doubles become strings (JSON would turn them into null). */
function metadataValue(v: AnyValue | null | undefined): unknown {
  if (v != null && v.doubleValue != null && !Number.isFinite(v.doubleValue)) return String(v.doubleValue);
  if (v != null && v.arrayValue != null) return (v.arrayValue.values ?? []).map(metadataValue);
  if (v != null && v.kvlistValue != null) {
    const o: Record<string, unknown> = {};
    for (const kv of v.kvlistValue.values ?? []) o[kv.key] = metadataValue(kv.value);
    return o;
  }
  const js = anyValueToJs(v);
  return js === undefined ? null : js;
}

function fillAttributes(
  rest: readonly KeyValue[],
  listed: AnyValue | undefined,
  resAttrs: readonly KeyValue[],
  storeResource: boolean,
  opts: SegmentOptions,
  annotations: Record<string, AnnotationValue>,
  metadata: Record<string, unknown>,
): void {
  let extraIndexed: Set<string> | undefined;
  if (listed?.arrayValue) {
    extraIndexed = new Set();
    for (const v of listed.arrayValue.values ?? []) if (v.stringValue != null) extraIndexed.add(v.stringValue);
  }
  let count = 1; // otel_trace_id
  const place = (key: string, value: AnyValue | null | undefined, indexed: boolean, annotationKey?: string): void => {
    if (indexed && count < MAX_ANNOTATIONS) {
      const av = annotationValue(value);
      const k = annotationKey ?? sanitizeAnnotationKey(key);
      // A sanitised key can collide (`a.b` and `a_b`): the first keeps it, the other stays in metadata.
      if (av !== undefined && !(k in annotations)) {
        annotations[k] = av;
        count++;
        return;
      }
    }
    metadata[key] = metadataValue(value);
  };
  if (storeResource) {
    for (const kv of resAttrs) {
      const key = 'otel.resource.' + kv.key;
      place(key, kv.value, opts.indexAllAttributes || opts.indexedAttributes.has(key));
    }
  }
  for (const kv of rest) {
    if (kv.key === XRAY_ANNOTATIONS_ATTR) continue;
    const mesh = opts.meshAnnotations ? MESH_ANNOTATIONS.get(kv.key) : undefined;
    const indexed = opts.indexAllAttributes || mesh !== undefined || opts.indexedAttributes.has(kv.key) || (extraIndexed?.has(kv.key) ?? false);
    place(kv.key, kv.value, indexed, mesh);
  }
}

/** Upstream drops non-exception events and links; we keep them, compactly, in metadata. */
function addEventsAndLinks(span: Span, metadata: Record<string, unknown>): void {
  if (span.events && span.events.length > 0) {
    const events: unknown[] = [];
    for (const ev of span.events) {
      if (ev.name === 'exception') continue;
      const e: Record<string, unknown> = { name: ev.name, time: nanosToSeconds(nanosToNumber(ev.timeUnixNano)) };
      if (ev.attributes && ev.attributes.length > 0) {
        const a: Record<string, unknown> = {};
        for (const kv of ev.attributes) a[kv.key] = metadataValue(kv.value);
        e.attributes = a;
      }
      events.push(e);
    }
    if (events.length > 0) metadata['otel.events'] = events;
  }
  if (span.links && span.links.length > 0) {
    metadata['otel.links'] = span.links.map((l) => ({ trace_id: idToHex(l.traceId), span_id: idToHex(l.spanId) }));
  }
  if (span.droppedAttributesCount) metadata['otel.dropped_attributes_count'] = span.droppedAttributesCount;
}
