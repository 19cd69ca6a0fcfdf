/**
 * One span + its resource → its X-Ray segment documents (pure): one document, or two for a local
 * root that calls out (a segment for the calling service and a remote subsegment for the call,
 * as upstream does for `aws.span.kind: LOCAL_ROOT`). Rules follow upstream awsxrayexporter
 * (FACTS.md §4) where they are right; the differences are listed in docs/exporter-xray.md
 * ("Translation rules").
 */
import { ClusterMemo } from '../../../pdata/cluster-memo.js';
import type { AnyValue, KeyValue, Resource, Span } from '../../../pdata/model.js';
import { SpanKind, StatusCode, idToHex, isAllZero, nanosToNumber } from '../../../pdata/model.js';
import { deterministicEpoch, needsRewrite, normalizeTraceId, type TraceIdEpochMode } from '../traceid/epoch.js';
import type { EpochLookup } from '../traceid/epoch-resolver.js';
import { AWS_ATTRIBUTE_KEYS, AwsCallFacts, makeAwsBlock, readResource, takeAwsAttribute, usesRpcMethod, type AwsBlock, type ResourceFacts } from './aws.js';
import { makeCause, type Cause } from './cause.js';
import { HTTP_ATTRIBUTE_KEYS, HttpFacts, Take, buildHttpBlock, classifyStatus, takeHttpAttribute, type HttpBlock } from './http.js';
import { makeLinks, type SegmentLink } from './links.js';
import { MAX_HTTP_FIELD_LENGTH, sanitizeAnnotationKey, sanitizeSegmentName, truncate } from './names.js';
import { SQL_ATTRIBUTE_KEYS, SqlFacts, buildSqlBlock, takeSqlAttribute, type SqlBlock } from './sql.js';
import { stackLanguage } from './stacktrace.js';
import { annotationValue, metadataValue, nanosToSeconds, setEntry, type AnnotationValue } from './values.js';


/**
 * A segment document. Fields are declared in the order makeSegments sets them, which is the order
 * DocumentWriter.writeSegment writes them in (JSON.stringify's order for such an object).
 */
export interface SegmentDocument {
  name: string;
  id: string;
  trace_id: string;
  start_time: number;
  end_time: number;
  fault: boolean;
  error: boolean;
  throttle: boolean;
  parent_id?: string;
  type?: 'subsegment';
  namespace?: 'remote' | 'aws';
  origin?: string;
  user?: string;
  cause?: Cause;
  http?: HttpBlock;
  sql?: SqlBlock;
  aws?: AwsBlock;
  service?: { version: string };
  links?: SegmentLink[];
  annotations?: Record<string, AnnotationValue>;
  /** Namespaces (`default`, or those of `aws.xray.metadata.<namespace>` attributes) → entries. */
  metadata?: Record<string, Record<string, unknown>>;
}

/**
 * Annotations that make Istio traces searchable in X-Ray (`annotation.istio_canonical_service =
 * "reviews"`); upstream leaves these tags in unindexed metadata. Attribute key → annotation key;
 * add a line here to index another mesh tag.
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
/** Upstream's span attributes whose JSON string value is a whole metadata namespace. */
const XRAY_METADATA_PREFIX = 'aws.xray.metadata.';
const DEFAULT_NAMESPACE = 'default';
const RESOURCE_PREFIX = 'otel.resource.';
/** X-Ray-specific attributes (Application Signals, opentelemetry-java-contrib #802). */
const LOCAL_ROOT = 'LOCAL_ROOT';
/** Attributes of the call that the caller's segment of a split local root does not repeat (upstream). */
const REMOTE_ONLY = new Set(['aws.remote.service', 'aws.remote.operation', 'remoteTarget', 'K8s.RemoteNamespace']);

