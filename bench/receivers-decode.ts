/**
 * Receiver decode cost (issue 4, receivers): per-span rate of each input format's decoding into
 * the internal model (with the shape scan that runs before it, issue 9), against the cheapest
 * possible step on the same bytes in the same process
 * (protobufjs decode for protobuf, JSON.parse for JSON), printed as a ratio so the figure means
 * something on a loaded machine. Requests: 100 Envoy-shaped spans × 21 string attributes.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/receivers-decode.js [--rounds 7] [--ms 400]
 */
import crypto from 'node:crypto';
import type { KeyValue, Span, TraceData } from '../collector/pdata/model.js';
import { decodeTraceRequest, encodeTraceRequest } from '../collector/pdata/otlp-proto.js';
import { encodeTracesJson } from '../collector/pdata/otlp-json.js';
import { decodeTraceRequestJson } from '../collector/pdata/otlp-json-decode.js';
import { rejectInvalidSpans } from '../collector/receiver/internal/span-validation.js';
import { decodeZipkinJson } from '../collector/receiver/zipkinreceiver/json-decode.js';
import { decodeZipkinProto, ListOfSpans } from '../collector/receiver/zipkinreceiver/proto-decode.js';
import { zipkinToTraceData } from '../collector/receiver/zipkinreceiver/translate.js';
import { fmt, median, rateOnce as rate } from './rate.js';
import { scanJsonShape } from '../collector/pdata/json-shape.js';
import { scanTraceRequestShape, scanZipkinListShape } from '../collector/pdata/otlp-proto-shape.js';
import { MAX_JSON_DEPTH, SMALL_BODY } from '../collector/receiver/internal/request-cost.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}
const ROUNDS = Number(arg('rounds', '7'));
const MS = Number(arg('ms', '400'));
const SPANS = 100;

function tags(i: number): Record<string, string> {
  const cluster = i % 3 ? `outbound|9080||reviews.bookinfo.svc.cluster.local` : 'inbound|9080||';
  return {
    node_id: 'sidecar~10.244.0.21~productpage-v1-6f89b6c557-sg2bc.bookinfo~bookinfo.svc.cluster.local',
    zone: 'eu-west-1a',
    'guid:x-request-id': crypto.randomUUID(),
    'http.url': `http://reviews:9080/reviews/${i}`,
    'http.method': 'GET',
    'http.protocol': 'HTTP/1.1',
    downstream_cluster: '-',
    user_agent: 'Go-http-client/1.1',
    request_size: '0',
    response_size: String(1000 + i),
    component: 'proxy',
    upstream_cluster: cluster,
    'upstream_cluster.name': cluster,
    'http.status_code': '200',
    response_flags: '-',
    'peer.address': '10.244.0.14',
    'istio.canonical_service': 'productpage',
    'istio.canonical_revision': 'v1',
    'istio.mesh_id': 'cluster.local',
    'istio.namespace': 'bookinfo',
    'istio.cluster_id': 'Kubernetes',
  };
}

const t0 = 1_700_000_000_000_000; // µs
const zipkinSpans = Array.from({ length: SPANS }, (_, i) => ({
  traceId: crypto.randomBytes(16).toString('hex'),
  id: crypto.randomBytes(8).toString('hex'),
  parentId: crypto.randomBytes(8).toString('hex'),
  kind: 'CLIENT',
  name: 'reviews.bookinfo.svc.cluster.local:9080/*',
  timestamp: t0 + i * 1000,
  duration: 2500,
  localEndpoint: { serviceName: 'productpage.bookinfo', ipv4: '10.244.0.21' },
  tags: tags(i),
}));
const zipkinJson = Buffer.from(JSON.stringify(zipkinSpans));
const zipkinProto = ListOfSpans.encode(
  ListOfSpans.fromObject({
    spans: zipkinSpans.map((z) => ({
      traceId: Buffer.from(z.traceId, 'hex'),
      id: Buffer.from(z.id, 'hex'),
      parentId: Buffer.from(z.parentId, 'hex'),
      kind: 1,
      name: z.name,
      timestamp: z.timestamp,
      duration: z.duration,
      localEndpoint: { serviceName: z.localEndpoint.serviceName, ipv4: Buffer.from([10, 244, 0, 21]) },
      tags: z.tags,
    })),
  }),
).finish();

const otlp: TraceData = zipkinToTraceData(decodeZipkinJson(zipkinJson).spans, false);
const otlpProto = encodeTraceRequest(otlp);
const otlpJson = Buffer.from(encodeTracesJson(otlp));

const rateOnce = (fn: () => unknown): number => rate(fn, MS, SPANS);

/**
 * Baseline and candidate alternate window by window (so machine load hits both alike); the
 * ratio is the median of the per-round ratios, the rates are the medians too.
 */
function measure(name: string, fn: () => unknown, baselineName: string, baseline: () => unknown): void {
  const b: number[] = [];
  const v: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    b.push(rateOnce(baseline));
    v.push(rateOnce(fn));
    ratios.push(v[r] / b[r]);
  }
  console.log(
    `${name.padEnd(40)} ${fmt(median(v)).padStart(10)} spans/s   baseline ${baselineName.padEnd(18)} ${fmt(median(b)).padStart(10)} spans/s   ratio ${median(ratios).toFixed(2)}`,
  );
}

console.log(`receiver decode, ${SPANS} spans × 21 attributes per request; OTLP protobuf ${otlpProto.length} B, OTLP/JSON ${otlpJson.length} B, Zipkin JSON ${zipkinJson.length} B, Zipkin proto ${zipkinProto.length} B`);
console.log(`node ${process.version}, ${ROUNDS} alternating rounds × ${MS} ms, medians`);
// Each candidate includes the shape scan the receivers run before decoding (request-cost.ts):
// it is part of receiving a request now (bodies up to SMALL_BODY are not scanned).
const jsonShape = (b: Buffer, format: 'otlp-json' | 'zipkin-json') =>
  b.length > SMALL_BODY ? scanJsonShape(b, MAX_JSON_DEPTH[format], format === 'otlp-json' ? 'spans-key' : 'top-level-array') : undefined;
const protoShape = (b: Uint8Array, scan: (b: Uint8Array) => unknown) => (b.length > SMALL_BODY ? scan(b) : undefined);
measure('OTLP protobuf: shape + decode + span validation', () => (protoShape(otlpProto, scanTraceRequestShape), rejectInvalidSpans(decodeTraceRequest(otlpProto))), 'protobufjs decode', () => decodeTraceRequest(otlpProto));
measure('OTLP/JSON: shape + decodeTraceRequestJson', () => (jsonShape(otlpJson, 'otlp-json'), decodeTraceRequestJson(otlpJson)), 'JSON.parse', () => JSON.parse(otlpJson.toString('utf8')));
measure('Zipkin JSON: shape + decode + translate', () => (jsonShape(zipkinJson, 'zipkin-json'), zipkinToTraceData(decodeZipkinJson(zipkinJson).spans, false)), 'JSON.parse', () => JSON.parse(zipkinJson.toString('utf8')));
measure('Zipkin proto3: shape + decode + translate', () => (protoShape(zipkinProto, scanZipkinListShape), zipkinToTraceData(decodeZipkinProto(zipkinProto).spans, false)), 'protobufjs decode', () => ListOfSpans.decode(zipkinProto));