/** Span attributes the translation rules look up, found in the one pass over the attributes. */
const enum Slot {
  PeerService,
  AwsService,
  DbName,
  DbConnectionString,
  RpcService,
  RpcSystem,
  HttpHost,
  NetPeerName,
  ServerAddress,
  UpstreamCluster,
  UpstreamClusterName,
  XrayAnnotations,
  AwsLocalService,
  AwsRemoteService,
  AwsSpanKind,
  MeshDirection,
}
const SLOT_COUNT = Slot.MeshDirection + 1;
const SLOT_MASK = 0xff;
const NO_SLOT = SLOT_MASK;
/** Flags: which fact collector takes the key. */
const HTTP_KEY = 0x100;
const AWS_KEY = 0x200;
const SQL_KEY = 0x400;
const USER_KEY = 0x800;
const STATUS_TEXT_KEY = 0x1000;
/** Bits 16 and up: 1 + the key's index in MESH_ANNOTATION_KEYS (0: not a mesh annotation). */
const MESH_SHIFT = 16;
/** Annotation keys of MESH_ANNOTATIONS, by (info >>> MESH_SHIFT) - 1. */
const MESH_ANNOTATION_KEYS: readonly string[] = [...MESH_ANNOTATIONS.values()];
/** First value seen per slot (null: the attribute had no value), undefined when absent. */
type Found = Array<AnyValue | null | undefined>;

const SLOT_KEYS: ReadonlyArray<readonly [string, Slot]> = [
  ['peer.service', Slot.PeerService],
  ['aws.service', Slot.AwsService],
  ['db.name', Slot.DbName],
  ['db.connection_string', Slot.DbConnectionString],
  ['rpc.service', Slot.RpcService],
  ['rpc.system', Slot.RpcSystem],
  ['http.host', Slot.HttpHost],
  ['net.peer.name', Slot.NetPeerName],
  ['server.address', Slot.ServerAddress],
  ['upstream_cluster', Slot.UpstreamCluster],
  ['upstream_cluster.name', Slot.UpstreamClusterName],
  [XRAY_ANNOTATIONS_ATTR, Slot.XrayAnnotations],
  ['aws.local.service', Slot.AwsLocalService],
  ['aws.remote.service', Slot.AwsRemoteService],
  ['aws.span.kind', Slot.AwsSpanKind],
  ['meshtrace.direction', Slot.MeshDirection],
];

/** Attribute key → slot | flags, for the keys makeSegments treats specially. */
const KEY_INFO: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  const flag = (keys: readonly string[], f: number) => {
    for (const k of keys) m.set(k, (m.get(k) ?? NO_SLOT) | f);
  };
  flag(HTTP_ATTRIBUTE_KEYS, HTTP_KEY);
  flag(AWS_ATTRIBUTE_KEYS, AWS_KEY);
  flag(SQL_ATTRIBUTE_KEYS, SQL_KEY);
  flag(['enduser.id'], USER_KEY);
  flag(['http.status_text'], STATUS_TEXT_KEY);
  for (const [key, slot] of SLOT_KEYS) m.set(key, ((m.get(key) ?? NO_SLOT) & ~SLOT_MASK) | slot);
  // The mesh annotation a kept attribute becomes: found in the same lookup as everything else.
  let i = 0;
  for (const key of MESH_ANNOTATIONS.keys()) m.set(key, (m.get(key) ?? NO_SLOT) | (++i << MESH_SHIFT));
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

export type SegmentResult = { ok: true; docs: SegmentDocument[] } | { ok: false; reason: string; detail: string };

/** What the resource contributes to every segment of its spans, prepared once per resource. */
export interface PreparedResource {
  facts: ResourceFacts;
  /** `otel.resource.<key>` entries chosen as annotations: [sanitised key, value, metadata key]. */
  annotations: Array<[string, AnnotationValue, string]>;
  metadata: Array<[string, unknown]>;
}

export function prepareResource(resource: Resource | null | undefined, opts: SegmentOptions): PreparedResource {
  const attrs = resource?.attributes ?? [];
  const prepared: PreparedResource = { facts: readResource(attrs), annotations: [], metadata: [] };
  for (const kv of attrs) {
    const key = RESOURCE_PREFIX + kv.key;
    const av = opts.indexAllAttributes || opts.indexedAttributes.has(key) ? annotationValue(kv.value) : undefined;
    if (av !== undefined) prepared.annotations.push([sanitizeAnnotationKey(key), av, key]);
    else prepared.metadata.push([key, metadataValue(kv.value)]);
  }
  return prepared;
}

/** What the one pass over a span's attributes found. */
class SpanScan {
  readonly http = new HttpFacts();
  /** Only spans with such attributes get these (most spans have none). */
  aws: AwsCallFacts | undefined;
  sql: SqlFacts | undefined;
  readonly found: Found = new Array(SLOT_COUNT);
  /** Attributes for annotations/metadata. */
  readonly rest: KeyValue[] = [];
  /** Of each `rest` entry: 1 + its index in MESH_ANNOTATION_KEYS, 0 when it is no mesh annotation. */
  readonly restMesh: number[] = [];
  /** Attributes represented elsewhere in the document (still annotated when listed in indexed_attributes, as upstream). */
  consumed: KeyValue[] | undefined;
  user?: string;
  statusText?: KeyValue;
}

function scanAttributes(attrs: readonly KeyValue[]): SpanScan {
  const scan = new SpanScan();
  for (let i = 0; i < attrs.length; i++) {
    const kv = attrs[i]!;
    const info = KEY_INFO.get(kv.key);
    if (info === undefined) {
      scan.rest.push(kv);
      scan.restMesh.push(0);
      continue;
    }
    const slot = info & SLOT_MASK;
    // First occurrence wins, as getStringAttr.
    if (slot !== NO_SLOT && scan.found[slot] === undefined) scan.found[slot] = kv.value ?? null;
    let take = Take.Keep;
    if ((info & HTTP_KEY) !== 0) take = takeHttpAttribute(kv, scan.http);
    else if ((info & AWS_KEY) !== 0) take = takeAwsAttribute(kv, (scan.aws ??= new AwsCallFacts()));
    else if ((info & SQL_KEY) !== 0) take = takeSqlAttribute(kv, (scan.sql ??= new SqlFacts()));
    else if ((info & USER_KEY) !== 0 && kv.value?.stringValue != null && scan.user === undefined) {
      scan.user = kv.value.stringValue;
      take = Take.Consume;
    } else if ((info & STATUS_TEXT_KEY) !== 0 && kv.value?.stringValue != null) {
      scan.statusText ??= kv;
      take = Take.Part;
    }
    if (take === Take.Keep) {
      scan.rest.push(kv);
      scan.restMesh.push(info >>> MESH_SHIFT);
    } else if (take === Take.Consume) (scan.consumed ??= []).push(kv);
  }
  return scan;
}

/** The three documents a span can give: itself, or for a split local root the call and the caller. */
const enum Role {
  Span,
  Call,
  Caller,
}

export function makeSegments(span: Span, resource: Resource | null | undefined, opts: SegmentOptions, prepared?: PreparedResource): SegmentResult {
  const traceId = normalizeTraceId(span.traceId);
  if (!traceId) return { ok: false, reason: 'invalid_trace_id', detail: `trace ID ${idToHex(span.traceId) || '(empty)'} is not 8 or 16 non-zero bytes` };
  if (!span.spanId || span.spanId.length !== 8 || isAllZero(span.spanId)) {
    return { ok: false, reason: 'invalid_span_id', detail: `span ID ${idToHex(span.spanId) || '(empty)'} is not 8 non-zero bytes` };
  }
  const res = prepared ?? prepareResource(resource, opts);
  const scan = scanAttributes(span.attributes ?? []);
  const f = scan.found;
  const kind = span.kind;
  const hasParent = !!span.parentSpanId && span.parentSpanId.length === 8 && !isAllZero(span.parentSpanId);
  const localRootAttr = foundString(f, Slot.AwsSpanKind) === LOCAL_ROOT;
  const callsOut = kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER || kind === SpanKind.CONSUMER;
  // Upstream splits spans marked LOCAL_ROOT; a span without a parent is a local root by definition
  // (except an inbound sidecar span Envoy's Zipkin tracer mislabelled CLIENT).
  const split = localRootAttr ? kind !== SpanKind.SERVER && kind !== SpanKind.INTERNAL : !hasParent && callsOut && !isInboundSidecar(f);
  const awsApi = foundString(f, Slot.RpcSystem) === 'aws-api';
  const awsSdk = awsApi || foundString(f, Slot.AwsService) !== undefined;

  // Parts shared by the documents of the span.
  const unused: KeyValue[] = [];
  const isServerLike = kind === SpanKind.SERVER;
  const http = buildHttpBlock(scan.http, isServerLike, unused);
  const sql = scan.sql ? buildSqlBlock(scan.sql, span.name ?? '', unused) : undefined;
  if (scan.aws && usesRpcMethod(scan.aws, awsSdk)) (scan.consumed ??= []).push(scan.aws.rpcMethod!);
  else if (scan.aws?.rpcMethod) unused.push(scan.aws.rpcMethod);
  const statusIsError = span.status?.code === StatusCode.ERROR;
  const { error, fault, throttle } = classifyStatus(scan.http.status, statusIsError);
  // Exception events make a cause even on a span not marked failed (as upstream).
  const cause = makeCause(span, {
    language: stackLanguage(res.facts.sdkLanguage),
    awsSdk: awsApi,
    statusText: scan.statusText?.value?.stringValue ?? undefined,
  });
  // http.status_text is consumed when it became the cause's message (as upstream).
  if (scan.statusText && !(cause && cause.exceptions.length === 1 && cause.exceptions[0]!.message === scan.statusText.value?.stringValue && !span.status?.message)) {
    unused.push(scan.statusText);
  }
  for (const kv of unused) {
    scan.rest.push(kv);
    scan.restMesh.push((KEY_INFO.get(kv.key) ?? 0) >>> MESH_SHIFT);
  }
  if (http && http.response?.content_length === undefined) {
    const size = receivedMessageSize(span);
    if (size !== undefined) (http.response ??= {}).content_length = size;
  }

  const startNs = nanosToNumber(span.startTimeUnixNano);
  let endNs = nanosToNumber(span.endTimeUnixNano);
  const endMissing = endNs === 0 || endNs < startNs;
  if (endMissing) endNs = startNs;
  const startSec = startNs / 1e9;
  const traceHex = idToHex(traceId);
  // Hex-encoded once per span: a split span's two documents both name the span and its caller.
  const spanHex = idToHex(span.spanId);
  const callerId = split ? callerSegmentId(span.spanId, spanHex) : ''; // only split spans have Call/Caller documents
  const base = {
    traceId: xrayTraceIdAt(traceId, traceHex, startSec, opts),
    otelTraceId: otelTraceIdHex(traceHex),
    start: nanosToSeconds(startNs),
    end: nanosToSeconds(endNs),
    endMissing,
    error,
    fault,
    throttle,
    cause,
    links: span.links && span.links.length > 0 ? makeLinks(span, (id) => xrayTraceIdAt(id, idToHex(id), startSec, opts)) : undefined,
  };

  const doc = (role: Role): SegmentDocument => {
    const isSubsegment = role === Role.Call || (role === Role.Span && kind !== SpanKind.SERVER && hasParent && !localRootAttr);
    const d: SegmentDocument = {
      name: segmentName(span, f, res.facts, role),
      id: role === Role.Caller ? callerId : spanHex,
      trace_id: base.traceId,
      start_time: base.start,
      end_time: base.end,
      fault: base.fault,
      error: base.error,
      throttle: base.throttle,
    };
    if (role === Role.Call) d.parent_id = callerId;
    else if (hasParent) d.parent_id = idToHex(span.parentSpanId);
    if (isSubsegment) d.type = 'subsegment';
    let namespace: SegmentDocument['namespace'];
    if (role === Role.Call) namespace = segmentNamespace(kind, f, awsSdk, true) ?? 'remote';
    else if (role === Role.Span && !localRootAttr) namespace = segmentNamespace(kind, f, awsSdk, isSubsegment);
    if (namespace) d.namespace = namespace;
    if (!isSubsegment) {
      if (res.facts.origin) d.origin = res.facts.origin;
      if (scan.user !== undefined) d.user = truncate(scan.user, MAX_HTTP_FIELD_LENGTH);
    }
    if (base.cause) d.cause = base.cause;
    if (role !== Role.Caller) {
      if (http) d.http = http;
      if (sql) d.sql = sql;
    }
    const aws = makeAwsBlock(isSubsegment ? undefined : res.facts.aws, role === Role.Caller ? undefined : scan.aws, awsSdk);
    if (aws) d.aws = aws;
    if (!isSubsegment && res.facts.serviceVersion) d.service = { version: res.facts.serviceVersion };
    // Links stay with the call, except that a consumer's links (to the producers) belong to the caller (upstream).
    const linksHere = role === Role.Span || (role === Role.Call) === (kind !== SpanKind.CONSUMER);
    if (linksHere && base.links?.links) d.links = base.links.links;
    fillAttributes(d, scan, res, role, !isSubsegment, base.otelTraceId, opts);
    if (role !== Role.Caller) {
      if (base.links?.invalid) defaultMetadata(d)['otel.invalid_links'] = base.links.invalid;
      addEvents(span, d, awsApi);
      if (span.droppedAttributesCount) defaultMetadata(d)['otel.dropped_attributes_count'] = span.droppedAttributesCount;
    }
    if (base.endMissing) defaultMetadata(d)['meshtrace.end_time_missing'] = true;
    return d;
  };
  // Upstream's order: the call's subsegment first, then the caller's segment.
  return { ok: true, docs: split ? [doc(Role.Call), doc(Role.Caller)] : [doc(Role.Span)] };
}

/** One span's first (or only) document; for tests and callers that know the span is not split. */
export function makeSegment(span: Span, resource: Resource | null | undefined, opts: SegmentOptions): { ok: true; doc: SegmentDocument } | { ok: false; reason: string; detail: string } {
  const r = makeSegments(span, resource, opts);
  return r.ok ? { ok: true, doc: r.docs[0]! } : r;
}

/** An Envoy sidecar's inbound span (Envoy's Zipkin tracer marked some CLIENT): never split. */
function isInboundSidecar(f: Found): boolean {
  if (foundString(f, Slot.MeshDirection) === 'inbound') return true;
  const cluster = foundString(f, Slot.UpstreamCluster) ?? foundString(f, Slot.UpstreamClusterName);
  return cluster !== undefined && cluster.startsWith('inbound');
}

/**
 * The ID of the caller's segment of a split local root: derived from the span ID (upstream draws
 * a random one) so that a retried span gives the same documents; never equal to the span ID.
 * `spanHex` is the span ID's hex, when the caller has it already.
 */
export function callerSegmentId(spanId: Uint8Array, spanHex = idToHex(spanId)): string {
  // Two FNV-1a hashes of the span ID, one salted before and one after it (no allocation: hot path).
  let a = Math.imul(0x811c9dc5 ^ 0x5e, 0x01000193);
  let b = 0x811c9dc5;
  for (let i = 0; i < spanId.length; i++) {
    a = Math.imul(a ^ spanId[i]!, 0x01000193);
    b = Math.imul(b ^ spanId[i]!, 0x01000193);
  }
  b = Math.imul(b ^ 0x5e, 0x01000193);
  if (a === 0 && b === 0) b = 1;
  const id = (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
  return id === spanHex ? id.slice(0, 15) + (id[15] === '0' ? '1' : '0') : id;
}

/** `1-<epoch>-<last 24 hex>` of a 16-byte trace ID whose hex is `hex`. */
function xrayTraceIdAt(traceId: Uint8Array, hex: string, startSec: number, opts: SegmentOptions): string {
  if (!needsRewrite(opts.mode, traceId, opts.nowSec)) return '1-' + hex.slice(0, 8) + '-' + hex.slice(8);
  const epoch = opts.epochs?.get(hex) ?? deterministicEpoch(traceId, startSec, opts.nowSec, opts.windowSec);
  return '1-' + (epoch >>> 0).toString(16).padStart(8, '0') + '-' + hex.slice(8);
}

/**
 * The trace ID as the user saw it: a 64-bit Zipkin/B3 ID (padded to 16 bytes with leading zeros
 * on the way in) as its 16 hex digits, so searching X-Ray for the `x-b3-traceid` of Envoy's logs
 * finds it; any other ID as 32 hex digits. `hex` is the 16-byte ID's hex.
 */
export function otelTraceIdHex(hex: string): string {
  return hex.startsWith('0000000000000000') ? hex.slice(16) : hex;
}

/**
 * X-Ray names are services, not operations. Upstream's order: the X-Ray attributes
 * (`aws.local.service` for SERVER and LOCAL_ROOT INTERNAL spans, `aws.remote.service` for
 * CLIENT/PRODUCER/CONSUMER), peer.service, aws.service, db.name[@host], the resource's
 * service.name (SERVER spans only), rpc.service, http.host, net.peer.name, then the span name.
 * Added: for CLIENT spans server.address (current semconv) and the destination host of an Istio
 * sidecar's outbound cluster (`outbound|9080||reviews.default.svc.cluster.local`), so the service
 * map shows `reviews...` instead of Envoy's span name; the caller's segment of a split local root
 * is named after the calling service (`aws.local.service`, else the resource's service.name).
 * Every source is sanitised.
 */
function segmentName(span: Span, f: Found, res: ResourceFacts, role: Role): string {
  const kind = span.kind;
  let name: string | undefined;
  if (role === Role.Caller) name = foundString(f, Slot.AwsLocalService) ?? res.serviceName;
  else if (kind === SpanKind.SERVER || (kind === SpanKind.INTERNAL && foundString(f, Slot.AwsSpanKind) === LOCAL_ROOT)) name = foundString(f, Slot.AwsLocalService);
  else if (kind === SpanKind.CLIENT || kind === SpanKind.PRODUCER || kind === SpanKind.CONSUMER) {
    const remote = foundString(f, Slot.AwsRemoteService);
    if (remote !== undefined) name = foundString(f, Slot.RpcSystem) === 'aws-api' ? trimAwsSdkPrefix(remote) : remote;
  }
  if (!name) {
    name =
      foundString(f, Slot.PeerService) ??
      foundString(f, Slot.AwsService) ??
      dbName(f) ??
      (kind === SpanKind.SERVER ? res.serviceName : undefined) ??
      foundString(f, Slot.RpcService) ??
      foundString(f, Slot.HttpHost) ??
      foundString(f, Slot.NetPeerName) ??
      (kind === SpanKind.CLIENT ? foundString(f, Slot.ServerAddress) ?? outboundHost(foundString(f, Slot.UpstreamCluster) ?? foundString(f, Slot.UpstreamClusterName)) : undefined);
  }
  if (name === undefined || name === '') name = span.name ?? '';
  return sanitizeSegmentName(name);
}

function trimAwsSdkPrefix(name: string): string {
  if (name.startsWith('AWS.SDK.')) return name.slice('AWS.SDK.'.length);
  if (name.startsWith('AWS::')) return name.slice('AWS::'.length);
  return name;
}

function dbName(f: Found): string | undefined {
  const db = foundString(f, Slot.DbName);
  if (db === undefined) return undefined;
  const conn = foundString(f, Slot.DbConnectionString);
  if (conn) {
    try {
      const host = new URL(conn.startsWith('jdbc:') ? conn.slice(5) : conn).hostname;
      if (host) return `${db}@${host}`;
    } catch {
      /* not a URL: name without host, as upstream */
    }
  }
  return db;
}

/** `outbound|9080|v1|reviews.default.svc.cluster.local` → `reviews.default.svc.cluster.local`. */
function outboundHost(cluster: string | undefined): string | undefined {
  if (!cluster || !cluster.startsWith('outbound|')) return undefined;
  // A sidecar has a handful of clusters: the same host instance each time (its hash is kept, so
  // the name's sanitising memo finds it without hashing a fresh slice per span). Cluster names are
  // span data: only short ones are kept.
  return cluster.length > OUTBOUND_HOST_MEMO_MAX_LENGTH ? outboundHostOf(cluster) : outboundHosts.lookup(cluster);
}

const OUTBOUND_HOST_MEMO_MAX_LENGTH = 256;

const outboundHosts = new ClusterMemo(outboundHostOf, 1024);

function outboundHostOf(cluster: string): string | undefined {
  // Four `|`-separated parts, the last not empty (found with indexOf: split allocated an array per span).
  const second = cluster.indexOf('|', 9);
  const third = second < 0 ? -1 : cluster.indexOf('|', second + 1);
  if (third < 0 || third === cluster.length - 1 || cluster.indexOf('|', third + 1) >= 0) return undefined;
  return cluster.slice(third + 1);
}

/**
 * `aws` for AWS SDK calls (`rpc.system: aws-api`, or named after `aws.service`); `remote` for
 * CLIENT spans, PRODUCER subsegments (an addition: upstream only with `aws.remote.service`) and
 * CONSUMER subsegments with `aws.remote.service` (upstream), and the call of a split local root.
 */
function segmentNamespace(kind: number | undefined, f: Found, awsSdk: boolean, subsegment: boolean): 'aws' | 'remote' | undefined {
  if (foundString(f, Slot.RpcSystem) === 'aws-api' || (awsSdk && foundString(f, Slot.PeerService) === undefined && foundString(f, Slot.AwsRemoteService) === undefined)) return 'aws';
  if (kind === SpanKind.CLIENT) return 'remote';
  if (!subsegment) return undefined;
  if (kind === SpanKind.PRODUCER) return 'remote';
  return kind === SpanKind.CONSUMER && foundString(f, Slot.AwsRemoteService) !== undefined ? 'remote' : undefined;
}

function defaultMetadata(d: SegmentDocument): Record<string, unknown> {
  const m = (d.metadata ??= {});
  return (m[DEFAULT_NAMESPACE] ??= {});
}

/** Upstream's content length of last resort: a `message` event of type RECEIVED with its size. */
function receivedMessageSize(span: Span): number | undefined {
  for (const ev of span.events ?? []) {
    let received = false;
    let size: number | undefined;
    for (const kv of ev.attributes ?? []) {
      if (kv.key === 'message.type') received = kv.value?.stringValue === 'RECEIVED';
      else if (kv.key === 'messaging.message_payload_size_bytes' || kv.key === 'message.uncompressed_size') {
        const v = kv.value?.intValue;
        if (v != null) size = typeof v === 'number' ? v : v.toNumber();
      }
    }
    if (received && size !== undefined && size > 0) return size;
  }
  return undefined;
}

/**
 * Annotations and metadata: the resource's (segments only), then the span's attributes that no
 * other field represents. The caller's segment of a split local root carries only the resource's
 * and the span's annotations (not those naming the remote side), as upstream.
 */
function fillAttributes(d: SegmentDocument, scan: SpanScan, res: PreparedResource, role: Role, storeResource: boolean, otelTraceId: string, opts: SegmentOptions): void {
  const annotations: Record<string, AnnotationValue> = {};
  annotations[OTEL_TRACE_ID_ANNOTATION] = otelTraceId;
  const metadata: Record<string, unknown> = {};
  let namespaces: Record<string, Record<string, unknown>> | undefined;
  const budget: AnnotationBudget = { count: 1 };
  if (storeResource) {
    for (const [k, av, key] of res.annotations) if (!annotate(annotations, budget, k, av)) setEntry(metadata, key, av);
    for (const [k, v] of res.metadata) setEntry(metadata, k, v);
  }
  let extraIndexed: Set<string> | undefined;
  const listed = scan.found[Slot.XrayAnnotations];
  if (listed?.arrayValue) {
    extraIndexed = new Set();
    for (const v of listed.arrayValue.values ?? []) if (v.stringValue != null) extraIndexed.add(v.stringValue);
  }
  const rest = scan.rest;
  const restMesh = scan.restMesh;
  const someIndexed = opts.indexedAttributes.size > 0;
  for (let i = 0; i < rest.length; i++) {
    const kv = rest[i]!;
    const key = kv.key;
    if (key === XRAY_ANNOTATIONS_ATTR) continue;
    if (role === Role.Caller && REMOTE_ONLY.has(key)) continue;
    const meshIndex = restMesh[i]!;
    const mesh = opts.meshAnnotations && meshIndex !== 0 ? MESH_ANNOTATION_KEYS[meshIndex - 1] : undefined;
    if (mesh !== undefined || opts.indexAllAttributes || (someIndexed && opts.indexedAttributes.has(key)) || extraIndexed?.has(key)) {
      const av = annotationValue(kv.value);
      if (av !== undefined && annotate(annotations, budget, mesh ?? sanitizeAnnotationKey(key), av)) continue;
    }
    // The caller's segment keeps the span's annotations but none of its metadata (upstream).
    if (role === Role.Caller) continue;
    const v = kv.value;
    if (v != null && v.stringValue != null) {
      if (key.startsWith(XRAY_METADATA_PREFIX)) {
        const ns = key.slice(XRAY_METADATA_PREFIX.length);
        const parsed = parseObject(v.stringValue);
        if (parsed === undefined || ns === '') setEntry(metadata, key, v.stringValue);
        else if (ns.toLowerCase() === DEFAULT_NAMESPACE) for (const k of Object.keys(parsed)) setEntry(metadata, k, parsed[k]);
        else setEntry((namespaces ??= {}), ns, parsed);
      } else setEntry(metadata, key, v.stringValue);
      continue;
    }
    setEntry(metadata, key, metadataValue(v));
  }
  // Attributes another field represents are annotated too when explicitly listed (upstream).
  if (scan.consumed && role !== Role.Caller && (opts.indexedAttributes.size > 0 || extraIndexed)) {
    for (const kv of scan.consumed) {
      if (!opts.indexedAttributes.has(kv.key) && !extraIndexed?.has(kv.key)) continue;
      const av = annotationValue(kv.value);
      if (av !== undefined) annotate(annotations, budget, sanitizeAnnotationKey(kv.key), av);
    }
  }
  d.annotations = annotations;
  for (const _ in metadata) {
    (namespaces ??= {})[DEFAULT_NAMESPACE] = metadata;
    break;
  }
  if (namespaces) d.metadata = namespaces;
}

interface AnnotationBudget {
  count: number;
}

/** Adds an annotation unless the 50 are used or the (sanitised) key is taken (`a.b` and `a_b`: the first keeps it). */
function annotate(annotations: Record<string, AnnotationValue>, budget: AnnotationBudget, key: string, value: AnnotationValue): boolean {
  if (budget.count >= MAX_ANNOTATIONS || Object.prototype.hasOwnProperty.call(annotations, key)) return false;
  setEntry(annotations, key, value);
  budget.count++;
  return true;
}

/** A JSON object (not an array or a scalar), or undefined. */
function parseObject(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Upstream drops the events that make no exception; we keep them, compactly, in metadata. */
function addEvents(span: Span, d: SegmentDocument, awsApi: boolean): void {
  if (!span.events || span.events.length === 0) return;
  const events: unknown[] = [];
  for (const ev of span.events) {
    if (ev.name === 'exception' || (awsApi && ev.name === 'HTTP request failure')) continue;
    const e: Record<string, unknown> = { name: ev.name, time: nanosToSeconds(nanosToNumber(ev.timeUnixNano)) };
    if (ev.attributes && ev.attributes.length > 0) {
      const a: Record<string, unknown> = {};
      for (const kv of ev.attributes) setEntry(a, kv.key, metadataValue(kv.value));
      e.attributes = a;
    }
    events.push(e);
  }
  if (events.length > 0) defaultMetadata(d)['otel.events'] = events;
}
